/**
 * Markdown sections of a notebook and their collapse in the DAG view (pure).
 *
 * A markdown cell starting with a heading opens a section: the cells after it
 * up to the next heading of the same or a higher level (fewer `#`). A
 * collapsed section is drawn as its heading node alone; edges to and from its
 * cells are redirected to that node.
 */
import { IDagNode } from './types';

/**
 * A section opened by a markdown heading cell.
 */
export interface ISection {
  /**
   * Id of the heading cell.
   */
  id: string;
  /**
   * Heading level (1 for `#`).
   */
  level: number;
  /**
   * The heading text.
   */
  title: string;
  /**
   * Ids of the cells of the section (nested sections included), in notebook
   * order, without the heading itself.
   */
  members: string[];
}

const ATX = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t#]*$/;
const SETEXT = /^ {0,3}(=+|-+)[ \t]*$/;

/**
 * The heading a markdown source starts with: `{level, title}`, or `null`.
 *
 * Only the first non-blank line counts (ATX `## Title`, or a setext title
 * underlined with `===`/`---`).
 */
export function headingOf(
  source: string
): { level: number; title: string } | null {
  const lines = (source ?? '').split('\n');
  let i = 0;
  while (i < lines.length && !lines[i].trim()) {
    i++;
  }
  if (i >= lines.length) {
    return null;
  }
  const atx = ATX.exec(lines[i]);
  if (atx) {
    return { level: atx[1].length, title: (atx[2] ?? '').trim() };
  }
  const next = lines[i + 1];
  if (next !== undefined && SETEXT.exec(next) && lines[i].trim()) {
    return {
      level: next.trim().startsWith('=') ? 1 : 2,
      title: lines[i].trim()
    };
  }
  return null;
}

/**
 * The sections of a notebook, by heading cell id.
 *
 * Sections without any cell are left out (nothing to collapse).
 */
export function computeSections(cells: IDagNode[]): Map<string, ISection> {
  const sorted = [...cells].sort((a, b) => a.index - b.index);
  const sections = new Map<string, ISection>();
  // Open sections, outermost first.
  const open: ISection[] = [];
  for (const cell of sorted) {
    const heading =
      cell.cell_type === 'markdown' ? headingOf(cell.source) : null;
    if (heading) {
      while (open.length && open[open.length - 1].level >= heading.level) {
        open.pop();
      }
    }
    for (const section of open) {
      section.members.push(cell.id);
    }
    if (heading) {
      const section: ISection = {
        id: cell.id,
        level: heading.level,
        title: heading.title,
        members: []
      };
      sections.set(cell.id, section);
      open.push(section);
    }
  }
  for (const [id, section] of sections) {
    if (section.members.length === 0) {
      sections.delete(id);
    }
  }
  return sections;
}

/**
 * Which visible node stands for each hidden cell: the outermost collapsed
 * section containing it. Cells not in the map are visible.
 */
export function collapsedRepresentatives(
  sections: Map<string, ISection>,
  collapsed: Iterable<string>
): Map<string, string> {
  const wanted = new Set(collapsed);
  const representative = new Map<string, string>();
  // Sections were added in notebook order: outer sections come first.
  for (const section of sections.values()) {
    if (!wanted.has(section.id) || representative.has(section.id)) {
      continue;
    }
    for (const member of section.members) {
      if (!representative.has(member)) {
        representative.set(member, section.id);
      }
    }
  }
  return representative;
}

/**
 * Order of statuses when a collapsed section shows one for all its cells:
 * the first one present wins.
 */
export const STATUS_PRIORITY: ReadonlyArray<string> = [
  'running',
  'queued',
  'failed',
  'cancelled',
  'skipped',
  'stale',
  'never_run',
  'succeeded',
  'up_to_date'
];

/**
 * The status a collapsed section shows for its cells.
 */
export function aggregateStatus(statuses: Iterable<string>): string {
  let best = -1;
  let fallback: string | null = null;
  for (const status of statuses) {
    const rank = STATUS_PRIORITY.indexOf(status);
    if (rank === -1) {
      fallback = fallback ?? status;
      continue;
    }
    if (best === -1 || rank < best) {
      best = rank;
    }
  }
  if (best !== -1) {
    return STATUS_PRIORITY[best];
  }
  return fallback ?? 'never_run';
}
