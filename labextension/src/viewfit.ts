/**
 * Where the DAG view looks when it fits the graph (pure): the whole graph
 * when that keeps node titles readable, else the start of the graph at the
 * smallest readable zoom (the view scrolls; the minimap and search reach the
 * rest).
 */

export type Rect = { x: number; y: number; width: number; height: number };
export type Viewport = { x: number; y: number; zoom: number };

/**
 * Font size of node titles (`--jp-ui-font-size1`), in px at zoom 1.
 */
export const TITLE_FONT_PX = 13;

/**
 * Smallest zoom a fit goes to: titles of at least 10.4 px.
 */
export const READABLE_ZOOM = 0.8;

export interface IFitOptions {
  /**
   * Margin as a fraction of the graph's size (React Flow's `padding`).
   */
  padding?: number;
  maxZoom?: number;
  /**
   * Smallest zoom (default `READABLE_ZOOM`).
   */
  minZoom?: number;
}

/**
 * The zoom that shows all of `bounds` in a `width`×`height` px pane, as
 * React Flow's `fitView` computes it (`padding` around, at most `maxZoom`).
 */
export function fitZoom(
  bounds: Rect,
  width: number,
  height: number,
  options: IFitOptions = {}
): number {
  const padding = options.padding ?? 0.15;
  const maxZoom = options.maxZoom ?? 1.1;
  const zoomX = width / Math.max(1, bounds.width * (1 + padding));
  const zoomY = height / Math.max(1, bounds.height * (1 + padding));
  return Math.min(zoomX, zoomY, maxZoom);
}

/**
 * The viewport of a fit: centred on the graph when it fits at a readable
 * zoom; otherwise at `minZoom`, centred across when the width fits, else
 * from the graph's left edge, and from its top edge (where a DAG starts).
 */
export function fitViewport(
  bounds: Rect,
  width: number,
  height: number,
  options: IFitOptions = {}
): Viewport {
  const minZoom = options.minZoom ?? READABLE_ZOOM;
  const fit = fitZoom(bounds, width, height, options);
  const zoom = Math.max(fit, Math.min(minZoom, options.maxZoom ?? 1.1));
  const margin = 24;
  const centred = (size: number, start: number, extent: number) =>
    size / 2 - (start + extent / 2) * zoom;
  const x =
    bounds.width * zoom <= width - 2 * margin
      ? centred(width, bounds.x, bounds.width)
      : margin - bounds.x * zoom;
  const y =
    bounds.height * zoom <= height - 2 * margin
      ? centred(height, bounds.y, bounds.height)
      : margin - bounds.y * zoom;
  return { x, y, zoom };
}
