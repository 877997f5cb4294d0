import { ServerConnection } from '@jupyterlab/services';

import { ApiError, describeError, findCycle, requestAPI } from '../handler';

function fakeResponse(status: number, body: string, statusText = ''): Response {
  return {
    ok: status >= 200 && status < 300,
    status,
    statusText,
    text: async () => body
  } as unknown as Response;
}

describe('requestAPI', () => {
  const settings = ServerConnection.makeSettings({
    baseUrl: 'http://localhost:8888/base/'
  });
  let spy: jest.SpyInstance;

  afterEach(() => {
    spy.mockRestore();
  });

  it('joins the API namespace and parses JSON', async () => {
    spy = jest
      .spyOn(ServerConnection, 'makeRequest')
      .mockResolvedValue(fakeResponse(200, '{"projects": [], "total": 0}'));
    const data = await requestAPI<{ total: number }>(
      'projects?notebook_path=a%20b.ipynb',
      {},
      settings
    );
    expect(data).toEqual({ projects: [], total: 0 });
    expect(spy).toHaveBeenCalledTimes(1);
    const [url, init, used] = spy.mock.calls[0];
    expect(url).toBe(
      'http://localhost:8888/base/notebook-dag/api/projects?notebook_path=a%20b.ipynb'
    );
    expect(init).toEqual({});
    expect(used).toBe(settings);
  });

  it('passes method and body through', async () => {
    spy = jest
      .spyOn(ServerConnection, 'makeRequest')
      .mockResolvedValue(fakeResponse(201, '{"id": "p1"}'));
    const init = { method: 'POST', body: JSON.stringify({ name: 'x' }) };
    await expect(requestAPI('projects', init, settings)).resolves.toEqual({
      id: 'p1'
    });
    expect(spy.mock.calls[0][1]).toBe(init);
  });

  it('returns undefined for an empty body', async () => {
    spy = jest
      .spyOn(ServerConnection, 'makeRequest')
      .mockResolvedValue(fakeResponse(204, ''));
    await expect(requestAPI('runs/r1', {}, settings)).resolves.toBeUndefined();
  });

  it('throws an ApiError carrying status, message and body on 409', async () => {
    const body = {
      message: 'The notebook has a cycle',
      reason: 'cycle',
      cycle: ['a', 'b', 'a']
    };
    spy = jest
      .spyOn(ServerConnection, 'makeRequest')
      .mockResolvedValue(fakeResponse(409, JSON.stringify(body), 'Conflict'));
    let caught: unknown = null;
    try {
      await requestAPI('projects/p1/dag', {}, settings);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ApiError);
    const error = caught as ApiError;
    expect(error.status).toBe(409);
    expect(error.message).toBe('The notebook has a cycle');
    expect(error.reason).toBe('cycle');
    expect(error.body).toEqual(body);
    expect(error.url).toBe(
      'http://localhost:8888/base/notebook-dag/api/projects/p1/dag'
    );
    expect(describeError(error)).toBe(
      'The notebook has a cycle (HTTP 409) — cycle: a → b → a'
    );
  });

  it('uses the status text when the error body is not JSON', async () => {
    spy = jest
      .spyOn(ServerConnection, 'makeRequest')
      .mockResolvedValue(
        fakeResponse(502, '<html>bad gateway</html>', 'Bad Gateway')
      );
    await expect(requestAPI('projects', {}, settings)).rejects.toMatchObject({
      name: 'ApiError',
      status: 502,
      message: 'Bad Gateway',
      body: '<html>bad gateway</html>',
      reason: null
    });
  });

  it('wraps network failures in a NetworkError', async () => {
    spy = jest
      .spyOn(ServerConnection, 'makeRequest')
      .mockRejectedValue(new TypeError('Failed to fetch'));
    await expect(requestAPI('projects', {}, settings)).rejects.toBeInstanceOf(
      ServerConnection.NetworkError
    );
  });
});

describe('findCycle', () => {
  it('reads `cycle` and `cycles`', () => {
    expect(findCycle({ message: '', cycle: ['a', 'b'] })).toEqual(['a', 'b']);
    expect(findCycle({ message: '', cycles: [['c', 'd'], ['e']] })).toEqual([
      'c',
      'd'
    ]);
    expect(findCycle({ message: '' })).toBeNull();
  });
});

describe('describeError', () => {
  it('describes plain errors', () => {
    expect(describeError(new Error('boom'))).toBe('boom');
    expect(describeError('text')).toBe('text');
    expect(
      describeError(
        new ApiError(404, 'No such project', { message: 'No such project' })
      )
    ).toBe('No such project (HTTP 404)');
  });
});
