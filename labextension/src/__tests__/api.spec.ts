import { ServerConnection } from '@jupyterlab/services';

import {
  DagApi,
  normalizeDag,
  projectNameFor,
  projectQueryString
} from '../api';
import {
  attachmentName,
  describeCycle,
  describeError,
  isCycleError
} from '../handler';

function fakeResponse(status: number, body: unknown): Response {
  return {
    ok: status >= 200 && status < 300,
    status,
    statusText: '',
    text: async () => (body === '' ? '' : JSON.stringify(body))
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
    await api.getDag('p 1', false, 'k 1');
    expect(spy.mock.calls.map(call => call[0])).toEqual([
      'http://h/notebook-dag/api/projects/p%201/runs',
      'http://h/notebook-dag/api/runs/r1',
      'http://h/notebook-dag/api/projects/p%201/dag',
      'http://h/notebook-dag/api/projects/p%201/dag?kernel_id=k+1'
    ]);
    expect(JSON.parse(spy.mock.calls[0][1].body)).toEqual({ mode: 'all' });
  });
});

describe('projectQueryString', () => {
  it('leaves empty values out and encodes the rest', () => {
    expect(projectQueryString({})).toBe('');
    expect(
      projectQueryString({
        q: ' sales & co ',
        tag: '',
        favorite: true,
        sort: '-name',
        limit: 50,
        offset: 0
      })
    ).toBe('?q=sales%20%26%20co&favorite=true&sort=-name&limit=50&offset=0');
    expect(projectQueryString({ favorite: false, tag: 'etl' })).toBe(
      '?tag=etl'
    );
  });
});

describe('normalizeDag', () => {
  it('moves dataset nodes out of the cells', () => {
    const dag = normalizeDag({
      nodes: [
        {
          id: 'a',
          cell_type: 'code',
          source: '',
          title: '',
          index: 0,
          position: null
        },
        {
          id: 'dataset:d',
          kind: 'dataset',
          dataset_id: 'd',
          name: 'd.csv'
        } as never
      ],
      edges: [],
      order: ['a']
    });
    expect(dag.nodes.map(n => n.id)).toEqual(['a']);
    expect(dag.datasets).toEqual([
      { id: 'dataset:d', kind: 'dataset', dataset_id: 'd', name: 'd.csv' }
    ]);
    expect(
      normalizeDag({ nodes: [], edges: [], order: [] }).datasets
    ).toBeUndefined();
  });
});

