import { routeBetween, smoothPath } from '../edges';
import { computeLayout } from '../layout';
import { viewToFlowEdges } from '../graph';
import { buildViewGraph } from '../viewgraph';
import { sampleDag } from './fixtures';

describe('dagre routes of long edges', () => {
  // a -> b -> c -> d and a -> d: a -> d spans three ranks.
  const nodes = ['a', 'b', 'c', 'd'].map(id => ({ id }));
  const edges = [
    { id: 'ab', source: 'a', target: 'b' },
    { id: 'bc', source: 'b', target: 'c' },
    { id: 'cd', source: 'c', target: 'd' },
    { id: 'ad', source: 'a', target: 'd' }
  ];

  it('keeps the route of edges with bends only', () => {
    const layout = computeLayout(nodes, edges);
    expect([...layout.routes!.keys()]).toEqual(['ad']);
    const route = layout.routes!.get('ad')!;
    expect(route.length).toBeGreaterThan(3);
    // It goes around b and c, not through them.
    const b = layout.positions.get('b')!;
    const middle = route[Math.floor(route.length / 2)];
    expect(Math.abs(middle.x - (b.x + 110))).toBeGreaterThan(60);
  });

  it('drops routes to nodes with a saved position', () => {
    const layout = computeLayout(nodes, edges, {}, { d: { x: 900, y: 900 } });
    expect(layout.routes!.size).toBe(0);
  });

  it('passes routes to the flow edges', () => {
    const view = buildViewGraph(sampleDag());
    const routes = new Map([['m1', [{ x: 1, y: 2 }]]]);
    const flow = viewToFlowEdges(view, null, { routes });
    expect(flow.find(e => e.id === 'm1')!.data!.points).toEqual([
      { x: 1, y: 2 }
    ]);
    expect(flow.every(e => e.type === 'dagRouted')).toBe(true);
  });
});

describe('routeBetween', () => {
  const points = [
    { x: 0, y: 0 },
    { x: 50, y: 100 },
    { x: 60, y: 200 },
    { x: 0, y: 300 }
  ];

  it('joins the handles through the inner points', () => {
    expect(routeBetween(points, { x: 5, y: -3 }, { x: 2, y: 304 })).toEqual([
      { x: 5, y: -3 },
      { x: 50, y: 100 },
      { x: 60, y: 200 },
      { x: 2, y: 304 }
    ]);
  });

  it('gives up when a node moved away, or without bends', () => {
    expect(routeBetween(points, { x: 500, y: 0 }, { x: 0, y: 300 })).toBeNull();
    expect(
      routeBetween(points.slice(0, 3), { x: 0, y: 0 }, { x: 60, y: 200 })
    ).toBeNull();
    expect(routeBetween(undefined, { x: 0, y: 0 }, { x: 0, y: 0 })).toBeNull();
  });
});

describe('smoothPath', () => {
  it('draws cubic segments through every point', () => {
    const d = smoothPath([
      { x: 0, y: 0 },
      { x: 10, y: 10 },
      { x: 20, y: 0 }
    ]);
    expect(d.startsWith('M0,0 C')).toBe(true);
    expect(d.match(/C/g)).toHaveLength(2);
    expect(d.endsWith('20,0')).toBe(true);
    expect(smoothPath([{ x: 1, y: 1 }])).toBe('');
  });
});
