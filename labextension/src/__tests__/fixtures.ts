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
