/**
 * The pure parts of the notebook ↔ server sync: when to send, what to send,
 * which project "Open DAG view" opens, and accepting AI code into an open
 * notebook.
 */
import { YNotebook } from '@jupyter/ydoc';

import { acceptGeneration, ILocalBlockEdits } from '../ai/local';
import { ApiError } from '../handler';
import { adoptFileCellIds, fileCellIds, sha256Hex } from '../notebook/cellids';
import {
  chooseProject,
  choiceLabels,
  newestFirst,
  resolveProject
} from '../notebook/projectchoice';
import {
  documentBody,
  insertionIndex,
  isCollaboration,
  sourceText
} from '../notebook/syncbody';
import { SendReason, SyncScheduler } from '../notebook/syncschedule';
import { IProject } from '../types';

describe('SyncScheduler', () => {
  let sent: SendReason[];
  let scheduler: SyncScheduler;
  let release: (() => void) | null;

  beforeEach(() => {
    jest.useFakeTimers();
    sent = [];
    release = null;
    scheduler = new SyncScheduler(async reason => {
      sent.push(reason);
    });
  });

  afterEach(() => {
    scheduler.stop();
    jest.useRealTimers();
  });

  const settle = async () => {
    for (let i = 0; i < 10; i++) {
      await Promise.resolve();
    }
  };

  it('sends once, 300 ms after the last of several changes', async () => {
    scheduler.start();
    scheduler.touch();
    jest.advanceTimersByTime(200);
    scheduler.touch();
    jest.advanceTimersByTime(299);
    await settle();
    expect(sent).toEqual([]);
    jest.advanceTimersByTime(1);
    await settle();
    expect(sent).toEqual(['change']);
  });

  it('ignores changes until started and after stopped', async () => {
    scheduler.touch();
    jest.advanceTimersByTime(1000);
    scheduler.start();
    scheduler.stop();
    scheduler.touch();
    jest.advanceTimersByTime(60000);
    await settle();
    expect(sent).toEqual([]);
  });

  it('beats every 30 s without changes, counted from the last send', async () => {
    scheduler.start();
    jest.advanceTimersByTime(29999);
    await settle();
    expect(sent).toEqual([]);
    jest.advanceTimersByTime(1);
    await settle();
    expect(sent).toEqual(['heartbeat']);
    jest.advanceTimersByTime(10000);
    scheduler.touch();
    jest.advanceTimersByTime(300);
    await settle();
    expect(sent).toEqual(['heartbeat', 'change']);
    // The change restarted the 30 s.
    jest.advanceTimersByTime(29000);
    await settle();
    expect(sent).toEqual(['heartbeat', 'change']);
    jest.advanceTimersByTime(1000);
    await settle();
    expect(sent).toEqual(['heartbeat', 'change', 'heartbeat']);
  });

  it('flush sends at once, replacing a pending change', async () => {
    scheduler.start();
    scheduler.touch();
    await scheduler.flush();
    jest.advanceTimersByTime(1000);
    await settle();
    expect(sent).toEqual(['now']);
  });

  it('sends one at a time: a flush during a send waits and sends after', async () => {
    scheduler = new SyncScheduler(
      reason =>
        new Promise<void>(resolve => {
          sent.push(reason);
          release = resolve;
        })
    );
    scheduler.start();
    scheduler.touch();
    jest.advanceTimersByTime(300);
    await settle();
    expect(sent).toEqual(['change']);
    let flushed = false;
    const flushing = scheduler.flush().then(() => {
      flushed = true;
    });
    await settle();
    expect(sent).toEqual(['change']); // still in flight
    release!();
    await settle();
    expect(sent).toEqual(['change', 'now']);
    expect(flushed).toBe(false); // waits for its own send
    release!();
    await flushing;
    expect(flushed).toBe(true);
  });

  it('goes on after a failed send', async () => {
    let fail = true;
    scheduler = new SyncScheduler(async reason => {
      sent.push(reason);
      if (fail) {
        fail = false;
        throw new Error('offline');
      }
    });
    scheduler.start();
    scheduler.touch();
    jest.advanceTimersByTime(300);
    await settle();
    jest.advanceTimersByTime(30000);
    await settle();
    expect(sent).toEqual(['change', 'heartbeat']);
  });
});

