/**
 * The side panel of a selected node: its status, actions, edges, source (with
 * the side editor) and the outputs of its last run.
 */
import * as React from 'react';

import { addBlockFromView } from './addblock';
import { BlockArtifacts } from './artifacts';
import { SourceEditor } from './editorview';
import { displayStatus, nodeTitle } from './graph';
import { IMountContext } from './mounts';
import { DagModel } from './model';
import { laterChangesHint, statusLabel } from './nodes';
import { OutputView } from './outputview';
import { formatDuration, stripAnsi } from './outputs';
import { IDagViewServices } from './services';
import { blockLanguage } from './sqlblocks';
import { IDagNode, IDatasetNode, IRunBlock } from './types';

function Section(props: { title: string; children: React.ReactNode }) {
  return (
    <>
      <div
        className="jp-NotebookDag-panelSection"
        role="heading"
        aria-level={3}
      >
        {props.title}
      </div>
      {props.children}
    </>
  );
}

function errorOf(result: IRunBlock | null): {
  error: string;
  traceback: string;
} {
  const output = result?.outputs?.find(o => o.output_type === 'error');
  if (output) {
    return {
      error: `${output.ename ?? 'Error'}: ${output.evalue ?? ''}`,
      traceback: (output.traceback ?? []).map(stripAnsi).join('\n')
    };
  }
  return { error: result?.error ?? '', traceback: '' };
}

function EdgeLinks(props: {
  model: DagModel;
  node: IDagNode;
}): JSX.Element | null {
  const { model, node } = props;
  const edges = model.dag?.edges ?? [];
  const into = edges.filter(e => e.target === node.id);
  const out = edges.filter(e => e.source === node.id);
  if (!into.length && !out.length) {
    return null;
  }
  const link = (id: string, names: string[], kind: string) => (
    <li key={`${kind}:${id}`}>
      <button
        className="jp-NotebookDag-link"
        onClick={() => model.select(id)}
        title={`Select ${model.titleOf(id)}`}
      >
        {model.titleOf(id)}
      </button>
      <span className="jp-NotebookDag-muted">
        {' '}
        {kind}
        {names.length ? `: ${names.join(', ')}` : ''}
      </span>
    </li>
  );
  return (
    <Section title="Edges">
      {into.length > 0 && (
        <div className="jp-NotebookDag-names">
          Depends on:
          <ul className="jp-NotebookDag-linkList">
            {into.map(e => link(e.source, e.names ?? [], e.kind))}
          </ul>
        </div>
      )}
      {out.length > 0 && (
        <div className="jp-NotebookDag-names">
          Used by:
          <ul className="jp-NotebookDag-linkList">
            {out.map(e => link(e.target, e.names ?? [], e.kind))}
          </ul>
        </div>
      )}
    </Section>
  );
}

/**
 * Draw an edge without a mouse: pick the target in a list.
 */
function AddEdge(props: { model: DagModel; node: IDagNode }): JSX.Element {
  const { model, node } = props;
  const [target, setTarget] = React.useState('');
  const others = (model.dag?.nodes ?? []).filter(n => n.id !== node.id);
  return (
    <div className="jp-NotebookDag-addEdge">
      <label>
        <span className="jp-NotebookDag-fieldLabel">Add an edge to</span>{' '}
        <select
          aria-label={`Target of a new edge from ${nodeTitle(node)}`}
          value={target}
          onChange={event => setTarget(event.target.value)}
        >
          <option value="">choose a cell…</option>
          {others.map(other => (
            <option key={other.id} value={other.id}>
              #{other.index + 1} {nodeTitle(other)}
            </option>
          ))}
        </select>
      </label>{' '}
      <button
        className="jp-Button jp-mod-styled"
        disabled={!target}
        onClick={() => {
          void model.editor.addEdge(node.id, target).then(ok => {
            if (ok) {
              setTarget('');
            }
          });
        }}
      >
        Add edge
      </button>
    </div>
  );
}

/**
 * Status, cell number, duration, execution count and kernel of a node.
 */
