/**
 * Find a node of the DAG view by its title or cell number: the view scrolls
 * to it and selects it (fits keep titles readable, so large graphs do not
 * fit whole on screen).
 */
import { Panel, useReactFlow } from '@xyflow/react';
import * as React from 'react';

import { DagFlowEdge, DagFlowNode } from './graph';
import { DagModel } from './model';
import { READABLE_ZOOM } from './viewfit';

/**
 * Ids of the nodes matching `query`, best first: `#12` or `12` is the
 * cell number; otherwise titles containing the words (case-insensitive),
 * those starting with it first.
 */
export function searchNodes(
  nodes: ReadonlyArray<{ id: string; data: { title: string; index: number } }>,
  query: string
): string[] {
  const text = query.trim().toLowerCase();
  if (!text) {
    return [];
  }
  const number = /^#?(\d+)$/.exec(text);
  if (number) {
    const index = Number(number[1]) - 1;
    return nodes.filter(node => node.data.index === index).map(node => node.id);
  }
  const words = text.split(/\s+/);
  const scored = nodes
    .map(node => {
      const title = node.data.title.toLowerCase();
      if (!words.every(word => title.includes(word))) {
        return null;
      }
      return { id: node.id, score: title.startsWith(text) ? 0 : 1 };
    })
    .filter((hit): hit is { id: string; score: number } => hit !== null);
  scored.sort((a, b) => a.score - b.score);
  return scored.map(hit => hit.id);
}

export function NodeSearch(props: { model: DagModel }): JSX.Element {
  const flow = useReactFlow<DagFlowNode, DagFlowEdge>();
  const [query, setQuery] = React.useState('');
  const [hits, setHits] = React.useState<string[]>([]);
  const [at, setAt] = React.useState(0);
  const input = React.useRef<HTMLInputElement>(null);
  // "Find a Cell" (command, shortcut) focuses the box.
  React.useEffect(() => {
    const focus = () => {
      input.current?.focus();
      input.current?.select();
    };
    props.model.requests.findRequested.connect(focus);
    return () => {
      props.model.requests.findRequested.disconnect(focus);
    };
  }, [props.model]);
  const go = (ids: string[], i: number) => {
    const id = ids[i];
    const node = id ? flow.getInternalNode(id) : undefined;
    if (!node) {
      return;
    }
    props.model.select(id);
    const width = node.measured.width ?? 0;
    const height = node.measured.height ?? 0;
    void flow.setCenter(
      node.internals.positionAbsolute.x + width / 2,
      node.internals.positionAbsolute.y + Math.min(height, 80) / 2,
      { zoom: Math.max(flow.getZoom(), READABLE_ZOOM), duration: 200 }
    );
  };
  return (
    <Panel position="top-left" className="jp-NotebookDag-search">
      <input
        ref={input}
        type="search"
        className="jp-mod-styled"
        placeholder="Find a cell…"
        aria-label="Find a cell in the DAG by title or number"
        value={query}
        onChange={event => {
          setQuery(event.target.value);
          setHits([]);
        }}
        onKeyDown={event => {
          if (event.key !== 'Enter') {
            return;
          }
          event.preventDefault();
          const found = hits.length
            ? hits
            : searchNodes(flow.getNodes(), query);
          const next = hits.length
            ? (at + (event.shiftKey ? -1 : 1) + found.length) % found.length
            : 0;
          setHits(found);
          setAt(next);
          go(found, next);
        }}
      />
      {query && (
        <span className="jp-NotebookDag-searchCount" aria-live="polite">
          {hits.length ? `${at + 1}/${hits.length}` : ''}
        </span>
      )}
    </Panel>
  );
}
