import { focusClass, focusOf } from '../focus';
import { buildViewGraph } from '../viewgraph';
import { sampleDag } from './fixtures';

describe('focus mode', () => {
  // md -> load -> clean -> (plot, stats), md -> load drawn by hand
  const view = buildViewGraph(sampleDag());

  it('lights the upstream and downstream of the selected node', () => {
    const focus = focusOf(view, 'clean')!;
    expect([...focus.upstream].sort()).toEqual(['load', 'md']);
    expect([...focus.downstream].sort()).toEqual(['plot', 'stats']);
    expect(focusClass(focus, 'clean')).toBe('jp-mod-focus');
    expect(focusClass(focus, 'load')).toBe('jp-mod-upstream');
    expect(focusClass(focus, 'stats')).toBe('jp-mod-downstream');
    expect(focusClass(focus, 'md')).toBe('jp-mod-upstream');
    const lit = view.edges.filter(e => focus.edges.has(e.id));
    expect(lit.length).toBe(view.edges.length);
  });

  it('fades the sibling branch of a leaf', () => {
    const focus = focusOf(view, 'plot')!;
    expect([...focus.upstream].sort()).toEqual(['clean', 'load', 'md']);
    expect(focus.downstream.size).toBe(0);
    expect(focusClass(focus, 'stats')).toBe('jp-mod-faded');
    expect(focusClass(focus, 'stats', true)).toBe(''); // sections never fade
    for (const edge of view.edges) {
      expect(focus.edges.has(edge.id)).toBe(edge.target !== 'stats');
    }
  });

  it('is off without a selection or with an unknown one', () => {
    expect(focusOf(view, null)).toBeNull();
    expect(focusOf(view, 'nope')).toBeNull();
    expect(focusClass(null, 'load')).toBe('');
  });
});
