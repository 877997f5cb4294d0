import { IBlockInsertApi, insertBlock } from '../blockinsert';
import { IAnalysis, ICharts } from '../datasets/analysistypes';
import { DatasetInsights } from '../datasets/insights';
import {
  formatCoefficient,
  formatNormality,
  formatNumber,
  blockAddedMessage,
  formatPValue,
  heatColor,
  previewSrc
} from '../datasets/insightsformat';
import {
  defaultProjectId,
  INITIAL_INSIGHTS,
  insightsReducer,
  orderProjects,
  positionOptions
} from '../datasets/insightsstate';
import { ApiError } from '../handler';
import type { IOpenNotebooks } from '../notebook/docedits';
import { IBlock, IProject } from '../types';

const project = (id: string, name = id): IProject => ({
  id,
  name,
  notebook_path: `${id}.ipynb`
});

const block = (id: string, index: number, title = id): IBlock => ({
  id,
  cell_type: 'code',
  source: '',
  title,
  index,
  position: null
});

const P = [project('a'), project('b'), project('c')];

describe('project choice', () => {
  it('puts the readers first, in lineage order, each once', () => {
    expect(orderProjects(P, ['c', 'b', 'c', 'gone']).map(p => p.id)).toEqual([
      'c',
      'b',
      'a'
    ]);
    expect(orderProjects(P, []).map(p => p.id)).toEqual(['a', 'b', 'c']);
  });

  it('prefers the current project when it reads the dataset', () => {
    expect(defaultProjectId(P, ['c', 'b'], 'b')).toBe('b');
  });

  it('else the first reader, else the current project, else the first', () => {
    expect(defaultProjectId(P, ['c'], 'a')).toBe('c');
    expect(defaultProjectId(P, [], 'b')).toBe('b');
    expect(defaultProjectId(P, ['gone'], null)).toBe('a');
    expect(defaultProjectId(P, [], 'gone')).toBe('a');
    expect(defaultProjectId([], [], 'a')).toBeNull();
  });

  it('offers "at the end" first, then the cells by number and title', () => {
    const options = positionOptions([
      block('y', 1, 'Plot'),
      { ...block('x', 0, 'Intro'), cell_type: 'markdown' }
    ]);
    expect(options).toEqual([
      { value: '', label: 'At the end' },
      { value: 'x', label: 'After [1] Intro (markdown)' },
      { value: 'y', label: 'After [2] Plot' }
    ]);
  });
});

describe('insightsReducer', () => {
  const item = { key: 'chart:0', title: 'sepal', code: 'print(1)' };

  it('opens the form with the default project and the end position', () => {
    let s = insightsReducer(INITIAL_INSIGHTS, { type: 'add-start', item });
    expect(s.add?.projects).toBeNull();
    s = insightsReducer(s, {
      type: 'add-projects',
      projects: P,
      readers: ['c'],
      currentProjectId: 'a'
    });
    expect(s.add?.projects?.map(p => p.id)).toEqual(['c', 'a', 'b']);
    expect(s.add?.projectId).toBe('c');
    expect(s.add?.afterId).toBeNull();
    expect(INITIAL_INSIGHTS.add).toBeNull(); // not mutated
  });

  it('drops the blocks of a project no longer chosen', () => {
    let s = insightsReducer(INITIAL_INSIGHTS, { type: 'add-start', item });
    s = insightsReducer(s, {
      type: 'add-projects',
      projects: P,
      readers: [],
      currentProjectId: 'a'
    });
    s = insightsReducer(s, { type: 'add-project', projectId: 'b' });
    const late = insightsReducer(s, {
      type: 'add-blocks',
      projectId: 'a',
      blocks: [block('x', 0)]
    });
    expect(late).toBe(s);
    s = insightsReducer(s, {
      type: 'add-blocks',
      projectId: 'b',
      blocks: [block('y', 0)]
    });
    expect(s.add?.blocks?.map(b => b.id)).toEqual(['y']);
    s = insightsReducer(s, { type: 'add-after', afterId: 'y' });
    expect(s.add?.afterId).toBe('y');
  });

  it('says so when the user has no project', () => {
    let s = insightsReducer(INITIAL_INSIGHTS, { type: 'add-start', item });
    s = insightsReducer(s, {
      type: 'add-projects',
      projects: [],
      readers: [],
      currentProjectId: null
    });
    expect(s.add?.projectId).toBeNull();
    expect(s.add?.error).toMatch(/no project/);
  });

  it('closes the form and remembers the insertion', () => {
    let s = insightsReducer(INITIAL_INSIGHTS, { type: 'add-start', item });
    s = insightsReducer(s, {
      type: 'add-projects',
      projects: [project('a', 'Iris study')],
      readers: [],
      currentProjectId: null
    });
    s = insightsReducer(s, { type: 'add-busy' });
    expect(s.add?.busy).toBe(true);
    s = insightsReducer(s, { type: 'add-failed', error: 'nope' });
    expect(s.add).toMatchObject({ busy: false, error: 'nope' });
    s = insightsReducer(s, {
      type: 'add-done',
      result: {
        projectId: 'a',
        notebookPath: 'a.ipynb',
        blockId: 'new',
        where: 'server'
      }
    });
    expect(s.add).toBeNull();
    expect(s.added).toMatchObject({
      blockId: 'new',
      title: 'sepal',
      project: 'Iris study'
    });
  });

  it('ignores form actions without a form', () => {
    expect(
      insightsReducer(INITIAL_INSIGHTS, { type: 'add-after', afterId: 'x' })
    ).toBe(INITIAL_INSIGHTS);
  });
});

