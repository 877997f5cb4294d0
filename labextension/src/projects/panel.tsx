/**
 * The left-sidebar "Projects" panel: search, tag filter, sort, favourites;
 * create, rename, duplicate and delete projects; open a project's DAG view
 * or its notebook.
 */
import { ReactWidget } from '@jupyterlab/apputils';
import * as React from 'react';

import { formatWhen } from '../history';
import { IProject, ProjectSort } from '../types';
import { parseTags, ProjectsModel, SORT_LABELS } from './model';
import { FormButtons, ITemplateSources, TemplateForm } from './templateform';

export interface IProjectsPanelCallbacks {
  openDag(project: IProject): void;
  openNotebook(path: string): void;
  /**
   * Ask the user to confirm a deletion.
   */
  confirmDelete(project: IProject): Promise<boolean>;
  /**
   * The notebook the user works on, to prefill a new project.
   */
  currentNotebookPath(): string | null;
  /**
   * Templates and datasets for "From template" (no such button without).
   */
  templates?: ITemplateSources;
}

function useProjects(model: ProjectsModel): number {
  const [version, setVersion] = React.useState(0);
  React.useEffect(() => {
    const onChange = () => setVersion(v => v + 1);
    model.changed.connect(onChange);
    return () => {
      model.changed.disconnect(onChange);
    };
  }, [model]);
  return version;
}

function CreateForm(props: {
  model: ProjectsModel;
  callbacks: IProjectsPanelCallbacks;
  onDone: (project: IProject | null) => void;
}): JSX.Element {
  const { model, callbacks } = props;
  const [name, setName] = React.useState('');
  const [path, setPath] = React.useState(
    () => callbacks.currentNotebookPath() ?? ''
  );
  const [tags, setTags] = React.useState('');
  const [description, setDescription] = React.useState('');
  const [busy, setBusy] = React.useState(false);
  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    if (!name.trim() || !path.trim()) {
      return;
    }
    setBusy(true);
    const project = await model.create({
      name: name.trim(),
      notebook_path: path.trim(),
      description: description.trim() || undefined,
      tags: parseTags(tags)
    });
    setBusy(false);
    if (project) {
      props.onDone(project);
    }
  };
  return (
    <form
      className="jp-NotebookDagProjects-form"
      onSubmit={event => void submit(event)}
      aria-label="New project"
      onKeyDown={event => {
        if (event.key === 'Escape') {
          props.onDone(null);
        }
      }}
    >
      <label>
        Name
        <input
          className="jp-mod-styled"
          value={name}
          required
          autoFocus
          onChange={event => setName(event.target.value)}
        />
      </label>
      <label>
        Notebook path
        <input
          className="jp-mod-styled"
          value={path}
          required
          placeholder="folder/analysis.ipynb"
          onChange={event => setPath(event.target.value)}
        />
      </label>
      <label>
        Tags (comma separated)
        <input
          className="jp-mod-styled"
          value={tags}
          onChange={event => setTags(event.target.value)}
        />
      </label>
      <label>
        Description
        <textarea
          className="jp-mod-styled"
          value={description}
          rows={2}
          onChange={event => setDescription(event.target.value)}
        />
      </label>
      <FormButtons
        disabled={busy || !name.trim() || !path.trim()}
        onCancel={() => props.onDone(null)}
      />
    </form>
  );
}

