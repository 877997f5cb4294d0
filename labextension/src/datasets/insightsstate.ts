/**
 * The state of a dataset's "Analysis" and "Charts" sections and of their
 * "Add to project" form, as a pure reducer (see ../status.ts for the
 * pattern), with the pure choices it relies on: the projects offered first,
 * the default project and position, and the position select's options.
 */
import type { IInsertedBlock } from '../blockinsert';
import type { IBlock, IProject } from '../types';
import { AnalysisKind, IAnalysis, ICharts } from './analysistypes';

/**
 * A request's state.
 */
export interface ILoad<T> {
  readonly status: 'idle' | 'loading' | 'ready' | 'error';
  readonly data: T | null;
  /** The server's message when `status` is `error`. */
  readonly error: string;
}

export const IDLE: ILoad<never> = { status: 'idle', data: null, error: '' };

/**
 * A block the user may add: a chart's or an analysis's code.
 */
export interface IAddItem {
  /** `chart:<index>` or `analysis:<kind>`. */
  readonly key: string;
  readonly title: string;
  readonly code: string;
}

/**
 * The "Add to project" form of one item.
 */
export interface IAddState {
  readonly item: IAddItem;
  /** Projects offered, those reading the dataset first; null: loading. */
  readonly projects: ReadonlyArray<IProject> | null;
  /** Ids of the projects whose blocks read the dataset. */
  readonly readers: ReadonlyArray<string>;
  readonly projectId: string | null;
  /** Blocks of the chosen project; null: loading. */
  readonly blocks: ReadonlyArray<IBlock> | null;
  /** Insert after this cell; null: at the end. */
  readonly afterId: string | null;
  readonly busy: boolean;
  readonly error: string;
}

export interface IInsightsState {
  readonly kind: AnalysisKind;
  readonly analyses: { readonly [kind in AnalysisKind]: ILoad<IAnalysis> };
  readonly charts: ILoad<ICharts>;
  readonly add: IAddState | null;
  /** The last insertion, with the item's title. */
  readonly added: (IInsertedBlock & { title: string; project: string }) | null;
}

export const INITIAL_INSIGHTS: IInsightsState = {
  kind: 'statistics',
  analyses: { statistics: IDLE, correlation: IDLE, clustering: IDLE },
  charts: IDLE,
  add: null,
  added: null
};

export type InsightsAction =
  | { type: 'kind'; kind: AnalysisKind }
  | { type: 'analysis'; kind: AnalysisKind; load: ILoad<IAnalysis> }
  | { type: 'charts'; load: ILoad<ICharts> }
  | { type: 'add-start'; item: IAddItem }
  | {
      type: 'add-projects';
      projects: IProject[];
      readers: string[];
      currentProjectId: string | null;
    }
  | { type: 'add-project'; projectId: string }
  | { type: 'add-blocks'; projectId: string; blocks: IBlock[] }
  | { type: 'add-after'; afterId: string | null }
  | { type: 'add-busy' }
  | { type: 'add-failed'; error: string }
  | { type: 'add-done'; result: IInsertedBlock }
  | { type: 'add-cancel' };

/**
 * The projects whose blocks read the dataset first (in lineage order), then
 * the others in the given order; each project once.
 */
export function orderProjects(
  projects: ReadonlyArray<IProject>,
  readers: ReadonlyArray<string>
): IProject[] {
  const reading = readers
    .map(id => projects.find(p => p.id === id))
    .filter((p, i, all): p is IProject => !!p && all.indexOf(p) === i);
  return [...reading, ...projects.filter(p => !reading.includes(p))];
}

/**
 * The project chosen by default: the current one (the DAG view the tab is
 * in) if it reads the dataset, else the first reader, else the current one,
 * else the first project.
 */
export function defaultProjectId(
  projects: ReadonlyArray<IProject>,
  readers: ReadonlyArray<string>,
  currentProjectId: string | null
): string | null {
  const has = (id: string | null) => !!id && projects.some(p => p.id === id);
  if (currentProjectId && readers.includes(currentProjectId)) {
    if (has(currentProjectId)) {
      return currentProjectId;
    }
  }
  const reader = readers.find(has);
  if (reader) {
    return reader;
  }
  if (has(currentProjectId)) {
    return currentProjectId;
  }
  return projects[0]?.id ?? null;
}

/**
 * Options of the position select: "At the end" (value `''`), then every
 * cell by number (1-based) and title.
 */
export function positionOptions(
  blocks: ReadonlyArray<IBlock>
): { value: string; label: string }[] {
  return [
    { value: '', label: 'At the end' },
    ...[...blocks]
      .sort((a, b) => a.index - b.index)
      .map(b => ({
        value: b.id,
        label: `After [${b.index + 1}] ${b.title || '(untitled)'}${
          b.cell_type === 'code' ? '' : ` (${b.cell_type})`
        }`
      }))
  ];
}

function patchAdd(
  state: IInsightsState,
  patch: Partial<IAddState>
): IInsightsState {
  return state.add ? { ...state, add: { ...state.add, ...patch } } : state;
}

/**
 * Fold one action into the state. Never mutates `state`.
 */
export function insightsReducer(
  state: IInsightsState,
  action: InsightsAction
): IInsightsState {
  switch (action.type) {
    case 'kind':
      return action.kind === state.kind
        ? state
        : { ...state, kind: action.kind };
    case 'analysis':
      return {
        ...state,
        analyses: { ...state.analyses, [action.kind]: action.load }
      };
    case 'charts':
      return { ...state, charts: action.load };
    case 'add-start':
      return {
        ...state,
        add: {
          item: action.item,
          projects: null,
          readers: [],
          projectId: null,
          blocks: null,
          afterId: null,
          busy: false,
          error: ''
        }
      };
    case 'add-projects': {
      if (!state.add) {
        return state;
      }
      const projects = orderProjects(action.projects, action.readers);
      return patchAdd(state, {
        projects,
        readers: action.readers,
        projectId: defaultProjectId(
          projects,
          action.readers,
          action.currentProjectId
        ),
        blocks: null,
        afterId: null,
        error: projects.length
          ? ''
          : 'You have no project yet: open a notebook and its DAG view first.'
      });
    }
    case 'add-project':
      return patchAdd(state, {
        projectId: action.projectId,
        blocks: null,
        afterId: null,
        error: ''
      });
    case 'add-blocks':
      // A late answer for a project no longer chosen is dropped.
      return state.add?.projectId === action.projectId
        ? patchAdd(state, { blocks: action.blocks, afterId: null })
        : state;
    case 'add-after':
      return patchAdd(state, { afterId: action.afterId });
    case 'add-busy':
      return patchAdd(state, { busy: true, error: '' });
    case 'add-failed':
      return patchAdd(state, { busy: false, error: action.error });
    case 'add-done': {
      if (!state.add) {
        return state;
      }
      const project = state.add.projects?.find(
        p => p.id === action.result.projectId
      );
      return {
        ...state,
        add: null,
        added: {
          ...action.result,
          title: state.add.item.title,
          project: project?.name || action.result.notebookPath
        }
      };
    }
    case 'add-cancel':
      return { ...state, add: null };
    default:
      return state;
  }
}
