/**
 * "Add to project": a button that opens a small form asking which project
 * (those reading the dataset first) and after which block (default: at the
 * end), then inserts the item's code as a new block.
 */
import * as React from 'react';

import { S } from './components';
import { DatasetInsights } from './insights';
import { IAddItem, IInsightsState, positionOptions } from './insightsstate';

export function AddToProjectButton(props: {
  model: DatasetInsights;
  state: IInsightsState;
  item: IAddItem;
}): JSX.Element | null {
  const { model, state, item } = props;
  if (!model.canAdd) {
    return null;
  }
  const open = state.add?.item.key === item.key;
  return (
    <div data-testid="add-to-project">
      {!open && (
        <button
          className="jp-Button jp-mod-styled jp-mod-accept"
          onClick={() => void model.startAdd(item)}
          title="Insert this code as a new block of a project's notebook"
        >
          Add to project
        </button>
      )}
      {open && <AddToProjectForm model={model} state={state} />}
    </div>
  );
}

function AddToProjectForm(props: {
  model: DatasetInsights;
  state: IInsightsState;
}): JSX.Element | null {
  const { model } = props;
  const add = props.state.add;
  if (!add) {
    return null;
  }
  const readers = add.readers;
  return (
    <div
      style={{ ...S.row, padding: 4, background: 'var(--jp-layout-color2)' }}
      data-testid="add-to-project-form"
    >
      {add.projects === null ? (
        <span style={S.muted}>Loading your projects…</span>
      ) : (
        <label style={S.row}>
          Project
          <select
            aria-label="Project"
            value={add.projectId ?? ''}
            onChange={e => void model.chooseProject(e.target.value)}
          >
            {add.projects.map(p => (
              <option key={p.id} value={p.id}>
                {p.name}
                {readers.includes(p.id) ? ' (reads this dataset)' : ''} —{' '}
                {p.notebook_path}
              </option>
            ))}
          </select>
        </label>
      )}
      {add.projectId &&
        (add.blocks === null ? (
          <span style={S.muted}>Loading its blocks…</span>
        ) : (
          <label style={S.row}>
            Position
            <select
              aria-label="Position"
              value={add.afterId ?? ''}
              onChange={e =>
                model.dispatch({
                  type: 'add-after',
                  afterId: e.target.value || null
                })
              }
            >
              {positionOptions(add.blocks).map(o => (
                <option key={o.value} value={o.value}>
                  {o.label}
                </option>
              ))}
            </select>
          </label>
        ))}
      <button
        className="jp-Button jp-mod-styled jp-mod-accept"
        disabled={add.busy || !add.projectId || add.blocks === null}
        onClick={() => void model.confirmAdd()}
      >
        {add.busy ? 'Adding…' : 'Add block'}
      </button>
      <button
        className="jp-Button jp-mod-styled jp-mod-reject"
        onClick={() => model.dispatch({ type: 'add-cancel' })}
      >
        Cancel
      </button>
      {add.error && (
        <div style={S.error} role="alert">
          {add.error}
        </div>
      )}
    </div>
  );
}

/**
 * What the last "Add to project" did.
 */
export function AddedNotice(props: {
  state: IInsightsState;
}): JSX.Element | null {
  const added = props.state.added;
  if (!added) {
    return null;
  }
  return (
    <div style={S.muted} data-testid="block-added" role="status">
      Added “{added.title}” to {added.project}
      {added.where === 'notebook'
        ? ` in the open notebook ${added.notebookPath} (unsaved: save the notebook to keep it).`
        : ` (${added.notebookPath}).`}
    </div>
  );
}
