import {
  CRON_PRESETS,
  cronProblem,
  describeSchedule,
  formProblem,
  initialScheduleState,
  scheduleReducer,
  scheduleRequest
} from '../schedules/form';

describe('the Schedule… form', () => {
  const initial = initialScheduleState('sales', 'Europe/Paris');

  it('starts on a daily stale run in the given time zone', () => {
    expect(initial.form).toEqual({
      name: 'sales (scheduled)',
      cron: '0 6 * * *',
      timezone: 'Europe/Paris',
      mode: 'stale',
      maxParallel: null
    });
    expect(initial.schedules).toBeNull();
    expect(formProblem(initial.form)).toBeNull();
  });

  it('catches cron expressions without five fields', () => {
    expect(cronProblem('0 6 * *')).toMatch(/5 fields.*has 4/);
    expect(cronProblem('0 6 * * * *')).toMatch(/has 6/);
    expect(cronProblem('0 6 * * mon')).toBeNull();
    expect(cronProblem('*/15 9-17 * * 1-5')).toBeNull();
    expect(cronProblem('0 6 * * {x}')).toMatch(/"\{x\}" is not a cron field/);
    for (const preset of CRON_PRESETS) {
      expect(cronProblem(preset.cron)).toBeNull();
    }
  });

  it('asks for a name and a time zone', () => {
    expect(formProblem({ ...initial.form, name: '  ' })).toMatch(/name/);
    expect(formProblem({ ...initial.form, timezone: '' })).toMatch(/time zone/);
  });

  it('sends the trimmed form, max_parallel only when chosen', () => {
    const form = { ...initial.form, cron: ' 0  6 * * 1 ', name: ' weekly ' };
    expect(scheduleRequest(form)).toEqual({
      name: 'weekly',
      schedule: '0 6 * * 1',
      timezone: 'Europe/Paris',
      mode: 'stale'
    });
    expect(scheduleRequest({ ...form, maxParallel: 2, mode: 'all' })).toEqual(
      expect.objectContaining({ max_parallel: 2, mode: 'all' })
    );
  });

  it('keeps the list in step with creates and deletes', () => {
    const a = {
      id: 'a',
      project_id: 'p',
      name: 'daily',
      schedule: '0 6 * * *' as string | null,
      timezone: 'UTC',
      mode: 'stale' as const,
      max_parallel: null,
      active: true,
      owner: 'me',
      created_at: '2026-12-07T00:00:00Z'
    };
    let state = scheduleReducer(initial, { type: 'loaded', schedules: [a] });
    state = scheduleReducer(state, { type: 'busy' });
    expect(state.busy).toBe(true);
    const b = { ...a, id: 'b', schedule: '5 4 * * *', mode: 'all' as const };
    state = scheduleReducer(state, { type: 'created', schedule: b });
    expect(state.schedules!.map(s => s.id)).toEqual(['a', 'b']);
    expect(state.busy).toBe(false);
    state = scheduleReducer(state, { type: 'deleted', id: 'a' });
    expect(state.schedules!.map(s => s.id)).toEqual(['b']);
    state = scheduleReducer(state, { type: 'failed', message: 'no' });
    expect(state.error).toBe('no');
    state = scheduleReducer(state, { type: 'edit', patch: { mode: 'all' } });
    expect(state.error).toBeNull();
    expect(state.form.mode).toBe('all');
    expect(describeSchedule(a)).toBe(
      'Every day at 06:00 (UTC), runs stale cells'
    );
    expect(describeSchedule(b)).toBe('cron "5 4 * * *" (UTC), runs every cell');
    expect(describeSchedule({ ...b, schedule: null, active: false })).toBe(
      'No schedule (UTC), runs every cell, paused'
    );
  });

  it('shows why schedules are unavailable', () => {
    const state = scheduleReducer(initial, {
      type: 'unavailable',
      message: 'jupyter-scheduler is not installed'
    });
    expect(state.unavailable).toMatch(/not installed/);
    expect(state.schedules).toEqual([]);
  });
});