function NodeMeta(props: {
  model: DagModel;
  node: IDagNode;
  display: string;
  status: string;
}): JSX.Element {
  const { model, node, display, status } = props;
  const result = model.blockResult(node.id);
  const code = node.cell_type === 'code';
  return (
    <div className="jp-NotebookDag-panelMeta">
      <span
        className={`jp-NotebookDag-badge jp-NotebookDag-status-${display}`}
        data-status={status}
        data-testid="dag-node-status"
      >
        {code ? statusLabel(display) : node.cell_type}
      </span>
      <span>
        {node.cell_type} cell #{node.index + 1}
      </span>
      {typeof node.duration === 'number' && (
        <span title="Duration of its most recent run">
          {formatDuration(node.duration)}
        </span>
      )}
      {result?.execution_count !== null &&
        result?.execution_count !== undefined && (
          <span title="Execution count">[{result.execution_count}]</span>
        )}
      {result?.kernel && (
        <span
          className="jp-NotebookDag-ranOn"
          data-testid="dag-block-kernel"
          title={result.note ?? 'Where the scheduler placed it'}
        >
          on{' '}
          {result.kernel === 'project' ? 'the project kernel' : result.kernel}
        </span>
      )}
    </div>
  );
}

/**
 * Runs, open in notebook, edit, new blocks and the section toggle of a node.
 */
function NodeActions(props: {
  model: DagModel;
  node: IDagNode;
  services: IDagViewServices;
  editing: boolean;
  onEdit: (editing: boolean) => void;
}): JSX.Element {
  const { model, node, services, editing, onEdit } = props;
  const code = node.cell_type === 'code';
  const section = model.viewState.view?.sections.get(node.id);
  const collapsed = model.viewState.options.collapsed.includes(node.id);
  const openCell = services.openCell;
  const path = model.project?.notebook_path ?? '';
  return (
    <div className="jp-NotebookDag-actions" role="group" aria-label="Actions">
      {code && (
        <>
          <button
            className="jp-Button jp-mod-styled jp-mod-accept"
            onClick={() => void model.runner.run('block', node.id)}
          >
            Run this block
          </button>
          <button
            className="jp-Button jp-mod-styled"
            onClick={() => void model.runner.run('upstream', node.id)}
          >
            Run with upstream
          </button>
          <button
            className="jp-Button jp-mod-styled"
            onClick={() => void model.runner.run('downstream', node.id)}
          >
            Run downstream
          </button>
        </>
      )}
      {openCell && path && (
        <button
          className="jp-Button jp-mod-styled"
          onClick={() => void openCell(path, node.id)}
        >
          Open in notebook
        </button>
      )}
      <button
        className="jp-Button jp-mod-styled"
        aria-pressed={editing}
        onClick={() => onEdit(!editing)}
      >
        Edit source
      </button>
      <button
        className="jp-Button jp-mod-styled jp-NotebookDag-addCodeAfter"
        onClick={() => void addBlockFromView(model, services, 'code', node.id)}
        title="Add a code cell after this one and edit it"
      >
        Add code block
      </button>
      <button
        className="jp-Button jp-mod-styled jp-NotebookDag-addSqlAfter"
        onClick={() => void addBlockFromView(model, services, 'sql', node.id)}
        title="Add a SQL cell (%%sql) after this one and edit it"
      >
        Add SQL block
      </button>
      {section && (
        <button
          className="jp-Button jp-mod-styled"
          aria-expanded={!collapsed}
          onClick={() => model.viewState.toggleSection(node.id)}
        >
          {collapsed
            ? `Expand section (${section.members.length} cells)`
            : `Collapse section (${section.members.length} cells)`}
        </button>
      )}
    </div>
  );
}

/**
 * What a node reads and defines, a parse error, and names that later cells changed.
 */
function NodeNames(props: { model: DagModel; node: IDagNode }): JSX.Element {
  const { model, node } = props;
  return (
    <>
      {!!node.later_changes?.length && !model.runner.kernelId && (
        <div className="jp-NotebookDag-note" data-testid="dag-later-changes">
          {laterChangesHint(node.later_changes)}
        </div>
      )}
      {node.parse_error && (
        <pre className="jp-NotebookDag-output jp-NotebookDag-output-error">
          Cannot parse this cell: {node.parse_error}
        </pre>
      )}
      {!!node.defines?.length && (
        <div className="jp-NotebookDag-names">
          Defines: <code>{node.defines.join(', ')}</code>
        </div>
      )}
      {!!node.reads?.length && (
        <div className="jp-NotebookDag-names">
          Reads: <code>{node.reads.join(', ')}</code>
        </div>
      )}
    </>
  );
}

