/**
 * The AI prompt's "as SQL" toggle: the request asks for a `%%sql` block.
 */
import * as React from 'react';
import { act } from 'react';
import { createRoot, Root } from 'react-dom/client';

import { PromptBox } from '../ai/PromptBox';

(
  globalThis as unknown as { IS_REACT_ACT_ENVIRONMENT: boolean }
).IS_REACT_ACT_ENVIRONMENT = true;

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

function typeInto(el: HTMLTextAreaElement, value: string): void {
  Object.getOwnPropertyDescriptor(
    HTMLTextAreaElement.prototype,
    'value'
  )!.set!.call(el, value);
  el.dispatchEvent(new Event('input', { bubbles: true }));
}

function generateButton(): HTMLButtonElement {
  return Array.from(host.querySelectorAll('button')).find(
    b => b.textContent === 'Generate'
  ) as HTMLButtonElement;
}

describe('PromptBox "as SQL"', () => {
  it('asks for SQL only when the toggle is on', async () => {
    const api = {
      generate: jest.fn(async () => Promise.reject(new Error('stop'))),
      generateStream: jest.fn(),
      accept: jest.fn()
    };
    act(() =>
      root.render(<PromptBox projectId="p1" api={api as any} stream={false} />)
    );
    const toggle = host.querySelector<HTMLInputElement>(
      '.jp-NotebookDag-ai-asSql input[type="checkbox"]'
    )!;
    expect(toggle.checked).toBe(false);
    expect(toggle.parentElement!.textContent).toContain('as SQL');
    act(() => typeInto(host.querySelector('textarea')!, 'mean price'));
    await act(async () => generateButton().click());
    expect(api.generate.mock.calls[0]).toEqual([
      {
        project_id: 'p1',
        prompt: 'mean price',
        after_block_id: null,
        provider: null
      }
    ]);
    act(() => toggle.click());
    expect(toggle.checked).toBe(true);
    expect(host.querySelector('textarea')!.placeholder).toContain('per region');
    await act(async () => generateButton().click());
    expect((api.generate.mock.calls[1] as any[])[0]).toEqual({
      project_id: 'p1',
      prompt: 'mean price',
      after_block_id: null,
      provider: null,
      language: 'sql'
    });
  });

  it('starts on with language="sql"', () => {
    const api = {
      generate: jest.fn(),
      generateStream: jest.fn(),
      accept: jest.fn()
    };
    act(() =>
      root.render(<PromptBox projectId="p1" api={api as any} language="sql" />)
    );
    expect(
      host.querySelector<HTMLInputElement>('.jp-NotebookDag-ai-asSql input')!
        .checked
    ).toBe(true);
  });
});