describe('documentBody', () => {
  it('maps cells to id, type, source (joined) and metadata, no outputs', () => {
    const body = documentBody(
      [
        {
          id: 'a',
          cell_type: 'code',
          source: ['x = 1\n', 'y = 2'],
          metadata: { tags: ['t'] },
          outputs: [{ output_type: 'stream' }]
        } as any,
        { id: 'b', cell_type: 'markdown', source: '# T', metadata: {} },
        { cell_type: 'code', source: 'lost' },
        { id: 'c', cell_type: 'weird', source: 'r' }
      ],
      { kernelspec: { name: 'python3' }, widgets: { huge: 1 } }
    );
    expect(body).toEqual({
      cells: [
        {
          id: 'a',
          cell_type: 'code',
          source: 'x = 1\ny = 2',
          metadata: { tags: ['t'] }
        },
        { id: 'b', cell_type: 'markdown', source: '# T' },
        { id: 'c', cell_type: 'raw', source: 'r' }
      ],
      metadata: { kernelspec: { name: 'python3' } }
    });
  });

  it('leaves empty notebook metadata out', () => {
    expect(documentBody([], { widgets: {} })).toEqual({ cells: [] });
    expect(documentBody([])).toEqual({ cells: [] });
  });

  it('reads answers and helpers', () => {
    expect(isCollaboration({ live: 'collaboration' })).toBe(true);
    expect(
      isCollaboration({ live: 'editor', revision: 1, expires_in: 120 })
    ).toBe(false);
    expect(isCollaboration(undefined)).toBe(false);
    expect(sourceText(undefined)).toBe('');
    expect(insertionIndex(['a', 'b', 'c'], 'b')).toBe(2);
    expect(insertionIndex(['a', 'b', 'c'], 'zz')).toBe(3);
    expect(insertionIndex(['a'], null)).toBe(1);
  });
});

describe('project choice', () => {
  const project = (
    id: string,
    created_at: string,
    last_opened_at: string | null = null,
    notebook_path = 'nb.ipynb'
  ): IProject => ({
    id,
    name: `name-${id}`,
    notebook_path,
    created_at,
    last_opened_at
  });

  it('creates when the notebook has no project, uses its only one', () => {
    expect(chooseProject([], 'nb.ipynb')).toEqual({ kind: 'create' });
    const only = project('a', '2024-01-01T00:00:00Z');
    expect(chooseProject([only], 'nb.ipynb')).toEqual({
      kind: 'use',
      project: only
    });
  });

  it('uses the last opened of several', () => {
    const a = project('a', '2024-01-01T00:00:00Z', '2024-03-01T00:00:00Z');
    const b = project('b', '2024-02-01T00:00:00Z', '2024-04-01T00:00:00Z');
    const c = project('c', '2024-05-01T00:00:00Z');
    expect(chooseProject([a, b, c], 'nb.ipynb')).toEqual({
      kind: 'use',
      project: b
    });
  });

  it('asks, newest first, when none of several was opened', () => {
    const a = project('a', '2024-01-01T00:00:00Z');
    const b = project('b', '2024-05-01T00:00:00Z');
    const c = project('c', '2024-03-01T00:00:00Z');
    expect(chooseProject([a, b, c], 'nb.ipynb')).toEqual({
      kind: 'ask',
      projects: [b, c, a]
    });
    expect(newestFirst([a, { ...b, created_at: undefined }, c])[2].id).toBe(
      'b'
    );
  });

  it('ignores projects of other paths when the notebook has its own', () => {
    const mine = project('a', '2024-01-01T00:00:00Z');
    const other = project('o', '2024-01-01T00:00:00Z', null, 'x/nb.ipynb');
    expect(chooseProject([other, mine], 'nb.ipynb')).toEqual({
      kind: 'use',
      project: mine
    });
  });

  it('labels choices by name and day, unique', () => {
    const a = project('aaaaaaaa-1', '2024-01-01T10:00:00Z');
    const b = {
      ...project('bbbbbbbb-2', '2024-01-01T11:00:00Z'),
      name: a.name
    };
    expect(choiceLabels([a, b])).toEqual([
      'name-aaaaaaaa-1 (created 2024-01-01) [aaaaaaaa]',
      'name-aaaaaaaa-1 (created 2024-01-01) [bbbbbbbb]'
    ]);
  });

  it('resolves: creates, uses or asks', async () => {
    const created = project('new', '2024-06-01T00:00:00Z');
    const api = {
      listProjects: jest.fn().mockResolvedValue([]),
      createProject: jest.fn().mockResolvedValue(created)
    };
    const ask = jest.fn();
    await expect(resolveProject(api as any, 'dir/nb.ipynb', ask)).resolves.toBe(
      created
    );
    expect(api.createProject).toHaveBeenCalledWith('nb', 'dir/nb.ipynb');
    const a = project('a', '2024-01-01T00:00:00Z');
    const b = project('b', '2024-02-01T00:00:00Z');
    api.listProjects.mockResolvedValue([a, b]);
    ask.mockResolvedValue(null);
    await expect(resolveProject(api as any, 'nb.ipynb', ask)).resolves.toBe(
      null
    );
    expect(ask).toHaveBeenCalledWith([b, a], 'nb.ipynb');
    expect(api.createProject).toHaveBeenCalledTimes(1);
  });
});

