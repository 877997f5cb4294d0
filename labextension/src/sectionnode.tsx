/**
 * An expanded markdown section in the DAG view: the heading cell's node,
 * drawn as a box behind the cells it holds, titled by the heading, with the
 * button that collapses it into one node.
 */
import { Handle, NodeProps, Position } from '@xyflow/react';
import * as React from 'react';

import { DagFlowNode } from './graph';
import { NodeActionsContext } from './nodes';

export const SectionNode = React.memo(function SectionNode(
  props: NodeProps<DagFlowNode>
): JSX.Element {
  const data = props.data;
  const actions = React.useContext(NodeActionsContext);
  const vertical = data.direction !== 'LR';
  const count = data.heading?.count ?? 0;
  const level = data.heading?.level ?? 1;
  return (
    <div
      className={`jp-NotebookDag-node jp-NotebookDag-section jp-NotebookDag-kind-markdown jp-NotebookDag-section-level${Math.min(
        level,
        4
      )}`}
      data-testid={`dag-node-${data.cellId}`}
      data-cell-id={data.cellId}
      data-status={data.status}
      data-display={data.display}
      data-state={data.state}
      data-cell-type="markdown"
    >
      <Handle
        type="target"
        position={vertical ? Position.Top : Position.Left}
        aria-label={`Drop an edge on ${data.title}`}
      />
      <div className="jp-NotebookDag-sectionHeader">
        <button
          className="jp-NotebookDag-sectionToggle"
          aria-expanded={true}
          aria-label={`Collapse the section into one node (${count} cells)`}
          title="Collapse the section"
          onClick={event => {
            event.stopPropagation();
            actions?.toggleSection(data.cellId);
          }}
          onMouseDown={event => event.stopPropagation()}
        >
          ▾
        </button>
        <button
          className="jp-NotebookDag-sectionTitle"
          title={`${data.title} — open the heading in the notebook`}
          onClick={event => {
            event.stopPropagation();
            actions?.openInNotebook(data.cellId);
          }}
          onMouseDown={event => event.stopPropagation()}
        >
          {data.title}
        </button>
        <span className="jp-NotebookDag-nodeCount">{count} cells</span>
      </div>
      <Handle
        type="source"
        position={vertical ? Position.Bottom : Position.Right}
        aria-label={`Drag an edge from ${data.title}`}
      />
    </div>
  );
});
