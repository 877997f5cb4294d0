/**
 * The nodes of the DAG view (memoised: a node re-renders only when its own
 * data changes) and their small toolbar.
 */
import { Handle, NodeProps, NodeToolbar, Position } from '@xyflow/react';
import * as React from 'react';

import { DagFlowNode } from './graph';
import { formatDuration } from './outputs';
import { isSqlSource } from './sqlblocks';

/**
 * Human labels of statuses.
 */
export const STATUS_LABELS: { [status: string]: string } = {
  never_run: 'never run',
  queued: 'queued',
  running: 'running',
  succeeded: 'succeeded',
  failed: 'failed',
  skipped: 'skipped',
  cancelled: 'cancelled',
  up_to_date: 'up to date',
  stale: 'stale',
  interrupted: 'interrupted'
};

/**
 * A glyph per status, shown before its label so a node's state reads at a
 * glance (and not by colour alone).
 */
export const STATUS_ICONS: { [status: string]: string } = {
  never_run: '○',
  queued: '⧗',
  running: '▶',
  succeeded: '✓',
  failed: '✕',
  skipped: '⤼',
  cancelled: '⊘',
  up_to_date: '✓',
  stale: '!',
  interrupted: '⏸'
};

export function statusLabel(status: string | null | undefined): string {
  if (!status) {
    return '';
  }
  return STATUS_LABELS[status] ?? status.replace(/_/g, ' ');
}

/**
 * What nodes can ask of the view (a stable object, given by context so that
 * node data stays plain and comparable).
 */
export interface INodeActions {
  run(mode: 'block' | 'upstream' | 'downstream', cellId: string): void;
  openInNotebook(cellId: string): void;
  edit(cellId: string): void;
  toggleSection(cellId: string): void;
}

export const NodeActionsContext = React.createContext<INodeActions | null>(
  null
);

/**
 * Lines of a source shown when hovering its node.
 */
export const PREVIEW_LINES = 14;

export function sourcePreview(source: string, lines = PREVIEW_LINES): string {
  const all = source.replace(/\s+$/, '').split('\n');
  const head = all
    .slice(0, lines)
    .map(line => (line.length > 100 ? line.slice(0, 99) + '…' : line));
  if (all.length > lines) {
    head.push(`… ${all.length - lines} more lines`);
  }
  return head.join('\n');
}

/**
 * Hover state with a delay (no preview while the pointer just crosses).
 */
function useDelayedHover(delay = 300): [boolean, () => void, () => void] {
  const [hover, setHover] = React.useState(false);
  const timer = React.useRef<ReturnType<typeof setTimeout> | null>(null);
  const enter = React.useCallback(() => {
    if (timer.current === null) {
      timer.current = setTimeout(() => {
        timer.current = null;
        setHover(true);
      }, delay);
    }
  }, [delay]);
  const leave = React.useCallback(() => {
    if (timer.current !== null) {
      clearTimeout(timer.current);
      timer.current = null;
    }
    setHover(false);
  }, []);
  React.useEffect(() => leave, [leave]);
  return [hover, enter, leave];
}

function NodeButtons(props: { cellId: string; code: boolean }): JSX.Element {
  const actions = React.useContext(NodeActionsContext);
  const { cellId, code } = props;
  if (!actions) {
    return <></>;
  }
  const stop = (event: React.SyntheticEvent) => event.stopPropagation();
  const button = (
    label: string,
    text: string,
    onClick: () => void,
    name: string
  ) => (
    <button
      key={name}
      className={`jp-NotebookDag-nodeAction jp-NotebookDag-nodeAction-${name}`}
      aria-label={label}
      title={label}
      onClick={event => {
        stop(event);
        onClick();
      }}
      onMouseDown={stop}
    >
      {text}
    </button>
  );
  return (
    <div
      className="jp-NotebookDag-nodeToolbar"
      role="toolbar"
      aria-label="Node actions"
      data-testid="dag-node-toolbar"
    >
      {code &&
        button(
          'Run this block',
          '▶',
          () => actions.run('block', cellId),
          'run'
        )}
      {code &&
        button(
          'Run with upstream',
          '⤒▶',
          () => actions.run('upstream', cellId),
          'upstream'
        )}
      {code &&
        button(
          'Run downstream',
          '▶⤓',
          () => actions.run('downstream', cellId),
          'downstream'
        )}
      {button(
        'Open the cell in the notebook',
        '↗',
        () => actions.openInNotebook(cellId),
        'open'
      )}
      {button('Edit the source', '✎', () => actions.edit(cellId), 'edit')}
    </div>
  );
}

/**
 * Why running a block alone now may not reproduce a fresh top-to-bottom run.
 */
export function laterChangesHint(names: readonly string[]): string {
  const shown = names.slice(0, 5).join(', ') + (names.length > 5 ? '…' : '');
  return (
    `Depends on later changes: the kernel holds ${shown} as a later cell left ` +
    'it. Running this cell alone may differ from a fresh run; Run stale, ' +
    'upstream or downstream restore it first.'
  );
}

/**
 * A DAG node: one notebook cell, coloured by its status.
 */
