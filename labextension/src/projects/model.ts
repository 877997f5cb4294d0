/**
 * The Projects panel's model: a searchable, filterable, sortable list of
 * projects and the actions on them.
 */
import { ISignal, Signal } from '@lumino/signaling';

import { DagApi } from '../api';
import { describeError } from '../handler';
import { IProject, IProjectCreate, IProjectQuery, ProjectSort } from '../types';

export type IProjectsApi = Pick<
  DagApi,
  | 'queryProjects'
  | 'createProject'
  | 'updateProject'
  | 'deleteProject'
  | 'duplicateProject'
>;

/**
 * Projects fetched per page.
 */
export const PROJECTS_PAGE = 50;

/**
 * Milliseconds of quiet typing before a search is sent.
 */
export const SEARCH_DELAY = 250;

export const SORT_LABELS: { [sort in ProjectSort]: string } = {
  '-updated': 'Recently updated',
  updated: 'Least recently updated',
  name: 'Name (A–Z)',
  '-name': 'Name (Z–A)',
  '-created': 'Newest',
  created: 'Oldest'
};

/**
 * Tags typed as `a, b ,c` → `['a', 'b', 'c']` (blanks and repeats dropped).
 */
export function parseTags(text: string): string[] {
  const tags: string[] = [];
  for (const part of text.split(',')) {
    const tag = part.trim();
    if (tag && !tags.includes(tag)) {
      tags.push(tag);
    }
  }
  return tags;
}

export class ProjectsModel {
  constructor(api: IProjectsApi, searchDelay = SEARCH_DELAY) {
    this._api = api;
    this._searchDelay = searchDelay;
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get query(): Readonly<IProjectQuery> {
    return this._query;
  }

  get projects(): ReadonlyArray<IProject> {
    return this._projects;
  }

  get total(): number {
    return this._total;
  }

  get loading(): boolean {
    return this._loading;
  }

  get error(): string | null {
    return this._error;
  }

  /**
   * Every tag seen so far (for the tag filter), sorted.
   */
  get tags(): string[] {
    return [...this._tags].sort((a, b) => a.localeCompare(b));
  }

  /**
   * Change the query: a search text waits for a pause in typing, the rest
   * reloads at once.
   */
  setQuery(patch: Partial<IProjectQuery>): void {
    this._query = { ...this._query, ...patch };
    this._changed.emit();
    if (this._timer !== null) {
      clearTimeout(this._timer);
      this._timer = null;
    }
    if (
      'q' in patch &&
      Object.keys(patch).length === 1 &&
      this._searchDelay > 0
    ) {
      this._timer = setTimeout(() => {
        this._timer = null;
        void this.load();
      }, this._searchDelay);
    } else {
      void this.load();
    }
  }

  /**
   * (Re)load the first page for the current query.
   */
  async load(): Promise<void> {
    const serial = ++this._serial;
    this._loading = true;
    this._changed.emit();
    try {
      const answer = await this._api.queryProjects({
        ...this._query,
        limit: PROJECTS_PAGE,
        offset: 0
      });
      if (serial !== this._serial) {
        return; // a newer query answered first, or will
      }
      this._projects = answer.projects ?? [];
      this._total = answer.total ?? this._projects.length;
      this._learnTags(this._projects);
      this._error = null;
    } catch (error) {
      if (serial === this._serial) {
        this._error = describeError(error);
      }
    } finally {
      if (serial === this._serial) {
        this._loading = false;
        this._changed.emit();
      }
    }
  }

  async more(): Promise<void> {
    if (this._projects.length >= this._total) {
      return;
    }
    try {
      const answer = await this._api.queryProjects({
        ...this._query,
        limit: PROJECTS_PAGE,
        offset: this._projects.length
      });
      const known = new Set(this._projects.map(p => p.id));
      const extra = (answer.projects ?? []).filter(p => !known.has(p.id));
      this._projects = [...this._projects, ...extra];
      this._total = answer.total ?? this._total;
      this._learnTags(extra);
    } catch (error) {
      this._error = describeError(error);
    }
    this._changed.emit();
  }

  async create(body: IProjectCreate): Promise<IProject | null> {
    return this._act(async () => {
      const project = await this._api.createProject(body);
      await this.load();
      return project;
    });
  }

  async rename(projectId: string, name: string): Promise<boolean> {
    const done = await this._act(async () => {
      const project = await this._api.updateProject(projectId, { name });
      this._replace(project);
      return true;
    });
    return !!done;
  }

  async setTags(projectId: string, tags: string[]): Promise<boolean> {
    const done = await this._act(async () => {
      const project = await this._api.updateProject(projectId, { tags });
      this._replace(project);
      this._learnTags([project]);
      return true;
    });
    return !!done;
  }

  /**
   * Star or unstar a project (shown at once, undone if the server refuses).
   */
  async toggleFavorite(projectId: string): Promise<void> {
    const project = this._projects.find(p => p.id === projectId);
    if (!project) {
      return;
    }
    const favorite = !project.favorite;
    this._replace({ ...project, favorite });
    try {
      const updated = await this._api.updateProject(projectId, { favorite });
      this._replace(updated);
      if (this._query.favorite && !favorite) {
        await this.load();
      }
    } catch (error) {
      this._replace(project);
      this._error = describeError(error);
      this._changed.emit();
    }
  }

  async remove(projectId: string): Promise<boolean> {
    const done = await this._act(async () => {
      await this._api.deleteProject(projectId);
      this._projects = this._projects.filter(p => p.id !== projectId);
      this._total = Math.max(0, this._total - 1);
      return true;
    });
    return !!done;
  }

  async duplicate(projectId: string, name?: string): Promise<IProject | null> {
    return this._act(async () => {
      const copy = await this._api.duplicateProject(
        projectId,
        name ? { name } : {}
      );
      await this.load();
      return copy;
    });
  }

  dismissError(): void {
    this._error = null;
    this._changed.emit();
  }

  dispose(): void {
    if (this._timer !== null) {
      clearTimeout(this._timer);
    }
    Signal.clearData(this);
  }

  private async _act<T>(action: () => Promise<T>): Promise<T | null> {
    try {
      const result = await action();
      this._error = null;
      this._changed.emit();
      return result;
    } catch (error) {
      this._error = describeError(error);
      this._changed.emit();
      return null;
    }
  }

  private _replace(project: IProject): void {
    this._projects = this._projects.map(p =>
      p.id === project.id ? project : p
    );
    this._changed.emit();
  }

  private _learnTags(projects: ReadonlyArray<IProject>): void {
    for (const project of projects) {
      for (const tag of project.tags ?? []) {
        this._tags.add(tag);
      }
    }
  }

  private _api: IProjectsApi;
  private _searchDelay: number;
  private _timer: ReturnType<typeof setTimeout> | null = null;
  private _serial = 0;
  private _query: IProjectQuery = { sort: '-updated' };
  private _projects: IProject[] = [];
  private _total = 0;
  private _loading = false;
  private _error: string | null = null;
  private _tags = new Set<string>();
  private _changed = new Signal<this, void>(this);
}
