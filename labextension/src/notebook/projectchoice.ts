/**
 * "The right project" of a notebook for "Open DAG view": none → create one;
 * one → it; several → the one the user opened last (the server lists it
 * first and stamps `last_opened_at`); several never opened → ask, newest
 * first.
 */
import { projectNameFor } from '../api';
import type { DagApi } from '../api';
import { IProject } from '../types';

export type ProjectChoice =
  | { kind: 'create' }
  | { kind: 'use'; project: IProject }
  | { kind: 'ask'; projects: IProject[] };

function time(value: unknown): number {
  if (typeof value !== 'string' || !value) {
    return Number.NEGATIVE_INFINITY;
  }
  const t = Date.parse(value);
  return Number.isNaN(t) ? Number.NEGATIVE_INFINITY : t;
}

/**
 * Projects newest first (by `created_at`; those without a date last, then by
 * name).
 */
export function newestFirst(projects: readonly IProject[]): IProject[] {
  return [...projects].sort(
    (a, b) =>
      time(b.created_at) - time(a.created_at) ||
      (a.name ?? '').localeCompare(b.name ?? '')
  );
}

/**
 * What to open for `notebookPath`, given `GET projects?notebook_path=…`
 * (projects of other paths, if any, are ignored).
 */
export function chooseProject(
  projects: readonly IProject[],
  notebookPath: string
): ProjectChoice {
  const exact = projects.filter(p => p.notebook_path === notebookPath);
  // The server may spell the path differently (it answers this path's).
  const mine = exact.length > 0 ? exact : [...projects];
  if (mine.length === 0) {
    return { kind: 'create' };
  }
  if (mine.length === 1) {
    return { kind: 'use', project: mine[0] };
  }
  // The server orders the user's last opened first; do not rely on it alone.
  const opened = mine
    .filter(p => time(p.last_opened_at) > Number.NEGATIVE_INFINITY)
    .sort((a, b) => time(b.last_opened_at) - time(a.last_opened_at));
  if (opened.length > 0) {
    return { kind: 'use', project: opened[0] };
  }
  return { kind: 'ask', projects: newestFirst(mine) };
}

/**
 * The label of a project in the choice list: its name and creation day
 * (names may repeat).
 */
export function choiceLabel(project: IProject): string {
  const day =
    typeof project.created_at === 'string'
      ? project.created_at.slice(0, 10)
      : '';
  return day ? `${project.name} (created ${day})` : project.name;
}

/**
 * Labels of the choice list, made unique (a repeated label gets its id).
 */
export function choiceLabels(projects: readonly IProject[]): string[] {
  const labels = projects.map(choiceLabel);
  return labels.map((label, i) =>
    labels.indexOf(label) !== labels.lastIndexOf(label)
      ? `${label} [${projects[i].id.slice(0, 8)}]`
      : label
  );
}

/**
 * Ask the user which project to open (`null`: cancelled).
 */
export type AskProject = (
  projects: IProject[],
  notebookPath: string
) => Promise<IProject | null>;

/**
 * The project "Open DAG view" opens for a notebook, created when it has none
 * (`null`: the user cancelled the choice).
 */
export async function resolveProject(
  api: Pick<DagApi, 'listProjects' | 'createProject'>,
  notebookPath: string,
  ask: AskProject
): Promise<IProject | null> {
  const choice = chooseProject(
    await api.listProjects(notebookPath),
    notebookPath
  );
  switch (choice.kind) {
    case 'create':
      return api.createProject(projectNameFor(notebookPath), notebookPath);
    case 'use':
      return choice.project;
    default:
      return ask(choice.projects, notebookPath);
  }
}
