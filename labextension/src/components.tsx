/**
 * Small React components of the DAG view: the node and the output panel.
 */
import { Handle, NodeProps, Position } from '@xyflow/react';
import * as React from 'react';

import { DagFlowNode } from './graph';
import { formatDuration, outputsToText } from './outputs';
import { IDagNode, IRunBlock } from './types';

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
  cancelled: 'cancelled'
};

export function statusLabel(status: string | null | undefined): string {
  if (!status) {
    return '';
  }
  return STATUS_LABELS[status] ?? status.replace(/_/g, ' ');
}

/**
 * A DAG node: one notebook cell, coloured by its status.
 */
export const DagCellNode = React.memo(function DagCellNode(
  props: NodeProps<DagFlowNode>
): JSX.Element {
  const { cellId, title, cellType, index, status, source, parseError } =
    props.data;
  const classes = [
    'jp-NotebookDag-node',
    `jp-NotebookDag-status-${status}`,
    `jp-NotebookDag-kind-${cellType}`
  ];
  if (props.selected) {
    classes.push('jp-mod-selected');
  }
  if (parseError) {
    classes.push('jp-mod-parseError');
  }
  return (
    <div
      className={classes.join(' ')}
      data-testid={`dag-node-${cellId}`}
      data-cell-id={cellId}
      data-status={status}
      data-cell-type={cellType}
      title={
        parseError
          ? `Cannot parse this cell: ${parseError}`
          : source.length > 500
            ? source.slice(0, 500) + '…'
            : source
      }
    >
      <Handle type="target" position={Position.Top} isConnectable={false} />
      <div className="jp-NotebookDag-nodeHeader">
        <span className="jp-NotebookDag-nodeKind">{cellType}</span>
        <span className="jp-NotebookDag-nodeIndex">#{index + 1}</span>
        <span className="jp-NotebookDag-nodeStatus">{statusLabel(status)}</span>
      </div>
      <div className="jp-NotebookDag-nodeTitle">{title}</div>
      <Handle type="source" position={Position.Bottom} isConnectable={false} />
    </div>
  );
});

/**
 * The side panel: the selected node's status and last outputs.
 */
export function OutputPanel(props: {
  node: IDagNode;
  status: string;
  result: IRunBlock | null;
  onClose: () => void;
}): JSX.Element {
  const { node, status, result } = props;
  const outputs = outputsToText(result?.outputs);
  return (
    <div className="jp-NotebookDag-panel" data-testid="dag-output-panel">
      <div className="jp-NotebookDag-panelHeader">
        <span className="jp-NotebookDag-panelTitle">
          {node.title || `${node.cell_type} cell ${node.index + 1}`}
        </span>
        <button
          className="jp-NotebookDag-panelClose"
          title="Close"
          aria-label="Close output panel"
          onClick={props.onClose}
        >
          ×
        </button>
      </div>
      <div className="jp-NotebookDag-panelMeta">
        <span
          className={`jp-NotebookDag-badge jp-NotebookDag-status-${status}`}
          data-status={status}
        >
          {statusLabel(status)}
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
            <span>[{result.execution_count}]</span>
          )}
      </div>
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
      <div className="jp-NotebookDag-panelSection">Source</div>
      <pre className="jp-NotebookDag-source">{node.source}</pre>
      <div className="jp-NotebookDag-panelSection">Outputs</div>
      {!result && (
        <div className="jp-NotebookDag-muted">
          No outputs from a run of this view yet.
        </div>
      )}
      {result?.error && !outputs.some(o => o.kind === 'error') && (
        <div className="jp-NotebookDag-muted" data-testid="dag-block-error">
          {result.error}
        </div>
      )}
      {result && outputs.length === 0 && !result.error && (
        <div className="jp-NotebookDag-muted">No output.</div>
      )}
      {outputs.map((output, i) => (
        <pre
          key={i}
          className={`jp-NotebookDag-output jp-NotebookDag-output-${output.kind} jp-NotebookDag-output-${output.name}`}
          data-testid="dag-output"
        >
          {output.text}
        </pre>
      ))}
    </div>
  );
}