export const DagCellNode = React.memo(function DagCellNode(
  props: NodeProps<DagFlowNode>
): JSX.Element {
  const data = props.data;
  const { cellId, title, cellType, index, status, display, state } = data;
  const actions = React.useContext(NodeActionsContext);
  const [hover, enter, leave] = useDelayedHover();
  const vertical = data.direction !== 'LR';
  const code = cellType === 'code';
  const heading = data.heading;
  const collapsed = !!heading?.collapsed;
  const classes = [
    'jp-NotebookDag-node',
    `jp-NotebookDag-status-${display}`,
    `jp-NotebookDag-kind-${cellType}`
  ];
  if (props.selected) {
    classes.push('jp-mod-selected');
  }
  if (data.parseError) {
    classes.push('jp-mod-parseError');
  }
  if (collapsed) {
    classes.push('jp-mod-collapsed');
  }
  const sql = code && isSqlSource(data.source);
  if (sql) {
    classes.push('jp-NotebookDag-sql');
  }
  const showStatus = code || collapsed;
  return (
    <div
      className={classes.join(' ')}
      data-testid={`dag-node-${cellId}`}
      data-cell-id={cellId}
      data-status={status}
      data-display={display}
      data-state={state}
      data-cell-type={cellType}
      onMouseEnter={enter}
      onMouseLeave={leave}
    >
      <Handle
        type="target"
        position={vertical ? Position.Top : Position.Left}
        aria-label={`Drop an edge on ${title}`}
      />
      <div className="jp-NotebookDag-nodeHeader">
        <span className="jp-NotebookDag-nodeKind">
          {collapsed ? 'section' : cellType}
        </span>
        {sql && (
          <span
            className="jp-NotebookDag-sqlBadge"
            data-testid={`dag-sql-${cellId}`}
            title="SQL block (%%sql: JupySQL on DuckDB)"
          >
            SQL
          </span>
        )}
        <span className="jp-NotebookDag-nodeIndex">#{index + 1}</span>
        {data.duration !== null && code && (
          <span
            className="jp-NotebookDag-nodeDuration"
            title="Duration of its most recent run"
          >
            {formatDuration(data.duration)}
          </span>
        )}
        {showStatus && (
          <span className="jp-NotebookDag-nodeStatus">
            <span className="jp-NotebookDag-statusIcon" aria-hidden="true">
              {STATUS_ICONS[display] ?? ''}
            </span>
            {statusLabel(display)}
          </span>
        )}
        {code && data.laterChanges.length > 0 && (
          <span
            className="jp-NotebookDag-laterBadge"
            data-testid={`dag-later-${cellId}`}
            title={laterChangesHint(data.laterChanges)}
            aria-label={laterChangesHint(data.laterChanges)}
          >
            ↻
          </span>
        )}
      </div>
      <div className="jp-NotebookDag-nodeTitle">
        {heading && (
          <button
            className="jp-NotebookDag-sectionToggle"
            aria-expanded={!collapsed}
            aria-label={
              collapsed
                ? `Expand the section (${heading.count} cells)`
                : `Collapse the section into this node (${heading.count} cells)`
            }
            title={collapsed ? 'Expand the section' : 'Collapse the section'}
            onClick={event => {
              event.stopPropagation();
              actions?.toggleSection(cellId);
            }}
            onMouseDown={event => event.stopPropagation()}
          >
            {collapsed ? '▸' : '▾'}
          </button>
        )}
        <span className="jp-NotebookDag-nodeTitleText">{title}</span>
        {collapsed && (
          <span className="jp-NotebookDag-nodeCount">
            {heading!.count} cells
          </span>
        )}
      </div>
      {hover && (data.source || data.parseError) && (
        <pre className="jp-NotebookDag-preview" role="tooltip">
          {data.parseError
            ? `Cannot parse this cell: ${data.parseError}\n\n`
            : ''}
          {sourcePreview(data.source)}
        </pre>
      )}
      <Handle
        type="source"
        position={vertical ? Position.Bottom : Position.Right}
        aria-label={`Drag an edge from ${title}`}
      />
      <NodeToolbar
        isVisible={!!props.selected && cellType !== 'dataset'}
        position={Position.Top}
        offset={6}
      >
        <NodeButtons cellId={cellId} code={code} />
      </NodeToolbar>
    </div>
  );
});

/**
 * A dataset node (shown with `?datasets=true`).
 */
export const DatasetNode = React.memo(function DatasetNode(
  props: NodeProps<DagFlowNode>
): JSX.Element {
  const data = props.data;
  const vertical = data.direction !== 'LR';
  const info = data.dataset;
  const details = [
    info?.format,
    info?.version !== null && info?.version !== undefined
      ? `v${info.version}`
      : '',
    info?.rows !== null && info?.rows !== undefined
      ? `${info.rows.toLocaleString()} rows`
      : ''
  ].filter(Boolean);
  return (
    <div
      className={`jp-NotebookDag-node jp-NotebookDag-kind-dataset${
        props.selected ? ' jp-mod-selected' : ''
      }`}
      data-testid={`dag-node-${data.cellId}`}
      data-cell-id={data.cellId}
      data-cell-type="dataset"
    >
      <Handle
        type="target"
        position={vertical ? Position.Top : Position.Left}
        isConnectable={false}
      />
      <div className="jp-NotebookDag-nodeHeader">
        <span className="jp-NotebookDag-nodeKind">dataset</span>
        <span className="jp-NotebookDag-nodeStatus">{details.join(' · ')}</span>
      </div>
      <div className="jp-NotebookDag-nodeTitle">
        <span className="jp-NotebookDag-nodeTitleText">{data.title}</span>
      </div>
      <Handle
        type="source"
        position={vertical ? Position.Bottom : Position.Right}
        isConnectable={false}
      />
    </div>
  );
});
