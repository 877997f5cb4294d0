import type { IDagModelApi } from '../model';
import { IDag, IRun } from '../types';

/**
 * A five-cell notebook: a markdown title, then load -> clean -> (plot, stats).
 */
export function sampleDag(): IDag {
  return {
    nodes: [
      {
        id: 'md',
        cell_type: 'markdown',
        title: 'Example',
        source: '# Example',
        index: 0,
        position: null,
        status: 'never_run'
      },
      {
        id: 'load',
        cell_type: 'code',
        title: 'Load data',
        source: 'data = [1, 2, 3]',
        index: 1,
        position: null,
        status: 'never_run'
      },
      {
        id: 'clean',
        cell_type: 'code',
        title: 'Clean',
        source: 'clean = [x * 2 for x in data]',
        index: 2,
        position: null,
        status: 'succeeded'
      },
      {
        id: 'plot',
        cell_type: 'code',
        title: '',
        source: '\n  print(clean)\n',
        index: 3,
        position: null,
        status: 'never_run'
      },
      {
        id: 'stats',
        cell_type: 'code',
        title: 'Stats',
        source: 'total = sum(clean)\nmean = total / len(data)',
        index: 4,
        position: null,
        status: 'failed'
      }
    ],
    edges: [
      {
        id: null,
        source: 'load',
        target: 'clean',
        kind: 'inferred',
        names: ['data']
      },
      {
        id: 'e-clean-plot',
        source: 'clean',
        target: 'plot',
        kind: 'inferred',
        names: ['clean']
      },
      {
        id: null,
        source: 'clean',
        target: 'stats',
        kind: 'inferred',
        names: ['clean', 'data', 'a_very_long_variable_name', 'another_one']
      },
      {
        id: 'm1',
        source: 'md',
        target: 'load',
        kind: 'manual',
        names: []
      }
    ],
    order: ['md', 'load', 'clean', 'plot', 'stats']
  };
}

export function sampleRun(status = 'succeeded'): IRun {
  return {
    id: 'run-1',
    status,
    blocks: ['load', 'clean', 'plot', 'stats'].map((id, i) => ({
      block_id: id,
      status: 'succeeded',
      started_at: '2024-01-01T00:00:00Z',
      finished_at: '2024-01-01T00:00:01Z',
      execution_count: i + 1,
      outputs:
        id === 'plot'
          ? [{ output_type: 'stream', name: 'stdout', text: '[2, 4, 6]\n' }]
          : []
    }))
  };
}

/**
 * A mocked API answering with `sampleDag()` and `sampleRun()`.
 */
export function makeApi(): jest.Mocked<IDagModelApi> {
  return {
    getProject: jest.fn().mockResolvedValue({
      id: 'p1',
      name: 'example',
      notebook_path: 'example.ipynb'
    }),
    getDag: jest.fn().mockImplementation(async () => sampleDag()),
    startRun: jest.fn().mockResolvedValue({ id: 'run-1', status: 'queued' }),
    getRun: jest.fn().mockImplementation(async () => sampleRun('succeeded')),
    listRuns: jest.fn().mockResolvedValue([]),
    queryRuns: jest.fn().mockResolvedValue({ runs: [], total: 0 }),
    cancelRun: jest.fn().mockResolvedValue(undefined),
    retryRun: jest.fn().mockResolvedValue({ id: 'run-2', status: 'queued' }),
    addEdge: jest.fn().mockResolvedValue({}),
    deleteEdge: jest.fn().mockResolvedValue(undefined),
    hideEdge: jest.fn().mockResolvedValue({}),
    savePositions: jest.fn().mockResolvedValue(undefined),
    updateBlock: jest.fn().mockResolvedValue({})
  } as unknown as jest.Mocked<IDagModelApi>;
}

function cell(
  id: string,
  index: number,
  cell_type: 'code' | 'markdown',
  source: string,
  status = 'never_run'
) {
  return { id, index, cell_type, source, title: '', position: null, status };
}

/**
 * A notebook with nested markdown sections:
 *
 * # Analysis (h1) → imp; ## Load (h2a) → load, clean; ## Report (h2b) →
 * plot, stats; # Appendix (h1b) → extra.
 */
export function sectionDag(): IDag {
  const edge = (source: string, target: string, names: string[]) => ({
    id: null,
    source,
    target,
    kind: 'inferred' as const,
    names
  });
  return {
    nodes: [
      cell('h1', 0, 'markdown', '# Analysis\nIntro'),
      cell('imp', 1, 'code', 'import math', 'succeeded'),
      cell('h2a', 2, 'markdown', '## Load'),
      cell('load', 3, 'code', 'data = [1, 2]', 'succeeded'),
      cell('clean', 4, 'code', 'clean = data', 'failed'),
      cell('h2b', 5, 'markdown', 'Report\n------'),
      cell('plot', 6, 'code', 'print(clean)', 'skipped'),
      cell('stats', 7, 'code', 'stats = math.fsum(clean)', 'skipped'),
      cell('h1b', 8, 'markdown', '# Appendix'),
      cell('extra', 9, 'code', 'print(stats)', 'never_run')
    ],
    edges: [
      edge('imp', 'stats', ['math']),
      edge('load', 'clean', ['data']),
      edge('clean', 'plot', ['clean']),
      edge('clean', 'stats', ['clean']),
      edge('stats', 'extra', ['stats']),
      { id: 'm1', source: 'imp', target: 'load', kind: 'manual', names: [] }
    ],
    order: [
      'h1',
      'imp',
      'h2a',
      'load',
      'clean',
      'h2b',
      'plot',
      'stats',
      'h1b',
      'extra'
    ]
  };
}
