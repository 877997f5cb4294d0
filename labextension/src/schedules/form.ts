/**
 * The "Schedule…" form of a project, as pure functions: its state, a reducer,
 * checks and the request it sends (`POST /projects/{id}/schedules`, which
 * makes a jupyter-scheduler job definition that runs the project's DAG).
 */
import type { ISchedule, IScheduleInput } from './api';

/**
 * Cron presets offered beside a free cron expression (five fields: minute,
 * hour, day of month, month, day of week; croniter's syntax).
 */
export const CRON_PRESETS: ReadonlyArray<{ label: string; cron: string }> = [
  { label: 'Every hour', cron: '0 * * * *' },
  { label: 'Every day at 06:00', cron: '0 6 * * *' },
  { label: 'Every Monday at 06:00', cron: '0 6 * * 1' },
  { label: 'On the 1st of every month at 06:00', cron: '0 6 1 * *' }
];

export interface IScheduleForm {
  name: string;
  cron: string;
  timezone: string;
  mode: 'stale' | 'all';
  /** null: the server's default */
  maxParallel: number | null;
}

export interface IScheduleState {
  form: IScheduleForm;
  /** the project's schedules; null while loading */
  schedules: ISchedule[] | null;
  /** why the schedules cannot be shown or made (e.g. jupyter-scheduler missing) */
  unavailable: string | null;
  /** the last error of a create or delete */
  error: string | null;
  busy: boolean;
}

export type ScheduleAction =
  | { type: 'edit'; patch: Partial<IScheduleForm> }
  | { type: 'loaded'; schedules: ISchedule[] }
  | { type: 'unavailable'; message: string }
  | { type: 'busy' }
  | { type: 'created'; schedule: ISchedule }
  | { type: 'deleted'; id: string }
  | { type: 'failed'; message: string };

/**
 * The time zone of the browser (IANA name), else UTC.
 */
export function browserTimezone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}

export function initialScheduleState(
  projectName: string,
  timezone = browserTimezone()
): IScheduleState {
  return {
    form: {
      name: `${projectName} (scheduled)`,
      cron: CRON_PRESETS[1].cron,
      timezone,
      mode: 'stale',
      maxParallel: null
    },
    schedules: null,
    unavailable: null,
    error: null,
    busy: false
  };
}

export function scheduleReducer(
  state: IScheduleState,
  action: ScheduleAction
): IScheduleState {
  switch (action.type) {
    case 'edit':
      return {
        ...state,
        form: { ...state.form, ...action.patch },
        error: null
      };
    case 'loaded':
      return { ...state, schedules: action.schedules, unavailable: null };
    case 'unavailable':
      return { ...state, schedules: [], unavailable: action.message };
    case 'busy':
      return { ...state, busy: true, error: null };
    case 'created':
      return {
        ...state,
        busy: false,
        schedules: [
          ...(state.schedules ?? []).filter(s => s.id !== action.schedule.id),
          action.schedule
        ]
      };
    case 'deleted':
      return {
        ...state,
        busy: false,
        schedules: (state.schedules ?? []).filter(s => s.id !== action.id)
      };
    case 'failed':
      return { ...state, busy: false, error: action.message };
  }
}

const CRON_FIELD = /^[0-9A-Za-z*?/,#-]+$/;

/**
 * Why `cron` is not a five-field cron expression, or null. The server checks
 * it fully (croniter) and answers 422 otherwise; this catches typos early.
 */
export function cronProblem(cron: string): string | null {
  const fields = cron.trim().split(/\s+/).filter(Boolean);
  if (fields.length !== 5) {
    return `A cron expression has 5 fields (minute hour day month weekday); this one has ${fields.length}.`;
  }
  const bad = fields.find(f => !CRON_FIELD.test(f));
  return bad ? `"${bad}" is not a cron field.` : null;
}

/**
 * Why the form cannot be sent, or null.
 */
export function formProblem(form: IScheduleForm): string | null {
  if (!form.name.trim()) {
    return 'Give the schedule a name.';
  }
  if (!form.timezone.trim()) {
    return 'Choose a time zone.';
  }
  return cronProblem(form.cron);
}

/**
 * The body of `POST /projects/{id}/schedules` for `form`.
 */
export function scheduleRequest(form: IScheduleForm): IScheduleInput {
  const body: IScheduleInput = {
    name: form.name.trim(),
    schedule: form.cron.trim().split(/\s+/).join(' '),
    timezone: form.timezone.trim(),
    mode: form.mode
  };
  if (form.maxParallel !== null) {
    body.max_parallel = form.maxParallel;
  }
  return body;
}

/**
 * A line describing a schedule: its cron expression in words where it is a
 * preset, with its time zone and what it runs.
 */
export function describeSchedule(schedule: ISchedule): string {
  const preset = CRON_PRESETS.find(p => p.cron === schedule.schedule);
  const when = preset
    ? preset.label
    : schedule.schedule
      ? `cron "${schedule.schedule}"`
      : 'No schedule';
  const what = schedule.mode === 'all' ? 'every cell' : 'stale cells';
  const paused = schedule.active === false ? ', paused' : '';
  return `${when} (${schedule.timezone ?? 'UTC'}), runs ${what}${paused}`;
}
