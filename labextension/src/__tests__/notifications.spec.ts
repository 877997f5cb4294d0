import { IDagNotification } from '../notifications/api';
import {
  actionOf,
  createdFor,
  NOTIFICATION_SCHEMA_ID,
  startupBatch,
  toastText,
  toastType,
  wanted
} from '../notifications/logic';

function note(
  id: number,
  extra: Partial<IDagNotification> = {}
): IDagNotification {
  return {
    id,
    kind: 'run',
    level: 'success',
    title: `n${id}`,
    message: '',
    target: {},
    read: false,
    created_at: '2026-12-07T00:00:00Z',
    ...extra
  };
}

describe('notification events', () => {
  const emission = {
    schema_id: NOTIFICATION_SCHEMA_ID,
    user: 'alice',
    action: 'created',
    id: 7,
    kind: 'share'
  };

  it('keeps only notifications created for this user', () => {
    expect(createdFor(emission, 'alice')).toEqual({
      user: 'alice',
      action: 'created',
      id: 7,
      kind: 'share'
    });
    expect(createdFor(emission, 'bob')).toBeNull();
    expect(createdFor(emission, null)).toBeNull();
    expect(createdFor({ ...emission, action: 'read' }, 'alice')).toBeNull();
    expect(createdFor({ ...emission, schema_id: 'other' }, 'alice')).toBeNull();
    expect(createdFor({ ...emission, id: 'x' }, 'alice')).toBeNull();
  });
});

describe('notification settings', () => {
  it('receives every kind unless set to false', () => {
    expect(wanted(null, 'run')).toBe(true);
    expect(wanted({ run: true, share: false }, 'run')).toBe(true);
    expect(wanted({ run: true, share: false }, 'share')).toBe(false);
    expect(wanted({ run: false }, 'import')).toBe(true);
  });

  it('shows a few unread wanted ones at start and counts the rest', () => {
    const list = [
      note(1),
      note(2, { kind: 'share' }),
      note(3),
      note(4),
      note(5, { read: true })
    ];
    const batch = startupBatch(list, 4, { share: false }, 2);
    expect(batch.show.map(n => n.id)).toEqual([1, 3]);
    expect(batch.more).toBe(1); // 4; the unwanted share is not counted
    // unread ones beyond the fetched page are counted too
    expect(startupBatch(list, 10, null, 3)).toEqual({
      show: [list[0], list[1], list[2]],
      more: 7
    });
    expect(startupBatch([], 0, null, 3)).toEqual({ show: [], more: 0 });
  });
});

describe('notification actions', () => {
  it('opens the run, the project, the report or the URL', () => {
    expect(
      actionOf(note(1, { target: { project_id: 'p', run_id: 'r' } }))
    ).toEqual({ type: 'run', label: 'Open run', projectId: 'p', runId: 'r' });
    expect(
      actionOf(note(2, { kind: 'share', target: { project_id: 'p' } }))
    ).toEqual({ type: 'project', label: 'Open project', projectId: 'p' });
    expect(
      actionOf(
        note(3, { kind: 'ai', target: { project_id: 'p', block_id: 'b' } })
      )
    ).toEqual({
      type: 'project',
      label: 'Open project',
      projectId: 'p',
      blockId: 'b'
    });
    expect(
      actionOf(
        note(4, { kind: 'report', title: 'R', target: { dataset_id: 'd' } })
      )
    ).toEqual({
      type: 'report',
      label: 'Open report',
      datasetId: 'd',
      title: 'R'
    });
    expect(
      actionOf(
        note(5, { kind: 'report', level: 'error', target: { dataset_id: 'd' } })
      )
    ).toBeNull();
    expect(
      actionOf(note(6, { kind: 'import', target: { url: 'https://x/y.csv' } }))
    ).toEqual({ type: 'url', label: 'Open', url: 'https://x/y.csv' });
    expect(actionOf(note(7, { kind: 'import', target: {} }))).toBeNull();
  });

  it('types and words the toast by outcome', () => {
    expect(toastType(note(1, { level: 'error' }))).toBe('error');
    expect(toastType(note(1, { level: 'success' }))).toBe('success');
    expect(toastType(note(1, { level: 'info' }))).toBe('info');
    expect(toastText(note(1, { title: 'T', message: 'M' }))).toBe('T: M');
    expect(toastText(note(1, { title: 'T' }))).toBe('T');
  });
});