describe('formatting', () => {
  it('formats p-values, coefficients and numbers', () => {
    expect(formatPValue(0.0000001)).toBe('p < 0.001');
    expect(formatPValue(0.04567)).toBe('p = 0.0457');
    expect(formatPValue(null)).toBe('—');
    expect(formatCoefficient(-0.8712)).toBe('−0.87');
    expect(formatCoefficient(-0.001)).toBe('0.00');
    expect(formatCoefficient(0.96)).toBe('0.96');
    expect(formatNumber(150)).toBe('150');
    expect(formatNumber(5.843333)).toBe('5.843');
    expect(formatNumber(12345678.9)).toBe('1.23e+7');
    expect(formatNumber(undefined)).toBe('—');
    expect(formatNormality({ p_value: 0.2, normal_at_5pct: true })).toBe(
      'normal (p = 0.2)'
    );
    expect(formatNormality(null)).toBe('');
  });

  it('colours the heatmap with theme variables by sign and strength', () => {
    expect(heatColor(1)).toBe(
      'color-mix(in srgb, var(--jp-brand-color1) 80%, transparent)'
    );
    expect(heatColor(-0.5)).toBe(
      'color-mix(in srgb, var(--jp-error-color1) 40%, transparent)'
    );
    expect(heatColor(null)).toBe('transparent');
  });

  it('makes a data URL of a bare base64 preview', () => {
    expect(previewSrc('iVBOR')).toBe('data:image/png;base64,iVBOR');
    expect(previewSrc('data:image/png;base64,x')).toBe(
      'data:image/png;base64,x'
    );
    expect(previewSrc(null)).toBeNull();
  });

  it('words the notification by where the block went', () => {
    const result = {
      projectId: 'a',
      notebookPath: 'a.ipynb',
      blockId: 'n',
      where: 'notebook' as const
    };
    expect(blockAddedMessage(result, 'Hist')).toMatch(/open notebook a\.ipynb/);
    expect(blockAddedMessage({ ...result, where: 'server' }, 'Hist')).toBe(
      'Added “Hist” as a new block of a.ipynb.'
    );
  });
});

class FakeNotebooks implements IOpenNotebooks {
  open = new Set<string>();
  inserted: [string, string | null, string][] = [];
  isOpen(path: string): boolean {
    return this.open.has(path);
  }
  async setSource(): Promise<boolean> {
    return false;
  }
  async insertCode(
    path: string,
    afterId: string | null,
    source: string
  ): Promise<string | null> {
    if (!this.open.has(path)) {
      return null;
    }
    this.inserted.push([path, afterId, source]);
    return 'local-id';
  }
}

class FakeInsertApi implements IBlockInsertApi {
  created: [string, { source: string; after: string | null }][] = [];
  error: unknown = null;
  async listProjects(): Promise<IProject[]> {
    return P;
  }
  async listBlocks(projectId: string): Promise<IBlock[]> {
    return [block(`${projectId}-1`, 0), block(`${projectId}-2`, 1)];
  }
  async createBlock(
    projectId: string,
    body: { source: string; after: string | null }
  ): Promise<IBlock> {
    if (this.error) {
      throw this.error;
    }
    this.created.push([projectId, body]);
    return block('server-id', 2);
  }
}

