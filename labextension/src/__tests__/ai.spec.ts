import { ServerConnection } from '@jupyterlab/services';

import { AIApi } from '../ai/api';
import { describeAIError } from '../ai/errors';
import { diffStats, lineDiff, SSEParser, stripFences } from '../ai/text';
import { ApiError } from '../handler';

const settings = ServerConnection.makeSettings({
  baseUrl: 'http://localhost:8888/base/'
});

function response(
  status: number,
  body: string,
  type = 'application/json',
  pieces?: string[]
): Response {
  const chunks = (pieces ?? [body]).map(p => new TextEncoder().encode(p));
  let i = 0;
  return {
    ok: status >= 200 && status < 300,
    status,
    statusText: status === 429 ? 'Too Many Requests' : '',
    headers: {
      get: (name: string) =>
        name.toLowerCase() === 'content-type' ? type : null
    },
    text: async () => body,
    body: {
      getReader: () => ({
        read: async () =>
          i < chunks.length
            ? { done: false, value: chunks[i++] }
            : { done: true, value: undefined }
      })
    }
  } as unknown as Response;
}

describe('stripFences', () => {
  it.each([
    ['```python\nx = 1\n```\nExplanation: sets x', 'x = 1'],
    [
      'Sure:\n```py\nimport pandas as pd\ndf.head()\n```',
      'import pandas as pd\ndf.head()'
    ],
    ['```python\nx = 1\ny = ', 'x = 1\ny ='], // a partial stream
    ['x = 1', 'x = 1'],
    ['```text\nnot code\n```\n```python\nreal = 1\n```', 'real = 1'],
    ['~~~\nz = 3\n~~~', 'z = 3'],
    ['', '']
  ])('%j', (answer, code) => {
    expect(stripFences(answer)).toBe(code);
  });
});

describe('lineDiff', () => {
  it('marks kept, removed and added lines in order', () => {
    const diff = lineDiff(
      "import pandas as pd\ntotal = df['b'].sum()\nprint(total)",
      "import pandas as pd\ntotal = df['a'].sum()\nprint(total)"
    );
    expect(diff.map(d => [d.kind, d.text])).toEqual([
      ['same', 'import pandas as pd'],
      ['del', "total = df['b'].sum()"],
      ['add', "total = df['a'].sum()"],
      ['same', 'print(total)']
    ]);
    expect(diff[3]).toMatchObject({ oldLine: 3, newLine: 3 });
    expect(diffStats(diff)).toEqual({ added: 1, removed: 1 });
  });

  it('shows a new block as all additions and an emptied one as deletions', () => {
    expect(lineDiff('', 'a\nb').map(d => d.kind)).toEqual(['add', 'add']);
    expect(lineDiff('a\nb', '').map(d => d.kind)).toEqual(['del', 'del']);
    expect(lineDiff('same', 'same')).toEqual([
      { kind: 'same', text: 'same', oldLine: 1, newLine: 1 }
    ]);
  });
});

describe('SSEParser', () => {
  it('parses events split across pieces', () => {
    const p = new SSEParser();
    expect(p.push('event: chunk\ndata: {"text": "a", "ro')).toEqual([]);
    expect(
      p.push(
        'und": 1}\n\nevent: repair\ndata: {"error": "line 1"}\n\nevent: res'
      )
    ).toEqual([
      { event: 'chunk', data: { text: 'a', round: 1 } },
      { event: 'repair', data: { error: 'line 1' } }
    ]);
    expect(p.push('ult\r\ndata: {"code": "x"}\r\n\r\n')).toEqual([
      { event: 'result', data: { code: 'x' } }
    ]);
    expect(p.push('data: plain text\n\n')).toEqual([
      { event: 'message', data: 'plain text' }
    ]);
  });
});

describe('describeAIError', () => {
  it('says when to retry after a 429', () => {
    const e = new ApiError(429, 'AI rate limit reached', {
      message: 'AI rate limit reached',
      reason: 'too_many_requests',
      retry_after: 42
    });
    expect(describeAIError(e)).toEqual({
      title: 'Too many AI requests',
      message: 'The AI rate limit was reached. Try again in 42 s.'
    });
  });

  it('passes on how to configure a provider after a 503', () => {
    const msg =
      'No AI provider is configured. Add one to c.NotebookDagApp.ai_providers ...';
    const d = describeAIError(
      new ApiError(503, msg, { message: msg, reason: 'unavailable' })
    );
    expect(d.title).toBe('AI is not available');
    expect(d.message).toContain('c.NotebookDagApp.ai_providers');
  });

  it('shows syntax errors, cycles, network errors and others', () => {
    expect(
      describeAIError(
        new ApiError(422, 'x', {
          message: 'x',
          syntax_error: 'line 2: invalid syntax'
        })
      ).message
    ).toBe('line 2: invalid syntax (after one repair attempt)');
    expect(
      describeAIError(
        new ApiError(409, 'a cycle: a → b → a', {
          message: 'a cycle',
          cycle: ['a', 'b', 'a']
        })
      ).title
    ).toBe('The block would create a cycle');
    expect(
      describeAIError(new ServerConnection.NetworkError(new TypeError('down')))
        .title
    ).toBe('Server unreachable');
    expect(describeAIError(new ApiError(500, 'boom', null))).toEqual({
      title: 'Error 500',
      message: 'boom'
    });
    expect(describeAIError('odd')).toEqual({ title: 'Error', message: 'odd' });
  });
});

