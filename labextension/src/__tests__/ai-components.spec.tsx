import * as React from 'react';
import { act } from 'react';
import { createRoot, Root } from 'react-dom/client';

import { FixWithAI } from '../ai/FixWithAI';
import { PromptBox } from '../ai/PromptBox';
import { IFixResult, IGenerateResult } from '../ai/types';
import { ApiError } from '../handler';

(
  globalThis as unknown as { IS_REACT_ACT_ENVIRONMENT: boolean }
).IS_REACT_ACT_ENVIRONMENT = true;

const BASE = {
  generation_id: 'g1',
  explanation: 'Loads the file.',
  provider: 'primary',
  model: 'gpt-stub',
  reads: ['pd'],
  defines: ['df'],
  edges: [{ source: 'c0', target: '<new>', names: ['pd'] }],
  repaired: false,
  usage: { input_tokens: 10, output_tokens: 5, total_tokens: 15 },
  latency_ms: 12,
  attempts: [],
  context: {
    chars: 100,
    truncated: false,
    names_source: 'static' as const,
    datasets: ['sales.csv'],
    names: ['pd']
  }
};

const GENERATED: IGenerateResult = {
  ...BASE,
  code: "df = pd.read_csv('sales.csv')\ndf.head()",
  after_block_id: 'c0',
  inserted: false,
  block_id: null
};

const FIXED: IFixResult = {
  ...BASE,
  code: "total = df['a'].sum()",
  block_id: 'c1',
  run_id: 'r1',
  original_code: "total = df['b'].sum()",
  error: "KeyError: 'b'",
  changed: true,
  replaced: false
};

let host: HTMLDivElement;
let root: Root;

beforeEach(() => {
  host = document.createElement('div');
  document.body.appendChild(host);
  root = createRoot(host);
});

afterEach(() => {
  act(() => root.unmount());
  host.remove();
});

function button(label: string): HTMLButtonElement {
  const b = Array.from(host.querySelectorAll('button')).find(
    x => x.textContent === label
  );
  if (!b) {
    throw new Error(`no button ${label}: ${host.innerHTML}`);
  }
  return b as HTMLButtonElement;
}

function type(el: HTMLTextAreaElement | HTMLInputElement, value: string): void {
  const proto =
    el instanceof HTMLTextAreaElement
      ? HTMLTextAreaElement.prototype
      : HTMLInputElement.prototype;
  Object.getOwnPropertyDescriptor(proto, 'value')!.set!.call(el, value);
  el.dispatchEvent(new Event('input', { bubbles: true }));
}

async function flush(): Promise<void> {
  await act(async () => {
    await new Promise(r => setTimeout(r, 0));
  });
}

describe('PromptBox', () => {
  it('streams a proposal, previews it as a diff and inserts it on Accept', async () => {
    let finish: (r: IGenerateResult) => void = () => undefined;
    const api = {
      generate: jest.fn(),
      generateStream: jest.fn((_body, cb) => {
        cb.onChunk('```python\ndf = pd.', 1);
        return new Promise<IGenerateResult>(resolve => (finish = resolve));
      }),
      accept: jest.fn(async () => ({ block_id: 'new1' }))
    };
    const inserted = jest.fn();
    act(() =>
      root.render(
        <PromptBox
          projectId="p1"
          afterBlockId="c0"
          api={api as any}
          onInserted={inserted}
        />
      )
    );
    expect(host.textContent).toContain('Ask AI to add a block after this node');
    expect(button('Generate').disabled).toBe(true);
    act(() =>
      type(
        host.querySelector('textarea')!,
        'Load sales.csv and show the first rows'
      )
    );
    await act(async () => button('Generate').click());
    expect(api.generateStream.mock.calls[0][0]).toEqual({
      project_id: 'p1',
      prompt: 'Load sales.csv and show the first rows',
      after_block_id: 'c0',
      provider: null
    });
    expect(host.querySelector('.jp-NotebookDag-ai-partial')!.textContent).toBe(
      'df = pd.'
    );
    await act(async () => finish(GENERATED));
    const lines = Array.from(host.querySelectorAll('.jp-NotebookDag-ai-line'));
    expect(lines.map(l => l.getAttribute('data-kind'))).toEqual(['add', 'add']);
    expect(host.textContent).toContain('+2 −0');
    expect(host.textContent).toContain('Loads the file.');
    expect(host.textContent).toContain('primary · gpt-stub');
    expect(host.textContent).toContain('c0 → new block (pd)');
    await act(async () => button('Accept').click());
    expect(api.accept).toHaveBeenCalledWith('g1', true);
    expect(inserted).toHaveBeenCalledWith('new1', GENERATED);
    expect(host.querySelector('.jp-NotebookDag-ai-preview')).toBeNull();
  });

  it('Reject drops the proposal without inserting', async () => {
    const api = {
      generate: jest.fn(async (_body: any) => GENERATED),
      generateStream: jest.fn(),
      accept: jest.fn()
    };
    act(() =>
      root.render(<PromptBox projectId="p1" api={api as any} stream={false} />)
    );
    expect(host.textContent).toContain('at the end of the notebook');
    act(() => type(host.querySelector('textarea')!, 'x'));
    await act(async () => button('Generate').click());
    await flush();
    act(() => button('Reject').click());
    expect(host.querySelector('.jp-NotebookDag-ai-preview')).toBeNull();
    expect(api.accept).not.toHaveBeenCalled();
    expect(api.generate.mock.calls[0][0].after_block_id).toBeNull();
  });

  it.each([
    [
      new ApiError(429, 'limit', { message: 'limit', retry_after: 7 }),
      'Try again in 7 s.'
    ],
    [
      new ApiError(
        503,
        'No AI provider is configured. Add one to c.NotebookDagApp.ai_providers',
        null
      ),
      'c.NotebookDagApp.ai_providers'
    ],
    [
      new ApiError(
        409,
        'with this block the DAG would have a cycle: <new> → c1 → <new>',
        { message: 'm', cycle: ['<new>', 'c1', '<new>'] }
      ),
      'would create a cycle'
    ]
  ])('shows API errors nicely (%#)', async (error, text) => {
    const api = {
      generate: jest.fn(),
      generateStream: jest.fn(async () => Promise.reject(error)),
      accept: jest.fn()
    };
    act(() => root.render(<PromptBox projectId="p1" api={api as any} />));
    act(() => type(host.querySelector('textarea')!, 'x'));
    await act(async () => button('Generate').click());
    await flush();
    const alert = host.querySelector('[role="alert"]')!;
    expect(alert.textContent).toContain(text);
    expect(button('Generate').disabled).toBe(false); // the user may try again
  });
});

