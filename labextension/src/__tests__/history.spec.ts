import {
  blockCounts,
  blockRows,
  formatWhen,
  runDuration,
  runLabel,
  secondsBetween,
  summarizeRun
} from '../history';
import { RunHistory } from '../runhistory';
import { IRun } from '../types';

const NOW = Date.parse('2024-05-01T12:00:00Z');

function run(partial: Partial<IRun> = {}): IRun {
  return {
    id: 'abcdef0123456789',
    project_id: 'p1',
    mode: 'all',
    parent_id: null,
    block_id: null,
    status: 'failed',
    reason: 'Cell 2 failed: ZeroDivisionError: division by zero',
    kernel_id: 'k1',
    owner: 'me',
    created_at: '2024-05-01T11:58:00Z',
    started_at: '2024-05-01T11:58:00Z',
    finished_at: '2024-05-01T11:58:02.500Z',
    blocks: [
      {
        block_id: 'a',
        status: 'succeeded',
        started_at: '2024-05-01T11:58:00Z',
        finished_at: '2024-05-01T11:58:00.250Z',
        execution_count: 1,
        outputs: []
      },
      {
        block_id: 'b',
        status: 'failed',
        started_at: '2024-05-01T11:58:00.300Z',
        finished_at: '2024-05-01T11:58:02Z',
        execution_count: 2,
        outputs: [],
        error: 'ZeroDivisionError: division by zero'
      },
      {
        block_id: 'c',
        status: 'skipped',
        started_at: null,
        finished_at: null,
        execution_count: null,
        outputs: [],
        error: 'an upstream block did not succeed'
      },
      {
        block_id: 'd',
        status: 'up_to_date',
        started_at: null,
        finished_at: null,
        execution_count: null,
        outputs: []
      }
    ],
    ...partial
  };
}

const titles: { [id: string]: string } = { a: 'Load', b: 'Divide' };
const titleOf = (id: string) => titles[id];

describe('durations and dates', () => {
  it('measures between ISO dates, up to now while running', () => {
    expect(
      secondsBetween('2024-05-01T11:59:00Z', '2024-05-01T11:59:01.5Z')
    ).toBe(1.5);
    expect(secondsBetween(null, 'x')).toBeNull();
    expect(secondsBetween('nonsense', null, NOW)).toBeNull();
    expect(runDuration(run(), NOW)).toBe(2.5);
    expect(
      runDuration(run({ status: 'running', finished_at: null }), NOW)
    ).toBe(120);
    expect(runDuration(run({ started_at: null }), NOW)).toBeNull();
    // ended but never stamped: unknown rather than "until now"
    expect(runDuration(run({ finished_at: null }), NOW)).toBeNull();
  });

  it('tells when, relative to now', () => {
    expect(formatWhen('2024-05-01T11:59:58Z', NOW)).toBe('just now');
    expect(formatWhen('2024-05-01T11:59:30Z', NOW)).toBe('30 s ago');
    expect(formatWhen('2024-05-01T11:55:00Z', NOW)).toBe('5 min ago');
    expect(formatWhen('2024-05-01T09:00:00Z', NOW)).toBe('3 h ago');
    expect(formatWhen('2024-04-20T08:30:00Z', NOW)).toBe('2024-04-20 08:30');
    expect(formatWhen(null, NOW)).toBe('');
  });
});

describe('runLabel', () => {
  it('says what the run did', () => {
    expect(runLabel(run())).toBe('Run all');
    expect(runLabel(run({ mode: 'stale' }))).toBe('Run stale');
    expect(runLabel(run({ mode: 'block', block_id: 'a' }), titleOf)).toBe(
      'Run Load'
    );
    expect(runLabel(run({ mode: 'upstream', block_id: 'b' }), titleOf)).toBe(
      'Run Divide with upstream'
    );
    expect(runLabel(run({ mode: 'downstream', block_id: 'zz' }), titleOf)).toBe(
      'Run downstream of zz'
    );
    expect(runLabel(run({ mode: 'retry', parent_id: '1234567890' }))).toBe(
      'Re-run failed of 12345678'
    );
    expect(runLabel(run({ mode: 'odd' }))).toBe('Run (odd)');
  });
});

