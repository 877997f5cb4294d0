/**
 * "New project from template": pick a template and a dataset, set the
 * template's options, and create a project whose notebook is the template
 * with those values (`POST /projects` with `template`).
 */
import * as React from 'react';

import { describeError } from '../handler';
import { IProject, ITemplate, ITemplateParameter } from '../types';
import { ProjectsModel } from './model';
import {
  directoryOf,
  label,
  templateChoice,
  templateDefaults
} from './templates';

/**
 * Where the form reads templates and the datasets a user may pick.
 */
export interface ITemplateSources {
  listTemplates(): Promise<ITemplate[]>;
  listDatasets(): Promise<{ id: string; name: string }[]>;
}

interface ILoaded {
  templates: ITemplate[];
  datasets: { id: string; name: string }[];
}

function useSources(sources: ITemplateSources): ILoaded | string | null {
  const [loaded, setLoaded] = React.useState<ILoaded | string | null>(null);
  React.useEffect(() => {
    let live = true;
    Promise.all([sources.listTemplates(), sources.listDatasets()])
      .then(
        ([templates, datasets]) => live && setLoaded({ templates, datasets })
      )
      .catch(error => live && setLoaded(describeError(error)));
    return () => {
      live = false;
    };
  }, [sources]);
  return loaded;
}

function ParameterField(props: {
  parameter: ITemplateParameter;
  value: string;
  datasets: { id: string; name: string }[];
  onChange: (value: string) => void;
}): JSX.Element {
  const { parameter: p, value, onChange } = props;
  if (p.kind === 'dataset') {
    return (
      <label title={p.description}>
        Dataset
        <select
          className="jp-mod-styled"
          aria-label="Dataset"
          value={value}
          onChange={event => onChange(event.target.value)}
        >
          <option value="">Choose a dataset…</option>
          {props.datasets.map(d => (
            <option key={d.id} value={d.id}>
              {d.name}
            </option>
          ))}
        </select>
      </label>
    );
  }
  return (
    <label title={p.description}>
      {label(p.name)}
      <input
        className="jp-mod-styled"
        value={value}
        inputMode={p.kind === 'integer' ? 'numeric' : undefined}
        placeholder={
          p.kind === 'integer' && p.default !== null
            ? String(p.default)
            : p.description
        }
        onChange={event => onChange(event.target.value)}
      />
    </label>
  );
}

/**
 * Create and Cancel at the foot of the Projects panel's forms.
 */
export function FormButtons(props: {
  disabled: boolean;
  onCancel: () => void;
}): JSX.Element {
  return (
    <div className="jp-NotebookDagProjects-formButtons">
      <button
        type="submit"
        className="jp-Button jp-mod-styled jp-mod-accept"
        disabled={props.disabled}
      >
        Create
      </button>
      <button
        type="button"
        className="jp-Button jp-mod-styled jp-mod-reject"
        onClick={props.onCancel}
      >
        Cancel
      </button>
    </div>
  );
}

export function TemplateForm(props: {
  model: ProjectsModel;
  sources: ITemplateSources;
  directory: string | null;
  onDone: (project: IProject | null) => void;
}): JSX.Element {
  const loaded = useSources(props.sources);
  const [templateId, setTemplateId] = React.useState('');
  const [values, setValues] = React.useState<{ [name: string]: string }>({});
  const [name, setName] = React.useState('');
  const [path, setPath] = React.useState('');
  const [problem, setProblem] = React.useState<string | null>(null);
  const [busy, setBusy] = React.useState(false);
  if (loaded === null || typeof loaded === 'string') {
    return (
      <div className="jp-NotebookDagProjects-form" role="status">
        {loaded ?? 'Loading templates…'}
      </div>
    );
  }
  const template = loaded.templates.find(t => t.id === templateId) ?? null;
  const choose = (id: string) => {
    setTemplateId(id);
    setValues({});
    setProblem(null);
    const chosen = loaded.templates.find(t => t.id === id);
    if (chosen) {
      const defaults = templateDefaults(chosen, directoryOf(props.directory));
      setName(defaults.name);
      setPath(defaults.path);
    }
  };
  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    if (!template) {
      return;
    }
    const answer = templateChoice(template, values);
    if ('error' in answer) {
      setProblem(answer.error);
      return;
    }
    setBusy(true);
    const project = await props.model.create({
      name: name.trim(),
      notebook_path: path.trim(),
      template: answer.choice
    });
    setBusy(false);
    if (project) {
      props.onDone(project);
    }
  };
  return (
    <form
      className="jp-NotebookDagProjects-form"
      aria-label="New project from template"
      onSubmit={event => void submit(event)}
      onKeyDown={event => event.key === 'Escape' && props.onDone(null)}
    >
      <label>
        Template
        <select
          className="jp-mod-styled"
          aria-label="Template"
          value={templateId}
          autoFocus
          onChange={event => choose(event.target.value)}
        >
          <option value="">Choose a template…</option>
          {loaded.templates.map(t => (
            <option key={t.id} value={t.id}>
              {t.title}
            </option>
          ))}
        </select>
      </label>
      {template && (
        <>
          <p className="jp-NotebookDagProjects-hint">{template.description}</p>
          {template.parameters.map(p => (
            <ParameterField
              key={p.name}
              parameter={p}
              value={values[p.name] ?? ''}
              datasets={loaded.datasets}
              onChange={value => setValues({ ...values, [p.name]: value })}
            />
          ))}
          {loaded.datasets.length === 0 &&
            template.parameters.some(p => p.kind === 'dataset') && (
              <p className="jp-NotebookDagProjects-hint">
                Upload a dataset in the Datasets tab first.
              </p>
            )}
          <label>
            Name
            <input
              className="jp-mod-styled"
              value={name}
              required
              onChange={event => setName(event.target.value)}
            />
          </label>
          <label>
            Notebook path
            <input
              className="jp-mod-styled"
              value={path}
              required
              onChange={event => setPath(event.target.value)}
            />
          </label>
        </>
      )}
      {problem && (
        <p className="jp-NotebookDag-inlineError" role="alert">
          {problem}
        </p>
      )}
      <FormButtons
        disabled={busy || !template || !name.trim() || !path.trim()}
        onCancel={() => props.onDone(null)}
      />
    </form>
  );
}
