/**
 * The side panel of a DAG view: details of the selected node or edge, the
 * run history, hidden edges, and the datasets tab when mounted.
 */
import * as React from 'react';

import { HistoryPanel } from './historypanel';
import { DagModel } from './model';
import { IMountContext } from './mounts';
import { DatasetPanel, NodePanel } from './nodepanel';
import { IDagViewServices } from './services';
import { IViewEdge } from './viewgraph';
import type { SideTabName } from './viewrequests';

export type SideTab = SideTabName;

function EdgePanel(props: { model: DagModel; edge: IViewEdge }): JSX.Element {
  const { model, edge } = props;
  const from = model.titleOf(edge.source);
  const to = model.titleOf(edge.target);
  return (
    <div data-testid="dag-edge-panel" data-edge-kind={edge.kind}>
      <div className="jp-NotebookDag-panelMeta">
        <span
          className={`jp-NotebookDag-edgeKind jp-NotebookDag-edgeKind-${edge.kind}`}
        >
          {edge.kind} edge
        </span>
        {edge.folded && (
          <span>
            to a collapsed section
            {edge.merged > 1 ? `, stands for ${edge.merged} edges` : ''}
          </span>
        )}
      </div>
      <p>
        From{' '}
        <button
          className="jp-NotebookDag-link"
          onClick={() => model.select(edge.source)}
        >
          {from}
        </button>{' '}
        to{' '}
        <button
          className="jp-NotebookDag-link"
          onClick={() => model.select(edge.target)}
        >
          {to}
        </button>
      </p>
      {edge.names.length > 0 && (
        <div className="jp-NotebookDag-names">
          Carries: <code>{edge.names.join(', ')}</code>
        </div>
      )}
      <div
        className="jp-NotebookDag-actions"
        role="group"
        aria-label="Edge actions"
      >
        {!edge.folded && edge.kind === 'manual' && edge.serverId && (
          <button
            className="jp-Button jp-mod-styled jp-mod-warn"
            onClick={() => void model.editor.removeEdge(edge)}
          >
            Delete edge
          </button>
        )}
        {!edge.folded && edge.kind === 'inferred' && (
          <>
            <button
              className="jp-Button jp-mod-styled jp-mod-accept"
              onClick={() => void model.editor.acceptEdge(edge)}
              title="Keep this dependency as a manual edge"
            >
              Accept edge
            </button>
            <button
              className="jp-Button jp-mod-styled jp-mod-warn"
              onClick={() => void model.editor.hideEdge(edge)}
              title="This dependency is wrong: hide it (runs no longer order by it)"
            >
              Hide edge
            </button>
          </>
        )}
      </div>
      <p className="jp-NotebookDag-muted">
        Delete (or Backspace) on the selected edge removes a manual edge or
        hides an inferred one.
      </p>
    </div>
  );
}

function HiddenEdges(props: { model: DagModel }): JSX.Element {
  const { model } = props;
  const hidden = model.dag?.hidden ?? [];
  const dropped = model.dag?.conflicting ?? [];
  return (
    <div data-testid="dag-hidden-edges">
      {hidden.length === 0 && (
        <div className="jp-NotebookDag-muted">No hidden edge.</div>
      )}
      <ul className="jp-NotebookDag-linkList">
        {hidden.map(edge => (
          <li key={edge.id ?? `${edge.source}>${edge.target}`}>
            {model.titleOf(edge.source)} → {model.titleOf(edge.target)}
            {edge.names?.length ? (
              <span className="jp-NotebookDag-muted">
                {' '}
                ({edge.names.join(', ')})
              </span>
            ) : null}{' '}
            <button
              className="jp-Button jp-mod-styled"
              onClick={() => void model.editor.unhideEdge(edge)}
            >
              Show again
            </button>
          </li>
        ))}
      </ul>
      {dropped.length > 0 && (
        <>
          <div className="jp-NotebookDag-panelSection">
            Manual edges ignored (they close a cycle)
          </div>
          <ul className="jp-NotebookDag-linkList">
            {dropped.map(edge => (
              <li key={edge.id ?? `${edge.source}>${edge.target}`}>
                {model.titleOf(edge.source)} → {model.titleOf(edge.target)}
                {edge.cycle?.length ? (
                  <span className="jp-NotebookDag-muted">
                    {' '}
                    (cycle:{' '}
                    {edge.cycle.map(id => model.titleOf(id)).join(' → ')})
                  </span>
                ) : null}
                {edge.id && (
                  <>
                    {' '}
                    <button
                      className="jp-Button jp-mod-styled jp-mod-warn"
                      onClick={() =>
                        void model.editor.removeEdge({
                          id: edge.id!,
                          source: edge.source,
                          target: edge.target,
                          kind: 'manual',
                          names: [],
                          serverId: edge.id,
                          merged: 1,
                          folded: false,
                          original: [edge]
                        })
                      }
                    >
                      Delete
                    </button>
                  </>
                )}
              </li>
            ))}
          </ul>
        </>
      )}
    </div>
  );
}