/**
 * The outputs of a code node's latest run, through rendermime.
 */
function NodeOutputs(props: {
  model: DagModel;
  node: IDagNode;
  services: IDagViewServices;
}): JSX.Element {
  const { model, node, services } = props;
  const result = model.blockResult(node.id);
  return (
    <Section title="Outputs">
      {!result && (
        <div className="jp-NotebookDag-muted">
          No outputs from a run of this cell yet.
        </div>
      )}
      {result?.error &&
        !result.outputs?.some(o => o.output_type === 'error') && (
          <div className="jp-NotebookDag-muted" data-testid="dag-block-error">
            {result.error}
          </div>
        )}
      {result && (result.outputs ?? []).length === 0 && !result.error && (
        <div className="jp-NotebookDag-muted">No output.</div>
      )}
      {result && (result.outputs ?? []).length > 0 && (
        <OutputView outputs={result.outputs} rendermime={services.rendermime} />
      )}
    </Section>
  );
}

export function NodePanel(props: {
  model: DagModel;
  node: IDagNode;
  services: IDagViewServices;
  editing: boolean;
  onEdit: (editing: boolean) => void;
  mountContext: IMountContext;
}): JSX.Element {
  const { model, node, services, editing, onEdit } = props;
  const statuses = model.statuses;
  const status = statuses.blocks[node.id] ?? node.status ?? 'never_run';
  const state = model.runner.kernelId
    ? null // the project kernel's state says nothing of another kernel
    : (statuses.states[node.id] ?? node.state ?? 'never_run');
  const display = displayStatus(status, state);
  const result = model.blockResult(node.id);
  const code = node.cell_type === 'code';
  const title = nodeTitle(node);
  const mounts = services.mounts ?? {};
  const blockContext = {
    ...props.mountContext,
    blockId: node.id,
    title,
    source: node.source
  };
  const failed = status === 'failed';
  const failure = errorOf(result);
  const followed = model.followedRun;
  const failedRunId = followed?.blocks?.some(
    b => b.block_id === node.id && b.status === 'failed'
  )
    ? followed.id
    : (node.last_run_id ?? model.statuses.runId);
  const language = blockLanguage(node.cell_type, node.source);
  return (
    <>
      <NodeMeta model={model} node={node} display={display} status={status} />
      {result?.note && (
        <div className="jp-NotebookDag-note" data-testid="dag-block-note">
          {result.note}
        </div>
      )}
      <NodeActions
        model={model}
        node={node}
        services={services}
        editing={editing}
        onEdit={onEdit}
      />
      {code && mounts.aiAddBlock && mounts.aiAddBlock(blockContext)}
      {failed &&
        mounts.aiFix &&
        mounts.aiFix({
          ...blockContext,
          runId: failedRunId,
          error: failure.error,
          traceback: failure.traceback
        })}
      <NodeNames model={model} node={node} />
      <EdgeLinks model={model} node={node} />
      <AddEdge model={model} node={node} />
      <Section title="Source">
        {editing ? (
          <SourceEditor
            cellId={node.id}
            source={node.source}
            language={language}
            editorServices={services.editorServices}
            onSave={source => model.editor.saveSource(node.id, source)}
            onClose={() => onEdit(false)}
          />
        ) : (
          <pre className="jp-NotebookDag-source" data-testid="dag-source">
            {node.source}
          </pre>
        )}
      </Section>
      {code && <NodeOutputs model={model} node={node} services={services} />}
      {code && (
        <BlockArtifacts
          model={model}
          blockId={node.id}
          lastRunId={node.last_run_id}
          services={services}
        />
      )}
    </>
  );
}

export function DatasetPanel(props: { dataset: IDatasetNode }): JSX.Element {
  const { dataset } = props;
  return (
    <dl className="jp-NotebookDag-facts">
      <dt>Format</dt>
      <dd>{dataset.format ?? '—'}</dd>
      <dt>Version</dt>
      <dd>{dataset.version ?? '—'}</dd>
      <dt>Rows</dt>
      <dd>{dataset.rows ?? '—'}</dd>
      <dt>Id</dt>
      <dd>
        <code>{dataset.dataset_id}</code>
      </dd>
    </dl>
  );
}
