import * as React from 'react';
import { act } from 'react';
import { createRoot, Root } from 'react-dom/client';

import { DatasetsApi } from '../datasets/api';
import { DatasetsPanel } from '../datasets/DatasetsPanel';
import {
  IDataset,
  IPreview,
  IProfileRecord,
  IReportRecord
} from '../datasets/types';

(
  globalThis as unknown as { IS_REACT_ACT_ENVIRONMENT: boolean }
).IS_REACT_ACT_ENVIRONMENT = true;

const DATASET: IDataset = {
  id: 'd1',
  name: 'iris.csv',
  description: '',
  tags: ['flowers'],
  project_id: 'p1',
  owner: 'me',
  current_version: 1,
  versions: 1,
  created_at: '2026-01-01T00:00:00Z',
  updated_at: '2026-01-01T00:00:00Z',
  latest: {
    version: 1,
    sha256: 'a'.repeat(64),
    format: 'csv',
    size_bytes: 4185,
    source: 'upload',
    path: null,
    original_name: 'iris.csv',
    created_at: '2026-01-01T00:00:00Z',
    profile_status: 'ready',
    rows: 150,
    columns: 2,
    quality_score: 97.5,
    changed_on_disk: false
  }
};

const PREVIEW: IPreview = {
  dataset_id: 'd1',
  version: 1,
  format: 'csv',
  columns: [
    { name: 'sepal', dtype: 'float64' },
    { name: 'species', dtype: 'object' }
  ],
  rows: [
    [5.1, 'setosa'],
    [4.9, null]
  ],
  offset: 0,
  limit: 50,
  total_rows: 150,
  has_more: true
};

const PROFILE: IProfileRecord = {
  dataset_id: 'd1',
  version: 1,
  sha256: 'a'.repeat(64),
  status: 'ready',
  error: null,
  duration: 0.1,
  profile: {
    rows: 150,
    columns: 2,
    memory_bytes: 4000,
    missing_cells: 1,
    missing_ratio: 0.003,
    duplicate_rows: 1,
    duplicate_ratio: 0.006,
    duplicate_groups: 1,
    quality: {
      score: 97.5,
      grade: 'A',
      rules: [
        {
          id: 'duplicate_rows',
          title: 'No duplicate rows',
          problem:
            '1 row repeats an earlier row (0.7 %); 1 distinct row occurs more than once',
          penalty: 0.67,
          max_penalty: 20,
          passed: false,
          columns: []
        }
      ]
    },
    column_profiles: [
      {
        name: 'sepal',
        dtype: 'float64',
        kind: 'numeric',
        missing: 0,
        missing_ratio: 0,
        min: 4.3,
        max: 7.9,
        mean: 5.84,
        std: 0.83,
        histogram: { edges: [4, 5, 6, 7, 8], counts: [20, 60, 50, 20] }
      },
      {
        name: 'species',
        dtype: 'string',
        kind: 'categorical',
        missing: 1,
        missing_ratio: 0.0067,
        distinct: 3,
        top: [{ value: 'setosa', count: 50 }]
      }
    ]
  }
};

function fakeApi(): {
  api: DatasetsApi;
  calls: string[];
  report: { current: IReportRecord };
} {
  const calls: string[] = [];
  const report = {
    current: {
      dataset_id: 'd1',
      version: 1,
      sha256: '',
      status: 'none',
      progress: 0,
      message: '',
      error: null,
      rows: null,
      sample_rows: null
    } as IReportRecord
  };
  const api = {
    list: async (query: unknown) => {
      calls.push(`list ${JSON.stringify(query)}`);
      return { datasets: [DATASET], total: 1 };
    },
    preview: async (id: string, offset: number) => {
      calls.push(`preview ${id} ${offset}`);
      return { ...PREVIEW, offset };
    },
    profile: async () => PROFILE,
    versions: async () => ({
      dataset_id: 'd1',
      current_version: 1,
      versions: [DATASET.latest]
    }),
    reportStatus: async () => {
      calls.push(`status ${report.current.status}`);
      return report.current;
    },
    startReport: async () => {
      calls.push('start');
      report.current = { ...report.current, status: 'running', progress: 0.5 };
      return report.current;
    },
    reportUrl: (id: string) => `/base/notebook-dag/api/datasets/${id}/report`
  } as unknown as DatasetsApi;
  return { api, calls, report };
}

async function flush(ms = 0): Promise<void> {
  await act(async () => {
    await new Promise(resolve => setTimeout(resolve, ms));
  });
}

describe('DatasetsPanel', () => {
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

  it('lists, previews, profiles and opens the report when ready', async () => {
    const { api, calls, report } = fakeApi();
    const opened: [string, string][] = [];
    act(() => {
      root.render(
        <DatasetsPanel
          projectId="p1"
          api={api}
          pollInterval={10}
          onOpenReport={(url, title) => opened.push([url, title])}
        />
      );
    });
    await flush(200);
    expect(calls[0]).toBe(
      'list {"q":"","tag":"","project_id":"p1","sort":"-updated","limit":200}'
    );
    const item = container.querySelector(
      '[data-testid="dataset-d1"]'
    ) as HTMLElement;
    expect(item.textContent).toContain('iris.csv');
    expect(item.textContent).toContain('150 rows');
    expect(container.textContent).toContain('#flowers');

    act(() => item.click());
    await flush(20);
    const cells = Array.from(
      container.querySelectorAll('[data-testid="preview"] td')
    ).map(td => td.textContent);
    expect(cells).toEqual(['5.1', 'setosa', '4.9', '']);
    expect(container.textContent).toContain('rows 1–2 of 150');

    const next = Array.from(container.querySelectorAll('button')).find(
      b => b.textContent === 'Next ›'
    )!;
    act(() => next.click());
    await flush(20);
    expect(calls).toContain('preview d1 50');

    const profileTab = Array.from(container.querySelectorAll('button')).find(
      b => b.textContent === 'profile'
    )!;
    act(() => profileTab.click());
    await flush(20);
    expect(
      container.querySelector('[data-testid="quality-score"]')!.textContent
    ).toBe('97.5 (A)');
    const bars = container.querySelectorAll(
      '[data-testid="profile-column-sepal"] svg rect'
    );
    expect(bars).toHaveLength(4);
    // the failed rule says what was found, not the rule's goal after a minus sign
    const rule = container.querySelector('[data-rule="duplicate_rows"]')!;
    expect(rule.textContent).toBe(
      '1 row repeats an earlier row (0.7 %); 1 distinct row occurs more than once (−0.67 points)'
    );
    expect(
      container.querySelector('[data-testid="duplicate-rows"]')!.textContent
    ).toBe('1 row repeats an earlier row (1 distinct row duplicated)');

    const button = container.querySelector(
      '[data-testid="report-button"]'
    ) as HTMLButtonElement;
    expect(button.textContent).toBe('Build full report');
    await act(async () => button.click());
    await flush(5);
    expect(button.textContent).toBe('Report 50%…');
    report.current = { ...report.current, status: 'succeeded', progress: 1 };
    await flush(60);
    expect(opened).toEqual([
      ['/base/notebook-dag/api/datasets/d1/report', 'Report: iris.csv']
    ]);
    expect(button.textContent).toBe('Open full report');
  });
});
