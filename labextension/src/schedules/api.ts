/**
 * Calls of the schedules routes (`/projects/{id}/schedules`): a project's
 * jupyter-scheduler job definitions that run its DAG.
 */
import { ServerConnection } from '@jupyterlab/services';

import { requestAPI } from '../handler';

/**
 * The body of `POST /projects/{id}/schedules`.
 */
export interface IScheduleInput {
  name: string;
  /** a cron expression (five fields) */
  schedule: string;
  /** an IANA time zone, e.g. "Europe/Paris" */
  timezone: string;
  /** run the stale cells or every cell */
  mode: 'stale' | 'all';
  /** blocks at once (absent: the server's default) */
  max_parallel?: number;
}

/**
 * A schedule: a jupyter-scheduler job definition made from a project.
 */
export interface ISchedule {
  /** the job definition's id in jupyter-scheduler */
  id: string;
  project_id: string;
  name: string;
  /** null: the definition has no schedule (e.g. edited in jupyter-scheduler) */
  schedule: string | null;
  timezone: string | null;
  mode: 'stale' | 'all';
  max_parallel: number | null;
  /** false when paused in jupyter-scheduler */
  active: boolean;
  /** the user the scheduled runs run as */
  owner: string;
  created_at: string;
}

const enc = encodeURIComponent;

export class SchedulesApi {
  constructor(
    readonly settings: ServerConnection.ISettings = ServerConnection.makeSettings()
  ) {}

  async list(projectId: string): Promise<ISchedule[]> {
    const answer = await requestAPI<{ schedules: ISchedule[] }>(
      `projects/${enc(projectId)}/schedules`,
      {},
      this.settings
    );
    return answer.schedules;
  }

  create(projectId: string, body: IScheduleInput): Promise<ISchedule> {
    return requestAPI<ISchedule>(
      `projects/${enc(projectId)}/schedules`,
      { method: 'POST', body: JSON.stringify(body) },
      this.settings
    );
  }

  async remove(projectId: string, scheduleId: string): Promise<void> {
    await requestAPI<unknown>(
      `projects/${enc(projectId)}/schedules/${enc(scheduleId)}`,
      { method: 'DELETE' },
      this.settings
    );
  }
}
