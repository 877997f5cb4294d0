import * as React from 'react';
import { act } from 'react';
import { createRoot, Root } from 'react-dom/client';

import { IBlockInserter, IInsertedBlock } from '../blockinsert';
import { DatasetsApi } from '../datasets/api';
import { IAnalysis, ICharts } from '../datasets/analysistypes';
import { DatasetsPanel } from '../datasets/DatasetsPanel';
import { IDataset } from '../datasets/types';
import { ApiError } from '../handler';

(
  globalThis as unknown as { IS_REACT_ACT_ENVIRONMENT: boolean }
).IS_REACT_ACT_ENVIRONMENT = true;

const DATASET = {
  id: 'd1',
  name: 'iris.csv',
  description: '',
  tags: [],
  project_id: 'p1',
  owner: 'me',
  current_version: 1,
  versions: 1,
  created_at: '2026-01-01T00:00:00Z',
  updated_at: '2026-01-01T00:00:00Z',
  latest: {
    version: 1,
    sha256: 'a',
    format: 'csv',
    size_bytes: 4000,
    source: 'upload',
    path: null,
    original_name: 'iris.csv',
    created_at: '2026-01-01T00:00:00Z',
    profile_status: 'ready',
    rows: 150,
    columns: 5,
    quality_score: 99,
    changed_on_disk: false
  }
} as IDataset;

const CORRELATION: IAnalysis = {
  dataset_id: 'd1',
  version: 1,
  sha256: 'a',
  kind: 'correlation',
  code: 'df.corr()',
  seconds: 0.2,
  cached: false,
  result: {
    kind: 'correlation',
    rows: 150,
    numeric_columns: ['petal_length', 'petal_width'],
    categorical_columns: [],
    skipped: [],
    matrices: [
      {
        method: 'pearson',
        rows: ['petal_length', 'petal_width'],
        columns: ['petal_length', 'petal_width'],
        values: [
          [1, 0.96],
          [0.96, 1]
        ],
        p_values: [
          [null, 1e-80],
          [1e-80, null]
        ],
        n: [
          [150, 150],
          [150, 150]
        ]
      }
    ],
    pairs: [
      {
        columns: ['petal_length', 'petal_width'],
        method: 'pearson',
        value: 0.9629,
        p_value: 1e-80,
        n: 150
      }
    ],
    sampling: { rows: 150, sample_rows: 150, sampled: false, methods: [] }
  }
};

const CHARTS: ICharts = {
  dataset_id: 'd1',
  version: 1,
  sha256: 'a',
  rows: 150,
  seconds: 0.5,
  cached: true,
  charts: [
    {
      kind: 'scatter',
      title: 'petal_width against petal_length',
      reason: 'strongly correlated (Pearson r = 0.96)',
      columns: ['petal_length', 'petal_width'],
      score: 0.88,
      code: 'plt.scatter(...)',
      preview: 'iVBORw0KGgo=',
      preview_error: null
    }
  ]
};

function fakeApi(): DatasetsApi {
  return {
    list: async () => ({ datasets: [DATASET], total: 1 }),
    preview: async () => ({
      dataset_id: 'd1',
      version: 1,
      format: 'csv',
      columns: [],
      rows: [],
      offset: 0,
      limit: 50,
      total_rows: 0,
      has_more: false
    }),
    reportStatus: async () => ({ status: 'none' }),
    analysis: async (_id: string, kind: string) => {
      if (kind === 'correlation') {
        return CORRELATION;
      }
      throw new ApiError(
        503,
        'The analysis service is busy: try again in a minute',
        null
      );
    },
    charts: async () => CHARTS,
    lineage: async () => ({ dataset_id: 'd1', readers: [], writers: [] })
  } as unknown as DatasetsApi;
}

function button(container: HTMLElement, text: string): HTMLButtonElement {
  return Array.from(container.querySelectorAll('button')).find(
    b => b.textContent === text
  )!;
}