function ProjectItem(props: {
  model: ProjectsModel;
  project: IProject;
  callbacks: IProjectsPanelCallbacks;
}): JSX.Element {
  const { model, project, callbacks } = props;
  const [renaming, setRenaming] = React.useState(false);
  const [name, setName] = React.useState(project.name);
  const starred = !!project.favorite;
  const rename = async () => {
    const value = name.trim();
    if (value && value !== project.name) {
      if (!(await model.rename(project.id, value))) {
        return;
      }
    }
    setRenaming(false);
  };
  return (
    <li
      className="jp-NotebookDagProjects-item"
      data-testid="dag-project"
      data-project-id={project.id}
      data-favorite={starred}
    >
      <div className="jp-NotebookDagProjects-line">
        <button
          className={`jp-NotebookDagProjects-star${starred ? ' jp-mod-starred' : ''}`}
          aria-pressed={starred}
          aria-label={`${starred ? 'Unstar' : 'Star'} ${project.name}`}
          title={starred ? 'Remove from favourites' : 'Add to favourites'}
          onClick={() => void model.toggleFavorite(project.id)}
        >
          {starred ? '★' : '☆'}
        </button>
        {renaming ? (
          <input
            className="jp-mod-styled jp-NotebookDagProjects-rename"
            aria-label={`New name of ${project.name}`}
            value={name}
            autoFocus
            onChange={event => setName(event.target.value)}
            onKeyDown={event => {
              if (event.key === 'Enter') {
                void rename();
              } else if (event.key === 'Escape') {
                setName(project.name);
                setRenaming(false);
              }
            }}
            onBlur={() => void rename()}
          />
        ) : (
          <button
            className="jp-NotebookDagProjects-name"
            title={`Open the DAG view of ${project.name}`}
            onClick={() => callbacks.openDag(project)}
          >
            {project.name}
          </button>
        )}
      </div>
      <button
        className="jp-NotebookDagProjects-path"
        title={`Open ${project.notebook_path}`}
        onClick={() => callbacks.openNotebook(project.notebook_path)}
      >
        {project.notebook_path}
      </button>
      {project.description && (
        <div className="jp-NotebookDagProjects-description">
          {project.description}
        </div>
      )}
      <div className="jp-NotebookDagProjects-meta">
        {(project.tags ?? []).map(tag => (
          <button
            key={tag}
            className="jp-NotebookDagProjects-tag"
            title={`Show the projects tagged ${tag}`}
            onClick={() => model.setQuery({ tag })}
          >
            {tag}
          </button>
        ))}
        {project.updated_at && (
          <span
            className="jp-NotebookDagProjects-when"
            title={project.updated_at}
          >
            {formatWhen(project.updated_at)}
          </span>
        )}
      </div>
      <div
        className="jp-NotebookDagProjects-actions"
        role="group"
        aria-label={`Actions on ${project.name}`}
      >
        <button
          className="jp-Button jp-mod-styled"
          onClick={() => callbacks.openDag(project)}
        >
          DAG
        </button>
        <button
          className="jp-Button jp-mod-styled"
          onClick={() => callbacks.openNotebook(project.notebook_path)}
        >
          Notebook
        </button>
        <button
          className="jp-Button jp-mod-styled"
          onClick={() => {
            setName(project.name);
            setRenaming(true);
          }}
        >
          Rename
        </button>
        <button
          className="jp-Button jp-mod-styled"
          onClick={() => void model.duplicate(project.id)}
          title="Copy the project and its notebook"
        >
          Duplicate
        </button>
        <button
          className="jp-Button jp-mod-styled jp-mod-warn"
          onClick={async () => {
            if (await callbacks.confirmDelete(project)) {
              await model.remove(project.id);
            }
          }}
        >
          Delete
        </button>
      </div>
    </li>
  );
}

/**
 * Search, tag filter, sort and "Starred only" of the projects list.
 */
function ProjectFilters(props: { model: ProjectsModel }): JSX.Element {
  const { model } = props;
  const query = model.query;
  const [search, setSearch] = React.useState(query.q ?? '');
  return (
    <div className="jp-NotebookDagProjects-filters" role="search">
      <input
        type="search"
        className="jp-mod-styled jp-NotebookDagProjects-search"
        placeholder="Search projects"
        aria-label="Search projects"
        value={search}
        onChange={event => {
          setSearch(event.target.value);
          model.setQuery({ q: event.target.value });
        }}
      />
      <select
        aria-label="Filter by tag"
        value={query.tag ?? ''}
        onChange={event =>
          model.setQuery({ tag: event.target.value || undefined })
        }
      >
        <option value="">All tags</option>
        {model.tags.map(tag => (
          <option key={tag} value={tag}>
            {tag}
          </option>
        ))}
      </select>
      <select
        aria-label="Sort projects"
        value={query.sort ?? '-updated'}
        onChange={event =>
          model.setQuery({ sort: event.target.value as ProjectSort })
        }
      >
        {Object.entries(SORT_LABELS).map(([sort, label]) => (
          <option key={sort} value={sort}>
            {label}
          </option>
        ))}
      </select>
      <label className="jp-NotebookDagProjects-favFilter">
        <input
          type="checkbox"
          checked={!!query.favorite}
          onChange={event => model.setQuery({ favorite: event.target.checked })}
        />
        Starred only
      </label>
    </div>
  );
}