describe('DagApi: projects, edges, positions, runs, export', () => {
  const settings = ServerConnection.makeSettings({ baseUrl: 'http://h/' });
  let spy: jest.SpyInstance;
  const call = (i: number) => ({
    url: spy.mock.calls[i][0] as string,
    method: (spy.mock.calls[i][1].method ?? 'GET') as string,
    body: spy.mock.calls[i][1].body
      ? JSON.parse(spy.mock.calls[i][1].body)
      : undefined,
    headers: spy.mock.calls[i][1].headers
  });

  afterEach(() => spy.mockRestore());

  it('searches, updates, duplicates and deletes projects', async () => {
    spy = jest
      .spyOn(ServerConnection, 'makeRequest')
      .mockResolvedValueOnce(fakeResponse(200, { projects: [], total: 0 }))
      .mockResolvedValueOnce(fakeResponse(200, { id: 'p', favorite: true }))
      .mockResolvedValueOnce(fakeResponse(201, { id: 'p2' }))
      .mockResolvedValueOnce(fakeResponse(204, ''))
      .mockResolvedValueOnce(fakeResponse(201, { id: 'p3' }));
    const api = new DagApi(settings);
    await api.queryProjects({ q: 'x', favorite: true, sort: 'name' });
    await api.updateProject('p', { favorite: true });
    await api.duplicateProject('p', { name: 'copy' });
    await api.deleteProject('p');
    await api.createProject({
      name: 'n',
      notebook_path: 'n.ipynb',
      tags: ['a']
    });
    expect(call(0).url).toBe(
      'http://h/notebook-dag/api/projects?q=x&favorite=true&sort=name'
    );
    expect(call(1)).toMatchObject({
      url: 'http://h/notebook-dag/api/projects/p',
      method: 'PATCH',
      body: { favorite: true }
    });
    expect(call(2)).toMatchObject({
      url: 'http://h/notebook-dag/api/projects/p/duplicate',
      method: 'POST',
      body: { name: 'copy' }
    });
    expect(call(3)).toMatchObject({ method: 'DELETE' });
    expect(call(4).body).toEqual({
      name: 'n',
      notebook_path: 'n.ipynb',
      tags: ['a']
    });
  });

  it('refuses a cycle with the server message naming it', async () => {
    const body = {
      message: 'adding this edge would create a cycle: mean → load → mean',
      reason: 'cycle',
      cycle: ['mean', 'load', 'mean']
    };
    spy = jest
      .spyOn(ServerConnection, 'makeRequest')
      .mockResolvedValueOnce(fakeResponse(409, body));
    const error = await new DagApi(settings)
      .addEdge('p', 'mean', 'load')
      .catch(e => e);
    expect(call(0)).toMatchObject({
      url: 'http://h/notebook-dag/api/projects/p/edges',
      method: 'POST',
      body: { source: 'mean', target: 'load' }
    });
    expect(isCycleError(error)).toBe(true);
    expect(error.status).toBe(409);
    expect(describeCycle(error)).toBe(body.message);
    expect(
      describeCycle(error, id => ({ mean: 'Mean', load: 'Load data' })[id])
    ).toBe(`${body.message} (Mean → Load data → Mean)`);
    // The generic description does not repeat the cycle.
    expect(describeError(error)).toBe(`${body.message} (HTTP 409)`);
  });

  it('hides, deletes edges and saves positions in one call', async () => {
    spy = jest
      .spyOn(ServerConnection, 'makeRequest')
      .mockResolvedValueOnce(fakeResponse(201, { id: 'h1', kind: 'hidden' }))
      .mockResolvedValueOnce(fakeResponse(204, ''))
      .mockResolvedValueOnce(fakeResponse(200, { blocks: [] }))
      .mockResolvedValueOnce(fakeResponse(200, { id: 'b' }));
    const api = new DagApi(settings);
    await api.hideEdge('p', 'a', 'b');
    await api.deleteEdge('p', 'e/1');
    await api.savePositions('p', { a: { x: 1, y: 2 }, b: null });
    await api.updateBlock(
      'p',
      'b',
      { source: 'x = 1' },
      '"block-b-v7.0a1b2c3d"'
    );
    expect(call(0)).toMatchObject({
      url: 'http://h/notebook-dag/api/projects/p/edges/hidden',
      body: { source: 'a', target: 'b' }
    });
    expect(call(1)).toMatchObject({
      url: 'http://h/notebook-dag/api/projects/p/edges/e%2F1',
      method: 'DELETE'
    });
    expect(call(2)).toMatchObject({
      url: 'http://h/notebook-dag/api/projects/p/positions',
      method: 'PUT',
      body: { positions: { a: { x: 1, y: 2 }, b: null } }
    });
    expect(call(3)).toMatchObject({
      url: 'http://h/notebook-dag/api/projects/p/blocks/b',
      method: 'PATCH',
      body: { source: 'x = 1' },
      headers: { 'If-Match': '"block-b-v7.0a1b2c3d"' }
    });
  });

  it('starts runs with a block and a kernel, cancels and retries', async () => {
    spy = jest
      .spyOn(ServerConnection, 'makeRequest')
      .mockResolvedValueOnce(fakeResponse(202, { id: 'r', status: 'queued' }))
      .mockResolvedValueOnce(
        fakeResponse(202, { id: 'r', status: 'cancelling' })
      )
      .mockResolvedValueOnce(fakeResponse(202, { id: 'r2', status: 'queued' }))
      .mockResolvedValueOnce(fakeResponse(200, { runs: [], total: 3 }))
      .mockResolvedValueOnce(
        fakeResponse(409, {
          message: 'run r already ended',
          reason: 'conflict'
        })
      );
    const api = new DagApi(settings);
    await api.startRun('p', {
      mode: 'downstream',
      block_id: 'b',
      kernel_id: 'k',
      force: false,
      max_parallel: 3
    });
    await api.cancelRun('r');
    await expect(api.retryRun('r')).resolves.toEqual({
      id: 'r2',
      status: 'queued'
    });
    await expect(api.queryRuns('p', 20, 40)).resolves.toEqual({
      runs: [],
      total: 3
    });
    await expect(api.cancelRun('r')).rejects.toMatchObject({
      status: 409,
      reason: 'conflict'
    });
    expect(call(0).body).toEqual({
      mode: 'downstream',
      block_id: 'b',
      kernel_id: 'k',
      max_parallel: 3
    });
    expect(call(1).url).toBe('http://h/notebook-dag/api/runs/r/cancel');
    expect(call(2).url).toBe('http://h/notebook-dag/api/runs/r/retry');
    expect(call(3).url).toBe(
      'http://h/notebook-dag/api/projects/p/runs?limit=20&offset=40'
    );
  });

  it('downloads an export with its file name', async () => {
    spy = jest.spyOn(ServerConnection, 'makeRequest').mockResolvedValueOnce({
      ok: true,
      status: 200,
      headers: new Map([
        ['Content-Disposition', 'attachment; filename="sales.dag.ipynb"']
      ]),
      blob: async () => 'BLOB'
    } as unknown as Response);
    const file = await new DagApi(settings).exportProject('p', 'ipynb');
    expect(file).toEqual({ filename: 'sales.dag.ipynb', blob: 'BLOB' });
    expect(call(0).url).toBe(
      'http://h/notebook-dag/api/projects/p/export?format=ipynb'
    );
  });

  it('reports a refused export', async () => {
    spy = jest.spyOn(ServerConnection, 'makeRequest').mockResolvedValueOnce(
      fakeResponse(400, {
        message: 'format must be one of py, ipynb, airflow'
      })
    );
    await expect(
      new DagApi(settings).exportProject('p', 'zip' as never)
    ).rejects.toMatchObject({
      status: 400,
      message: 'format must be one of py, ipynb, airflow'
    });
  });
});

describe('attachmentName', () => {
  it('reads quoted, bare and RFC 5987 names', () => {
    expect(attachmentName('attachment; filename="a b.py"', 'x')).toBe('a b.py');
    expect(attachmentName('attachment; filename=a.py', 'x')).toBe('a.py');
    expect(
      attachmentName("attachment; filename*=UTF-8''caf%C3%A9.py", 'x')
    ).toBe('café.py');
    expect(attachmentName(null, 'fallback.py')).toBe('fallback.py');
  });
});
