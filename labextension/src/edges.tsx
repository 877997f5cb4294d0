/**
 * The edge of the DAG view: React Flow's bezier curve between adjacent nodes;
 * for a long edge laid out by dagre, a smooth curve through dagre's route, so
 * that it goes around the nodes in between instead of through them.
 */
import { BaseEdge, EdgeProps, getBezierPath } from '@xyflow/react';
import * as React from 'react';

import { DagFlowEdge, NODE_WIDTH } from './graph';

type Point = { x: number; y: number };

/**
 * An SVG path through `points` (Catmull-Rom spline as cubic béziers).
 */
export function smoothPath(points: Point[]): string {
  if (points.length < 2) {
    return '';
  }
  let d = `M${points[0].x},${points[0].y}`;
  for (let i = 0; i < points.length - 1; i++) {
    const p0 = points[Math.max(0, i - 1)];
    const p1 = points[i];
    const p2 = points[i + 1];
    const p3 = points[Math.min(points.length - 1, i + 2)];
    const c1 = { x: p1.x + (p2.x - p0.x) / 6, y: p1.y + (p2.y - p0.y) / 6 };
    const c2 = { x: p2.x - (p3.x - p1.x) / 6, y: p2.y - (p3.y - p1.y) / 6 };
    d += ` C${c1.x},${c1.y} ${c2.x},${c2.y} ${p2.x},${p2.y}`;
  }
  return d;
}

/**
 * The route to draw between two handles: dagre's inner points when its ends
 * still match the handles (the nodes did not move since), else `null`.
 */
export function routeBetween(
  points: Point[] | undefined,
  source: Point,
  target: Point
): Point[] | null {
  if (!points || points.length < 4) {
    return null;
  }
  const slack = NODE_WIDTH / 2 + 8;
  const first = points[0];
  const last = points[points.length - 1];
  if (
    Math.hypot(first.x - source.x, first.y - source.y) > slack ||
    Math.hypot(last.x - target.x, last.y - target.y) > slack
  ) {
    return null;
  }
  return [source, ...points.slice(1, -1), target];
}

export const RoutedEdge = React.memo(function RoutedEdge(
  props: EdgeProps<DagFlowEdge>
): JSX.Element {
  const source = { x: props.sourceX, y: props.sourceY };
  const target = { x: props.targetX, y: props.targetY };
  const route = routeBetween(props.data?.points, source, target);
  let path: string;
  let labelX: number;
  let labelY: number;
  if (route) {
    path = smoothPath(route);
    const middle = route[Math.floor(route.length / 2)];
    labelX = middle.x;
    labelY = middle.y;
  } else {
    [path, labelX, labelY] = getBezierPath({
      sourceX: props.sourceX,
      sourceY: props.sourceY,
      sourcePosition: props.sourcePosition,
      targetX: props.targetX,
      targetY: props.targetY,
      targetPosition: props.targetPosition
    });
  }
  return (
    <BaseEdge
      id={props.id}
      path={path}
      labelX={labelX}
      labelY={labelY}
      label={props.label}
      labelStyle={props.labelStyle}
      labelShowBg={props.labelShowBg}
      labelBgStyle={props.labelBgStyle}
      labelBgPadding={props.labelBgPadding}
      labelBgBorderRadius={props.labelBgBorderRadius}
      style={props.style}
      markerStart={props.markerStart}
      markerEnd={props.markerEnd}
      interactionWidth={props.interactionWidth}
    />
  );
});