export function ProjectsView(props: {
  model: ProjectsModel;
  callbacks: IProjectsPanelCallbacks;
}): JSX.Element {
  const { model, callbacks } = props;
  useProjects(model);
  const [creating, setCreating] = React.useState<'empty' | 'template' | null>(
    null
  );
  const created = (project: IProject | null) => {
    setCreating(null);
    if (project) {
      callbacks.openDag(project);
    }
  };
  const query = model.query;
  return (
    <div className="jp-NotebookDagProjects" data-testid="dag-projects">
      <div className="jp-NotebookDagProjects-header">
        <h2 className="jp-NotebookDagProjects-title">DAG projects</h2>
        <button
          className="jp-Button jp-mod-styled jp-mod-accept"
          onClick={() => setCreating(creating === 'empty' ? null : 'empty')}
          aria-expanded={creating === 'empty'}
        >
          New project
        </button>
        {callbacks.templates && (
          <button
            className="jp-Button jp-mod-styled"
            onClick={() =>
              setCreating(creating === 'template' ? null : 'template')
            }
            aria-expanded={creating === 'template'}
            title="New project from a template notebook"
          >
            From template
          </button>
        )}
        <button
          className="jp-Button jp-mod-styled"
          onClick={() => void model.load()}
          disabled={model.loading}
          aria-label="Reload the projects"
          title="Reload"
        >
          ⟳
        </button>
      </div>
      {creating === 'empty' && (
        <CreateForm model={model} callbacks={callbacks} onDone={created} />
      )}
      {creating === 'template' && callbacks.templates && (
        <TemplateForm
          model={model}
          sources={callbacks.templates}
          directory={callbacks.currentNotebookPath()}
          onDone={created}
        />
      )}
      <ProjectFilters model={model} />
      {model.error && (
        <div className="jp-NotebookDag-inlineError" role="alert">
          {model.error}{' '}
          <button
            className="jp-NotebookDag-link"
            onClick={() => model.dismissError()}
          >
            Dismiss
          </button>
        </div>
      )}
      <div
        className="jp-NotebookDagProjects-count"
        role="status"
        aria-live="polite"
      >
        {model.loading
          ? 'Loading…'
          : `${model.total} project${model.total === 1 ? '' : 's'}`}
      </div>
      <ul className="jp-NotebookDagProjects-list" aria-label="Projects">
        {model.projects.map(project => (
          <ProjectItem
            key={project.id}
            model={model}
            project={project}
            callbacks={callbacks}
          />
        ))}
      </ul>
      {!model.loading && model.projects.length === 0 && (
        <div className="jp-NotebookDag-muted">
          No project
          {query.q || query.tag || query.favorite ? ' matches' : ' yet'}. Open a
          notebook and use "Open DAG view", or create one above.
        </div>
      )}
      {model.projects.length < model.total && (
        <button
          className="jp-Button jp-mod-styled"
          onClick={() => void model.more()}
        >
          Load more
        </button>
      )}
    </div>
  );
}

/**
 * The sidebar widget.
 */
export class ProjectsPanel extends ReactWidget {
  constructor(model: ProjectsModel, callbacks: IProjectsPanelCallbacks) {
    super();
    this.model = model;
    this._callbacks = callbacks;
    this.addClass('jp-NotebookDagProjects-panel');
  }

  readonly model: ProjectsModel;

  render(): JSX.Element {
    return <ProjectsView model={this.model} callbacks={this._callbacks} />;
  }

  protected onAfterShow(): void {
    void this.model.load();
  }

  dispose(): void {
    if (!this.isDisposed) {
      this.model.dispose();
    }
    super.dispose();
  }

  private _callbacks: IProjectsPanelCallbacks;
}