describe('summarizeRun', () => {
  it('counts block results, most telling first', () => {
    expect(blockCounts(run())).toEqual([
      ['failed', 1],
      ['skipped', 1],
      ['succeeded', 1],
      ['up_to_date', 1]
    ]);
  });

  it('summarises a run for the history', () => {
    expect(summarizeRun(run(), titleOf, NOW)).toEqual({
      id: 'abcdef0123456789',
      shortId: 'abcdef01',
      status: 'failed',
      label: 'Run all',
      when: '2 min ago',
      duration: '2.5 s',
      counts: '1 failed, 1 skipped, 1 succeeded, 1 up to date',
      reason: 'Cell 2 failed: ZeroDivisionError: division by zero',
      canRetry: true,
      canCancel: false
    });
    const running = summarizeRun(
      run({ status: 'running', finished_at: null, reason: null }),
      titleOf,
      NOW
    );
    expect(running).toMatchObject({
      canRetry: false,
      canCancel: true,
      reason: ''
    });
    expect(summarizeRun(run({ status: 'interrupted' })).canRetry).toBe(true);
    expect(summarizeRun(run({ status: 'succeeded' })).canRetry).toBe(false);
  });

  it('lists each block with its time and error', () => {
    expect(blockRows(run(), titleOf)).toEqual([
      {
        blockId: 'a',
        title: 'Load',
        status: 'succeeded',
        duration: '250 ms',
        executionCount: 1,
        error: ''
      },
      {
        blockId: 'b',
        title: 'Divide',
        status: 'failed',
        duration: '1.7 s',
        executionCount: 2,
        error: 'ZeroDivisionError: division by zero'
      },
      {
        blockId: 'c',
        title: 'c',
        status: 'skipped',
        duration: '',
        executionCount: null,
        error: 'an upstream block did not succeed'
      },
      {
        blockId: 'd',
        title: 'd',
        status: 'up_to_date',
        duration: '',
        executionCount: null,
        error: ''
      }
    ]);
  });
});

describe('RunHistory', () => {
  const flush = () => new Promise(resolve => setTimeout(resolve, 0));

  function api() {
    return {
      queryRuns: jest
        .fn()
        .mockImplementation(
          async (_p: string, limit: number, offset: number) => ({
            runs: Array.from({ length: Math.min(limit, 25 - offset) }, (_, i) =>
              run({ id: `r${offset + i}`, blocks: [] })
            ),
            total: 25
          })
        ),
      getRun: jest.fn().mockImplementation(async (id: string) => run({ id })),
      retryRun: jest.fn().mockResolvedValue({ id: 'new', status: 'queued' }),
      cancelRun: jest.fn().mockResolvedValue(undefined)
    };
  }

  it('loads pages, expands runs, retries and cancels', async () => {
    const calls = api();
    const history = new RunHistory('p1', calls as never);
    await history.load();
    expect(history.runs).toHaveLength(20);
    expect(history.total).toBe(25);
    await history.more();
    expect(history.runs).toHaveLength(25);
    expect(calls.queryRuns).toHaveBeenLastCalledWith('p1', 20, 20);

    history.toggle('r3');
    expect(history.expanded.has('r3')).toBe(true);
    await flush();
    expect(history.details('r3')?.blocks).toHaveLength(4);
    history.toggle('r3');
    expect(history.expanded.has('r3')).toBe(false);

    await expect(history.retry('r3')).resolves.toEqual({
      id: 'new',
      status: 'queued'
    });
    expect(calls.queryRuns).toHaveBeenLastCalledWith('p1', 25, 0);
    await history.cancel('r3');
    expect(calls.cancelRun).toHaveBeenCalledWith('r3');
    expect(history.error).toBeNull();
  });

  it('reports what the server refuses', async () => {
    const calls = api();
    calls.retryRun.mockRejectedValueOnce(
      new Error('every block of run r1 succeeded')
    );
    const history = new RunHistory('p1', calls as never);
    await expect(history.retry('r1')).resolves.toBeNull();
    expect(history.error).toBe('every block of run r1 succeeded');
    calls.queryRuns.mockRejectedValueOnce(new Error('offline'));
    await history.load();
    expect(history.error).toBe('offline');
    expect(history.loading).toBe(false);
  });
});