describe('FixWithAI', () => {
  it('shows old → new as a diff and replaces the block on Accept', async () => {
    const api = {
      fix: jest.fn(),
      fixStream: jest.fn(async (_body: any, _cb: any) => FIXED),
      accept: jest.fn(async () => ({ block_id: 'c1' }))
    };
    const replaced = jest.fn();
    act(() =>
      root.render(
        <FixWithAI
          projectId="p1"
          blockId="c1"
          runId="r1"
          api={api as any}
          onReplaced={replaced}
        />
      )
    );
    act(() => type(host.querySelector('input')!, 'use column a'));
    await act(async () => button('Fix with AI').click());
    await flush();
    expect(api.fixStream.mock.calls[0][0]).toEqual({
      project_id: 'p1',
      block_id: 'c1',
      run_id: 'r1',
      hint: 'use column a',
      provider: null
    });
    const kinds = Array.from(
      host.querySelectorAll('.jp-NotebookDag-ai-line')
    ).map(l => [l.getAttribute('data-kind'), l.textContent]);
    expect(kinds).toEqual([
      ['del', "- total = df['b'].sum()"],
      ['add', "+ total = df['a'].sum()"]
    ]);
    await act(async () => button('Accept').click());
    expect(api.accept).toHaveBeenCalledWith('g1', true);
    expect(replaced).toHaveBeenCalledWith("total = df['a'].sum()", FIXED);
    expect(host.textContent).toContain('The block was replaced');
  });

  it('starts by itself, says when nothing changes, and Reject closes', async () => {
    const api = {
      fix: jest.fn(async () => ({
        ...FIXED,
        code: FIXED.original_code,
        changed: false
      })),
      fixStream: jest.fn(),
      accept: jest.fn()
    };
    const closed = jest.fn();
    act(() =>
      root.render(
        <FixWithAI
          projectId="p1"
          blockId="c1"
          runId="r1"
          api={api as any}
          stream={false}
          autoStart
          onClose={closed}
        />
      )
    );
    await flush();
    expect(api.fix).toHaveBeenCalledTimes(1);
    expect(host.textContent).toContain('proposes no change');
    expect(button('Accept').disabled).toBe(true);
    act(() => button('Reject').click());
    expect(closed).toHaveBeenCalled();
  });

  it('shows a 503 with how to configure', async () => {
    const error = new ApiError(
      503,
      'No AI provider is configured. Add one to c.NotebookDagApp.ai_providers',
      null
    );
    const api = {
      fix: jest.fn(),
      fixStream: jest.fn(async () => Promise.reject(error)),
      accept: jest.fn()
    };
    act(() =>
      root.render(
        <FixWithAI projectId="p1" blockId="c1" runId="r1" api={api as any} />
      )
    );
    await act(async () => button('Fix with AI').click());
    await flush();
    expect(host.querySelector('[role="alert"]')!.textContent).toContain(
      'AI is not available'
    );
    expect(button('Fix with AI').disabled).toBe(false);
  });
});