describe('insertBlock', () => {
  it('inserts into the open notebook when it is open here', async () => {
    const api = new FakeInsertApi();
    const notebooks = new FakeNotebooks();
    notebooks.open.add('a.ipynb');
    const result = await insertBlock(api, notebooks, P[0], 'x', 'code');
    expect(result).toEqual({
      projectId: 'a',
      notebookPath: 'a.ipynb',
      blockId: 'local-id',
      where: 'notebook'
    });
    expect(notebooks.inserted).toEqual([['a.ipynb', 'x', 'code']]);
    expect(api.created).toEqual([]);
  });

  it('uses the REST API when the notebook is not open', async () => {
    const api = new FakeInsertApi();
    const result = await insertBlock(api, new FakeNotebooks(), P[1], null, 's');
    expect(result.where).toBe('server');
    expect(result.blockId).toBe('server-id');
    expect(api.created).toEqual([['b', { source: 's', after: null }]]);
  });

  it('says where to go when the server finds the notebook open elsewhere', async () => {
    const api = new FakeInsertApi();
    api.error = new ApiError(409, 'open', {
      message: 'open',
      reason: 'open_in_editor'
    });
    await expect(
      insertBlock(api, new FakeNotebooks(), P[0], null, 's')
    ).rejects.toThrow(/open in another JupyterLab window/);
    api.error = new ApiError(404, 'no such project', null);
    await expect(insertBlock(api, null, P[0], null, 's')).rejects.toThrow(
      'no such project'
    );
  });
});

describe('DatasetInsights', () => {
  const analysis = (kind: 'statistics'): IAnalysis => ({
    dataset_id: 'd',
    version: 1,
    sha256: 'x',
    kind,
    result: { kind, rows: 3, columns: [] },
    code: 'df.describe()',
    seconds: 0.1,
    cached: false
  });

  it('loads an analysis once and keeps the server message of a failure', async () => {
    let calls = 0;
    const model = new DatasetInsights({
      datasetId: 'd',
      api: {
        analysis: async (_id, kind) => {
          calls++;
          if (kind === 'clustering') {
            throw new ApiError(422, 'no numeric column to cluster', null);
          }
          return analysis('statistics');
        },
        charts: async () => ({}) as ICharts,
        lineage: async () => ({ dataset_id: 'd', readers: [], writers: [] })
      }
    });
    const kinds: string[] = [];
    model.changed.connect((_, s) =>
      kinds.push(`${s.kind}:${s.analyses[s.kind].status}`)
    );
    await model.showKind('statistics');
    await model.showKind('statistics');
    expect(calls).toBe(1);
    await model.showKind('clustering');
    expect(model.state.analyses.clustering.error).toBe(
      'Cannot read this file: no numeric column to cluster'
    );
    expect(kinds).toEqual([
      'statistics:loading',
      'statistics:ready',
      'clustering:idle',
      'clustering:loading',
      'clustering:error'
    ]);
  });

  it('adds an item to the default project, at the end by default', async () => {
    const insertApi = new FakeInsertApi();
    const notebooks = new FakeNotebooks();
    notebooks.open.add('c.ipynb');
    const added: string[] = [];
    const model = new DatasetInsights({
      datasetId: 'd',
      currentProjectId: 'a',
      api: {
        analysis: async () => analysis('statistics'),
        charts: async () => ({}) as ICharts,
        lineage: async () => ({
          dataset_id: 'd',
          readers: [
            {
              project_id: 'c',
              project_name: 'c',
              notebook_path: 'c.ipynb',
              block_id: 'c-1',
              kind: 'read',
              via: 'pd.read_csv',
              target: 'iris.csv',
              line: 1
            }
          ],
          writers: []
        })
      },
      inserter: {
        api: insertApi,
        insert: (p, after, source) =>
          insertBlock(insertApi, notebooks, p, after, source)
      },
      onAdded: (result, title) => added.push(`${title}@${result.projectId}`)
    });
    await model.startAdd({ key: 'chart:0', title: 'Hist', code: 'plot()' });
    expect(model.state.add?.projectId).toBe('c');
    expect(model.state.add?.blocks?.map(b => b.id)).toEqual(['c-1', 'c-2']);
    await model.confirmAdd();
    expect(notebooks.inserted).toEqual([['c.ipynb', null, 'plot()']]);
    expect(added).toEqual(['Hist@c']);
    expect(model.state.add).toBeNull();
    expect(model.state.added?.where).toBe('notebook');

    // Another project, after its first block: by the REST API.
    await model.startAdd({ key: 'chart:1', title: 'Box', code: 'box()' });
    await model.chooseProject('b');
    model.dispatch({ type: 'add-after', afterId: 'b-1' });
    await model.confirmAdd();
    expect(insertApi.created).toEqual([
      ['b', { source: 'box()', after: 'b-1' }]
    ]);
  });
});