describe('acceptGeneration', () => {
  const edits = (active: boolean): jest.Mocked<ILocalBlockEdits> => ({
    active: jest.fn(() => active),
    insert: jest.fn(async (_after: string | null, _code: string) => 'cell-new'),
    replace: jest.fn(async (_id: string, _code: string) => true)
  });

  it('lets the server apply when the notebook is not open here', async () => {
    const api = { accept: jest.fn(async () => ({ block_id: 'srv' }) as any) };
    const local = edits(false);
    await expect(
      acceptGeneration(api, 'g1', local, l => l.insert(null, 'x'))
    ).resolves.toBe('srv');
    expect(api.accept).toHaveBeenCalledWith('g1', true);
    expect(local.insert).not.toHaveBeenCalled();
  });

  it('records only, and edits the open notebook', async () => {
    const api = { accept: jest.fn(async () => ({}) as any) };
    const local = edits(true);
    await expect(
      acceptGeneration(api, 'g1', local, l => l.insert('after', 'code'))
    ).resolves.toBe('cell-new');
    expect(api.accept).toHaveBeenCalledWith('g1', false);
    expect(local.insert).toHaveBeenCalledWith('after', 'code');
  });

  it('falls back to the open notebook on 409 open_in_editor', async () => {
    const refused = new ApiError(409, 'open in JupyterLab', {
      message: 'open in JupyterLab',
      reason: 'open_in_editor'
    });
    const api = {
      accept: jest.fn().mockRejectedValueOnce(refused).mockResolvedValueOnce({})
    };
    const local = edits(false);
    await expect(
      acceptGeneration(api, 'g1', local, async l =>
        (await l.replace('c1', 'fixed')) ? 'c1' : null
      )
    ).resolves.toBe('c1');
    expect(api.accept.mock.calls).toEqual([
      ['g1', true],
      ['g1', false]
    ]);
    // Other errors are the caller's.
    api.accept.mockRejectedValueOnce(new ApiError(500, 'boom', null));
    await expect(
      acceptGeneration(api, 'g2', local, async () => 'x')
    ).rejects.toThrow('boom');
  });
});

describe('cell ids of an older notebook', () => {
  it('hashes as the server does (SHA-256 of the UTF-8 path)', () => {
    expect(sha256Hex('abc')).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'
    );
    expect(sha256Hex('a'.repeat(100))).toBe(
      '2816597888e4a0d3a36b82b83316ab32680eb8f00f8cd3b904d681246d285a0e'
    );
    expect(sha256Hex('dir/Ünïcode nb.ipynb')).toBe(
      'e26a1c5cd0aa3519a86cd816bfdb056f800b047e63d7e3737bc9b299dc53b992'
    );
    expect(fileCellIds('tests-x/no_ids.ipynb', 2)).toEqual([
      'c757c8b2-0',
      'c757c8b2-1'
    ]);
  });

  it('adopts them in a 4.4 notebook, made 4.5 and not dirty', () => {
    const nb = new YNotebook();
    nb.nbformat = 4;
    nb.nbformat_minor = 4;
    nb.insertCells(0, [
      { cell_type: 'code', source: 'a = 1' },
      { cell_type: 'markdown', source: '# T' }
    ]);
    nb.dirty = false;
    expect(adoptFileCellIds(nb, 'tests-x/no_ids.ipynb')).toBe(true);
    expect(nb.cells.map(c => c.id)).toEqual(['c757c8b2-0', 'c757c8b2-1']);
    expect(nb.nbformat_minor).toBe(5);
    expect(nb.dirty).toBe(false);
    expect(nb.toJSON().cells.map(c => c.id)).toEqual([
      'c757c8b2-0',
      'c757c8b2-1'
    ]);
    // A 4.5 notebook keeps its ids.
    expect(adoptFileCellIds(nb, 'other.ipynb')).toBe(false);
    expect(nb.cells[0].id).toBe('c757c8b2-0');
  });
});
