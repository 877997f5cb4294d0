import { ServerConnection } from '@jupyterlab/services';

import { DagApi, projectNameFor } from '../api';

function fakeResponse(status: number, body: unknown): Response {
  return {
    ok: status >= 200 && status < 300,
    status,
    statusText: '',
    text: async () => JSON.stringify(body)
  } as unknown as Response;
}

describe('projectNameFor', () => {
  it('drops folders and the .ipynb suffix', () => {
    expect(projectNameFor('work/analysis/Sales 2024.ipynb')).toBe('Sales 2024');
    expect(projectNameFor('example.ipynb')).toBe('example');
    expect(projectNameFor('notes')).toBe('notes');
  });
});

describe('DagApi', () => {
  const settings = ServerConnection.makeSettings({ baseUrl: 'http://h/' });
  let spy: jest.SpyInstance;

  afterEach(() => spy.mockRestore());

  it('reuses the project of a notebook', async () => {
    spy = jest.spyOn(ServerConnection, 'makeRequest').mockResolvedValueOnce(
      fakeResponse(200, {
        projects: [{ id: 'p1', name: 'a', notebook_path: 'dir/a.ipynb' }],
        total: 1
      })
    );
    const project = await new DagApi(settings).findOrCreateProject(
      'dir/a.ipynb'
    );
    expect(project.id).toBe('p1');
    expect(spy).toHaveBeenCalledTimes(1);
    expect(spy.mock.calls[0][0]).toBe(
      'http://h/notebook-dag/api/projects?notebook_path=dir%2Fa.ipynb'
    );
  });

  it('creates a project when the notebook has none', async () => {
    spy = jest
      .spyOn(ServerConnection, 'makeRequest')
      .mockResolvedValueOnce(fakeResponse(200, { projects: [], total: 0 }))
      .mockResolvedValueOnce(
        fakeResponse(201, { id: 'p2', name: 'b', notebook_path: 'b.ipynb' })
      );
    const project = await new DagApi(settings).findOrCreateProject('b.ipynb');
    expect(project.id).toBe('p2');
    const [url, init] = spy.mock.calls[1];
    expect(url).toBe('http://h/notebook-dag/api/projects');
    expect(init.method).toBe('POST');
    expect(JSON.parse(init.body)).toEqual({
      name: 'b',
      notebook_path: 'b.ipynb'
    });
  });

  it('starts runs and reads runs and DAGs', async () => {
    spy = jest
      .spyOn(ServerConnection, 'makeRequest')
      .mockResolvedValueOnce(fakeResponse(202, { id: 'r1', status: 'queued' }))
      .mockResolvedValueOnce(
        fakeResponse(200, { id: 'r1', status: 'running', blocks: [] })
      )
      .mockResolvedValueOnce(
        fakeResponse(200, { nodes: [], edges: [], order: [] })
      );
    const api = new DagApi(settings);
    await expect(api.startRun('p 1')).resolves.toEqual({
      id: 'r1',
      status: 'queued'
    });
    await expect(api.getRun('r1')).resolves.toMatchObject({
      status: 'running'
    });
    await expect(api.getDag('p 1')).resolves.toEqual({
      nodes: [],
      edges: [],
      order: []
    });
    expect(spy.mock.calls.map(call => call[0])).toEqual([
      'http://h/notebook-dag/api/projects/p%201/runs',
      'http://h/notebook-dag/api/runs/r1',
      'http://h/notebook-dag/api/projects/p%201/dag'
    ]);
    expect(JSON.parse(spy.mock.calls[0][1].body)).toEqual({ mode: 'all' });
  });
});