describe('AIApi', () => {
  let spy: jest.SpyInstance;
  afterEach(() => spy.mockRestore());

  it('posts generate, fix and accept', async () => {
    spy = jest
      .spyOn(ServerConnection, 'makeRequest')
      .mockResolvedValue(response(200, '{"code": "x = 1"}'));
    const api = new AIApi(settings);
    await expect(
      api.generate({ project_id: 'p', prompt: 'x' })
    ).resolves.toEqual({ code: 'x = 1' });
    await api.fix({ project_id: 'p', block_id: 'b', run_id: 'r' });
    await api.accept('g 1', true);
    const urls = spy.mock.calls.map(c => c[0]);
    expect(urls).toEqual([
      'http://localhost:8888/base/notebook-dag/api/ai/generate',
      'http://localhost:8888/base/notebook-dag/api/ai/fix',
      'http://localhost:8888/base/notebook-dag/api/ai/generations/g%201/accept'
    ]);
    expect(JSON.parse(spy.mock.calls[2][1].body)).toEqual({ apply: true });
  });

  it('streams chunks, repairs and the result', async () => {
    const sse =
      'event: chunk\ndata: {"text": "```python\\nx", "round": 1}\n\n' +
      'event: repair\ndata: {"error": "line 1: bad"}\n\n' +
      'event: chunk\ndata: {"text": "x = 1", "round": 2}\n\n' +
      'event: result\ndata: {"code": "x = 1", "generation_id": "g"}\n\n';
    spy = jest
      .spyOn(ServerConnection, 'makeRequest')
      .mockResolvedValue(
        response(200, sse, 'text/event-stream; charset=utf-8', [
          sse.slice(0, 30),
          sse.slice(30, 100),
          sse.slice(100)
        ])
      );
    const chunks: [string, number][] = [];
    const repairs: string[] = [];
    const out = await new AIApi(settings).generateStream(
      { project_id: 'p', prompt: 'x' },
      { onChunk: (t, r) => chunks.push([t, r]), onRepair: e => repairs.push(e) }
    );
    expect(out).toEqual({ code: 'x = 1', generation_id: 'g' });
    expect(chunks).toEqual([
      ['```python\nx', 1],
      ['x = 1', 2]
    ]);
    expect(repairs).toEqual(['line 1: bad']);
    expect(spy.mock.calls[0][0]).toBe(
      'http://localhost:8888/base/notebook-dag/api/ai/generate?stream=1'
    );
  });

  it('turns error answers and error events into ApiErrors', async () => {
    spy = jest
      .spyOn(ServerConnection, 'makeRequest')
      .mockResolvedValue(
        response(
          429,
          '{"message": "AI rate limit reached", "reason": "too_many_requests", "retry_after": 5}'
        )
      );
    const api = new AIApi(settings);
    await expect(
      api.generateStream({ project_id: 'p', prompt: 'x' })
    ).rejects.toMatchObject({ status: 429, reason: 'too_many_requests' });
    const sse =
      'event: chunk\ndata: {"text": "x", "round": 1}\n\nevent: error\ndata: {"status": 422, "message": "does not parse", "reason": "unprocessable", "syntax_error": "line 1: x"}\n\n';
    spy.mockResolvedValue(response(200, sse, 'text/event-stream'));
    await expect(
      api.fixStream({ project_id: 'p', block_id: 'b', run_id: 'r' })
    ).rejects.toMatchObject({
      status: 422,
      message: 'does not parse'
    });
    spy.mockResolvedValue(
      response(
        200,
        'event: chunk\ndata: {"text": "x", "round": 1}\n\n',
        'text/event-stream'
      )
    );
    await expect(
      api.generateStream({ project_id: 'p', prompt: 'x' })
    ).rejects.toMatchObject({ status: 502 });
    spy.mockRejectedValue(new TypeError('offline'));
    await expect(
      api.generateStream({ project_id: 'p', prompt: 'x' })
    ).rejects.toBeInstanceOf(ServerConnection.NetworkError);
  });
});
