/**
 * The React Flow canvas of a DAG view: nodes placed by the model's layout
 * (computed off the render path), only visible elements rendered, edges
 * drawn by dragging, deleted with Delete, nodes moved and saved.
 */
import {
  Background,
  ColorMode,
  Controls,
  EdgeTypes,
  MiniMap,
  NodeTypes,
  ReactFlow,
  useNodesState,
  useReactFlow
} from '@xyflow/react';
import * as React from 'react';

import {
  DAG_NODE_TYPE,
  DATASET_NODE_TYPE,
  DagFlowEdge,
  DagFlowNode,
  mergeFlowNodes,
  ROUTED_EDGE_TYPE,
  SECTION_NODE_TYPE,
  viewToFlowEdges,
  viewToFlowNodes
} from './graph';
import { DagModel } from './model';
import { RoutedEdge } from './edges';
import { DagCellNode, DatasetNode } from './nodes';
import { NodeSearch } from './nodesearch';
import { SectionNode } from './sectionnode';
import { focusClass, focusOf } from './focus';
import {
  IRenderInfo,
  LARGE_GRAPH,
  useEdgeEditing,
  useFitting,
  useKeepInSight,
  useNodeMoves
} from './canvasbehaviour';

export {
  FIRST_VIEW_NODES,
  IRenderInfo,
  LABEL_MIN_ZOOM,
  LARGE_GRAPH
} from './canvasbehaviour';

const NODE_TYPES: NodeTypes = {
  [DAG_NODE_TYPE]: DagCellNode,
  [DATASET_NODE_TYPE]: DatasetNode,
  [SECTION_NODE_TYPE]: SectionNode
};

const EDGE_TYPES: EdgeTypes = { [ROUTED_EDGE_TYPE]: RoutedEdge };

function miniMapColor(node: DagFlowNode): string {
  if (node.type === SECTION_NODE_TYPE) {
    return 'var(--jp-layout-color2)';
  }
  const display = node.data?.display ?? 'never_run';
  return `var(--jp-NotebookDag-${display}, var(--jp-layout-color3))`;
}

export function DagCanvas(props: {
  model: DagModel;
  version: number;
  colorMode: ColorMode;
  onRendered?: (info: IRenderInfo) => void;
}): JSX.Element {
  const { model, colorMode } = props;
  const flow = useReactFlow<DagFlowNode, DagFlowEdge>();
  const wrapper = React.useRef<HTMLDivElement>(null);
  const viewState = model.viewState;
  const view = viewState.view;
  const layout = viewState.layout;
  const direction = viewState.options.direction;
  const { blocks, states } = model.statuses;
  const selectedId = model.selectedId;
  const selectedEdgeId = model.selectedEdgeId;
  // (the DAG's states are those of the kernel runs go to: GET /dag?kernel_id=)
  const useStates = true;

  // Nodes wait for a layout covering every node of the view.
  const fresh = React.useMemo(() => {
    if (!view || !layout) {
      return null;
    }
    if (view.nodes.some(node => !layout.positions.has(node.id))) {
      return null;
    }
    const focus = focusOf(view, selectedId);
    return viewToFlowNodes(view, {
      positions: layout.positions,
      statuses: blocks,
      states,
      selectedId,
      direction,
      useStates,
      groups: layout.groups
    }).map(node => {
      const className = focusClass(
        focus,
        node.id,
        node.type === SECTION_NODE_TYPE
      );
      return className ? { ...node, className } : node;
    });
  }, [view, layout, blocks, states, selectedId, direction, useStates]);

  const large = (view?.nodes.length ?? 0) > LARGE_GRAPH;
  const edges = React.useMemo(() => {
    if (!view) {
      return [];
    }
    const focus = focusOf(view, selectedId);
    return viewToFlowEdges(view, selectedEdgeId, {
      labelsOnlyNear: large,
      labelsNear: selectedId,
      routes: layout?.routes
    }).map(edge =>
      focus && !focus.edges.has(edge.id)
        ? { ...edge, className: `${edge.className} jp-mod-faded` }
        : edge
    );
  }, [view, selectedEdgeId, selectedId, large, layout]);

  const [nodes, setNodes, applyChanges] = useNodesState<DagFlowNode>([]);
  React.useEffect(() => {
    if (fresh) {
      setNodes(previous => mergeFlowNodes(previous, fresh));
    } else if (!view) {
      setNodes([]);
    }
  }, [fresh, view]);

  const { onMove } = useFitting(model, flow, wrapper, fresh, props.onRendered);

  useKeepInSight(flow, wrapper, selectedId);

  const onNodesChange = useNodeMoves(model, applyChanges);

  const {
    onEdgesChange,
    onPaneClick,
    onConnect,
    onConnectEnd,
    isValidConnection,
    onKeyDown
  } = useEdgeEditing(model);

  return (
    <div
      ref={wrapper}
      className={`jp-NotebookDag-flow${large ? ' jp-mod-large' : ''}`}
      onKeyDown={onKeyDown}
      data-testid="dag-canvas"
    >
      <ReactFlow<DagFlowNode, DagFlowEdge>
        nodes={nodes}
        edges={edges}
        nodeTypes={NODE_TYPES}
        edgeTypes={EDGE_TYPES}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onPaneClick={onPaneClick}
        onConnect={onConnect}
        onConnectEnd={onConnectEnd}
        isValidConnection={isValidConnection}
        onMove={onMove}
        connectionRadius={28}
        nodesConnectable
        nodesFocusable
        edgesFocusable
        elementsSelectable
        deleteKeyCode={null}
        selectionKeyCode={null}
        multiSelectionKeyCode={null}
        onlyRenderVisibleElements
        elevateEdgesOnSelect
        minZoom={0.05}
        maxZoom={2}
        colorMode={colorMode}
        attributionPosition="bottom-center"
        ariaLabelConfig={{
          'node.a11yDescription.default':
            'Press Enter or Space to select the cell and show its details; arrow keys move it.',
          'edge.a11yDescription.default':
            'Press Enter or Space to select the edge, then Delete to remove (or hide) it.'
        }}
      >
        {!large && <Background gap={16} size={1} />}
        <NodeSearch model={model} />
        <Controls
          showInteractive={false}
          fitViewOptions={{ padding: 0.1, minZoom: 0.02 }}
        />
        {viewState.minimapShown && (
          <MiniMap
            pannable
            zoomable
            nodeColor={miniMapColor}
            nodeStrokeWidth={0}
            ariaLabel="Minimap of the DAG"
            position="bottom-right"
            style={{ width: 160, height: 110 }}
          />
        )}
      </ReactFlow>
    </div>
  );
}