async function flush(ms = 0): Promise<void> {
  await act(async () => {
    await new Promise(resolve => setTimeout(resolve, ms));
  });
}

describe('DatasetsPanel analysis and charts', () => {
  let container: HTMLDivElement;
  let root: Root;

  beforeEach(() => {
    container = document.createElement('div');
    document.body.appendChild(container);
    root = createRoot(container);
  });

  afterEach(() => {
    act(() => root.unmount());
    container.remove();
  });

  it('shows the correlations, the server message of a 503, and adds a chart', async () => {
    const inserted: [string, string | null, string][] = [];
    const added: string[] = [];
    const inserter: IBlockInserter = {
      api: {
        listProjects: async () => [
          { id: 'p0', name: 'Other', notebook_path: 'other.ipynb' },
          { id: 'p1', name: 'Iris', notebook_path: 'iris.ipynb' }
        ],
        listBlocks: async () => [
          {
            id: 'c1',
            cell_type: 'code',
            source: '',
            title: 'load',
            index: 0,
            position: null
          }
        ],
        createBlock: async () => {
          throw new Error('not used');
        }
      },
      insert: async (project, afterId, source): Promise<IInsertedBlock> => {
        inserted.push([project.id, afterId, source]);
        return {
          projectId: project.id,
          notebookPath: project.notebook_path,
          blockId: 'new',
          where: 'server'
        };
      }
    };
    act(() => {
      root.render(
        <DatasetsPanel
          projectId="p1"
          api={fakeApi()}
          inserter={inserter}
          onBlockAdded={(result, title) =>
            added.push(`${title}:${result.blockId}`)
          }
        />
      );
    });
    await flush(200);
    act(() =>
      (
        container.querySelector('[data-testid="dataset-d1"]') as HTMLElement
      ).click()
    );
    await flush(20);

    act(() => button(container, 'analysis').click());
    await flush(20);
    // statistics fails with 503: the server's message is shown
    expect(
      container.querySelector('[data-testid="insights-error"]')!.textContent
    ).toBe('The analysis service is busy: try again in a minute (HTTP 503)');
    act(() => button(container, 'correlation').click());
    await flush(20);
    expect(
      container.querySelector('[data-testid="correlation-pair"]')!.textContent
    ).toBe('petal_length ↔ petal_width: Pearson r 0.96');
    expect(container.textContent).toContain('p < 0.001, n = 150');
    const cells = container.querySelectorAll(
      '[data-testid="correlation-matrix-pearson"] td'
    );
    expect(Array.from(cells).map(c => c.textContent)).toEqual([
      '1.00',
      '0.96',
      '0.96',
      '1.00'
    ]);

    act(() => button(container, 'charts').click());
    await flush(20);
    const card = container.querySelector('[data-testid="chart-card"]')!;
    expect(card.querySelector('img')!.getAttribute('src')).toBe(
      'data:image/png;base64,iVBORw0KGgo='
    );
    expect(card.textContent).toContain('strongly correlated');

    act(() => button(card as HTMLElement, 'Add to project').click());
    await flush(20);
    const project = card.querySelector(
      'select[aria-label="Project"]'
    ) as HTMLSelectElement;
    expect(project.value).toBe('p1'); // the current project
    const position = card.querySelector(
      'select[aria-label="Position"]'
    ) as HTMLSelectElement;
    expect(position.value).toBe('');
    expect(Array.from(position.options).map(o => o.text)).toEqual([
      'At the end',
      'After [1] load'
    ]);
    await act(async () => button(card as HTMLElement, 'Add block').click());
    await flush(20);
    expect(inserted).toEqual([['p1', null, 'plt.scatter(...)']]);
    expect(added).toEqual(['petal_width against petal_length:new']);
    expect(
      container.querySelector('[data-testid="block-added"]')!.textContent
    ).toContain('Added “petal_width against petal_length” to Iris');
  });
});
