/**
 * "Schedule…": a dialog that lists a project's schedules and makes new ones
 * (jupyter-scheduler job definitions whose runs go through notebook_dag's
 * engine and land in the project's run history).
 */
import { Dialog, ReactWidget, showDialog } from '@jupyterlab/apputils';
import * as React from 'react';

import { ApiError, describeError } from '../handler';
import { ISchedule } from './api';
import {
  CRON_PRESETS,
  describeSchedule,
  formProblem,
  initialScheduleState,
  IScheduleForm,
  scheduleReducer,
  scheduleRequest
} from './form';
import type { SchedulesApi } from './api';

export interface IScheduleDialogOptions {
  api: SchedulesApi;
  projectId: string;
  projectName: string;
  /** opens jupyter-scheduler's job list, when its labextension is there */
  openJobs?: () => void;
}

/**
 * What the server's 4xx says when jupyter-scheduler cannot take schedules.
 */
function unavailableMessage(error: unknown): string | null {
  return error instanceof ApiError && error.reason === 'scheduler_unavailable'
    ? describeError(error)
    : null;
}

function Fields(props: {
  form: IScheduleForm;
  onEdit: (patch: Partial<IScheduleForm>) => void;
}): JSX.Element {
  const { form, onEdit } = props;
  const preset = CRON_PRESETS.find(p => p.cron === form.cron)?.cron ?? '';
  return (
    <div className="jp-NotebookDag-scheduleFields">
      <label>
        Name
        <input
          className="jp-mod-styled"
          value={form.name}
          onChange={e => onEdit({ name: e.target.value })}
        />
      </label>
      <label>
        When
        <select
          className="jp-mod-styled"
          aria-label="When"
          value={preset}
          onChange={e => e.target.value && onEdit({ cron: e.target.value })}
        >
          {CRON_PRESETS.map(p => (
            <option key={p.cron} value={p.cron}>
              {p.label}
            </option>
          ))}
          <option value="">Custom (cron)</option>
        </select>
      </label>
      <label>
        Cron
        <input
          className="jp-mod-styled"
          aria-label="Cron expression"
          value={form.cron}
          onChange={e => onEdit({ cron: e.target.value })}
        />
      </label>
      <label>
        Time zone
        <input
          className="jp-mod-styled"
          aria-label="Time zone"
          value={form.timezone}
          onChange={e => onEdit({ timezone: e.target.value })}
        />
      </label>
      <label>
        Run
        <select
          className="jp-mod-styled"
          aria-label="Cells to run"
          value={form.mode}
          onChange={e => onEdit({ mode: e.target.value as 'stale' | 'all' })}
        >
          <option value="stale">Stale cells</option>
          <option value="all">Every cell</option>
        </select>
      </label>
      <label>
        Parallel
        <select
          className="jp-mod-styled"
          aria-label="Blocks at once"
          value={form.maxParallel ?? ''}
          onChange={e =>
            onEdit({ maxParallel: Number(e.target.value) || null })
          }
        >
          <option value="">Server default</option>
          {[1, 2, 4].map(n => (
            <option key={n} value={n}>
              {n === 1 ? '1 (sequential)' : `${n} blocks`}
            </option>
          ))}
        </select>
      </label>
    </div>
  );
}

function ScheduleList(props: {
  schedules: ISchedule[] | null;
  busy: boolean;
  onDelete: (schedule: ISchedule) => void;
}): JSX.Element {
  const { schedules } = props;
  if (schedules === null) {
    return <p className="jp-NotebookDag-hint">Loading the schedules…</p>;
  }
  if (!schedules.length) {
    return <p className="jp-NotebookDag-hint">No schedule yet.</p>;
  }
  return (
    <ul className="jp-NotebookDag-scheduleList" aria-label="Schedules">
      {schedules.map(s => (
        <li key={s.id}>
          <span>
            <strong>{s.name}</strong>: {describeSchedule(s)}
          </span>
          <button
            className="jp-mod-styled jp-mod-warn"
            disabled={props.busy}
            onClick={() => props.onDelete(s)}
          >
            Delete
          </button>
        </li>
      ))}
    </ul>
  );
}

export function SchedulePanel(props: IScheduleDialogOptions): JSX.Element {
  const { api, projectId } = props;
  const [state, dispatch] = React.useReducer(
    scheduleReducer,
    props.projectName,
    initialScheduleState
  );
  React.useEffect(() => {
    api.list(projectId).then(
      schedules => dispatch({ type: 'loaded', schedules }),
      error =>
        dispatch(
          unavailableMessage(error)
            ? { type: 'unavailable', message: unavailableMessage(error)! }
            : { type: 'failed', message: describeError(error) }
        )
    );
  }, [api, projectId]);
  const problem = formProblem(state.form);
  const create = async () => {
    dispatch({ type: 'busy' });
    try {
      const schedule = await api.create(projectId, scheduleRequest(state.form));
      dispatch({ type: 'created', schedule });
    } catch (error) {
      dispatch({ type: 'failed', message: describeError(error) });
    }
  };
  const remove = async (schedule: ISchedule) => {
    dispatch({ type: 'busy' });
    try {
      await api.remove(projectId, schedule.id);
      dispatch({ type: 'deleted', id: schedule.id });
    } catch (error) {
      dispatch({ type: 'failed', message: describeError(error) });
    }
  };
  if (state.unavailable) {
    return (
      <div className="jp-NotebookDag-schedule" role="alert">
        {state.unavailable}
      </div>
    );
  }
  return (
    <div className="jp-NotebookDag-schedule">
      <ScheduleList
        schedules={state.schedules}
        busy={state.busy}
        onDelete={s => void remove(s)}
      />
      <Fields
        form={state.form}
        onEdit={patch => dispatch({ type: 'edit', patch })}
      />
      {(state.error || problem) && (
        <p className="jp-NotebookDag-error" role="alert">
          {state.error ?? problem}
        </p>
      )}
      <div className="jp-NotebookDag-scheduleActions">
        <button
          className="jp-mod-styled jp-mod-accept"
          disabled={!!problem || state.busy}
          onClick={() => void create()}
        >
          Schedule
        </button>
        {props.openJobs && (
          <button className="jp-mod-styled" onClick={props.openJobs}>
            Notebook Jobs
          </button>
        )}
      </div>
    </div>
  );
}

/**
 * Open the "Schedule…" dialog of a project.
 */
export async function showScheduleDialog(
  options: IScheduleDialogOptions
): Promise<void> {
  const body = ReactWidget.create(<SchedulePanel {...options} />);
  body.addClass('jp-NotebookDag-scheduleDialog');
  await showDialog({
    title: `Schedule runs of ${options.projectName}`,
    body,
    buttons: [Dialog.okButton({ label: 'Close' })]
  });
}