const TAB_LABELS: { [tab in SideTab]: string } = {
  details: 'Details',
  history: 'History',
  hidden: 'Hidden edges',
  datasets: 'Datasets'
};

export function SidePanel(props: {
  model: DagModel;
  services: IDagViewServices;
  tab: SideTab;
  onTab: (tab: SideTab | null) => void;
  editing: boolean;
  onEdit: (editing: boolean) => void;
  mountContext: IMountContext;
}): JSX.Element {
  const { model, services, tab, onTab } = props;
  const node = model.selectedId
    ? (model.dag?.nodes.find(n => n.id === model.selectedId) ?? null)
    : null;
  const dataset = model.selectedId
    ? (model.dag?.datasets?.find(d => d.id === model.selectedId) ?? null)
    : null;
  const edge = model.selectedEdge;
  const tabs: SideTab[] = ['details', 'history'];
  if ((model.dag?.hidden?.length ?? 0) > 0 || tab === 'hidden') {
    tabs.push('hidden');
  }
  if (services.mounts?.datasetsTab) {
    tabs.push('datasets');
  }
  let title = TAB_LABELS[tab];
  if (tab === 'details') {
    title = node
      ? model.titleOf(node.id)
      : dataset
        ? dataset.name
        : edge
          ? 'Edge'
          : 'Details';
  }
  const close = () => {
    onTab(null);
    model.select(null);
    model.selectEdge(null);
  };
  return (
    <aside
      className="jp-NotebookDag-panel"
      data-testid="dag-output-panel"
      aria-label="DAG side panel"
      onKeyDown={event => {
        if (event.key === 'Escape' && !props.editing) {
          close();
        }
      }}
    >
      <div
        className="jp-NotebookDag-tabs"
        role="tablist"
        aria-label="Side panel"
      >
        {tabs.map(name => (
          <button
            key={name}
            role="tab"
            aria-selected={tab === name}
            className={`jp-NotebookDag-tab${tab === name ? ' jp-mod-active' : ''}`}
            onClick={() => onTab(name)}
          >
            {TAB_LABELS[name]}
          </button>
        ))}
        <button
          className="jp-NotebookDag-panelClose"
          title="Close"
          aria-label="Close the side panel"
          onClick={close}
        >
          ×
        </button>
      </div>
      <div className="jp-NotebookDag-panelHeader">
        <span
          className="jp-NotebookDag-panelTitle"
          role="heading"
          aria-level={2}
        >
          {title}
        </span>
      </div>
      <div className="jp-NotebookDag-panelBody" role="tabpanel">
        {tab === 'details' && node && (
          <NodePanel
            model={model}
            node={node}
            services={services}
            editing={props.editing}
            onEdit={props.onEdit}
            mountContext={props.mountContext}
          />
        )}
        {tab === 'details' && dataset && <DatasetPanel dataset={dataset} />}
        {tab === 'details' && edge && <EdgePanel model={model} edge={edge} />}
        {tab === 'details' && !node && !dataset && !edge && (
          <div className="jp-NotebookDag-muted">
            Select a node or an edge to see its details.
          </div>
        )}
        {tab === 'history' && <HistoryPanel model={model} />}
        {tab === 'hidden' && <HiddenEdges model={model} />}
        {tab === 'datasets' &&
          services.mounts?.datasetsTab &&
          services.mounts.datasetsTab(props.mountContext)}
      </div>
    </aside>
  );
}
