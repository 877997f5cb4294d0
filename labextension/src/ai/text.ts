/**
 * Pure text helpers of the AI components: fences, line diffs, SSE parsing.
 */

const FENCE = /^[ \t]*(```|~~~)[ \t]*([A-Za-z0-9_+.-]*)[^\n]*$/;
const CODE_LANGS = new Set([
  '',
  'python',
  'py',
  'python3',
  'ipython',
  'ipython3',
  'jupyter'
]);

/**
 * The code of a (possibly partial) model answer: the first python (or bare)
 * fenced block, up to its closing fence or the end of the text; the whole
 * text when it has no fence. Mirrors the server's `split_answer`, so the
 * preview of a streamed answer shows what the server will keep.
 */
export function stripFences(answer: string): string {
  const lines = answer.replace(/\r\n/g, '\n').split('\n');
  const blocks: { lang: string; start: number; end: number }[] = [];
  let open: { marker: string; lang: string; start: number } | null = null;
  lines.forEach((line, i) => {
    const m = FENCE.exec(line);
    if (!m) {
      return;
    }
    if (open === null) {
      open = { marker: m[1], lang: m[2].toLowerCase(), start: i };
    } else if (m[1] === open.marker && !m[2]) {
      blocks.push({ lang: open.lang, start: open.start, end: i });
      open = null;
    }
  });
  if (open !== null) {
    const o = open as { marker: string; lang: string; start: number };
    blocks.push({ lang: o.lang, start: o.start, end: lines.length });
  }
  if (blocks.length === 0) {
    return trimBlank(lines).join('\n');
  }
  const block = blocks.find(b => CODE_LANGS.has(b.lang)) ?? blocks[0];
  return trimBlank(lines.slice(block.start + 1, block.end)).join('\n');
}

function trimBlank(lines: string[]): string[] {
  let a = 0;
  let b = lines.length;
  while (a < b && lines[a].trim() === '') {
    a++;
  }
  while (b > a && lines[b - 1].trim() === '') {
    b--;
  }
  return lines
    .slice(a, b)
    .map((l, i, all) => (i === all.length - 1 ? l.replace(/\s+$/, '') : l));
}

/**
 * One line of a line diff.
 */
export interface IDiffLine {
  kind: 'same' | 'add' | 'del';
  text: string;
  /** 1-based line number in the old text (same, del) */
  oldLine?: number;
  /** 1-based line number in the new text (same, add) */
  newLine?: number;
}

/**
 * Line diff of `before` → `after` by longest common subsequence; deletions
 * come before additions within a changed stretch. O(n·m) memory, fine for
 * notebook cells (a few hundred lines).
 */
export function lineDiff(before: string, after: string): IDiffLine[] {
  const a = before === '' ? [] : before.replace(/\r\n/g, '\n').split('\n');
  const b = after === '' ? [] : after.replace(/\r\n/g, '\n').split('\n');
  const n = a.length;
  const m = b.length;
  const lcs: number[][] = Array.from({ length: n + 1 }, () =>
    new Array<number>(m + 1).fill(0)
  );
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i][j] =
        a[i] === b[j]
          ? lcs[i + 1][j + 1] + 1
          : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  const out: IDiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      out.push({ kind: 'same', text: a[i], oldLine: i + 1, newLine: j + 1 });
      i++;
      j++;
    } else if (j >= m || (i < n && lcs[i + 1][j] >= lcs[i][j + 1])) {
      out.push({ kind: 'del', text: a[i], oldLine: i + 1 });
      i++;
    } else {
      out.push({ kind: 'add', text: b[j], newLine: j + 1 });
      j++;
    }
  }
  return out;
}

/**
 * Counts of added and removed lines of a diff.
 */
export function diffStats(diff: IDiffLine[]): {
  added: number;
  removed: number;
} {
  return {
    added: diff.filter(d => d.kind === 'add').length,
    removed: diff.filter(d => d.kind === 'del').length
  };
}

/**
 * Incremental parser of a `text/event-stream` body. `push` takes the next
 * piece of text and returns the complete events in it; an event cut between
 * two pieces is kept until its end arrives.
 */
export class SSEParser {
  private buffer = '';

  push(text: string): { event: string; data: unknown }[] {
    this.buffer += text.replace(/\r\n/g, '\n');
    const out: { event: string; data: unknown }[] = [];
    let cut = this.buffer.indexOf('\n\n');
    while (cut >= 0) {
      const block = this.buffer.slice(0, cut);
      this.buffer = this.buffer.slice(cut + 2);
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) {
          event = line.slice(6).trim();
        } else if (line.startsWith('data:')) {
          data.push(line.slice(5).replace(/^ /, ''));
        }
      }
      if (data.length > 0) {
        let parsed: unknown = data.join('\n');
        try {
          parsed = JSON.parse(parsed as string);
        } catch {
          // not JSON: keep the text
        }
        out.push({ event, data: parsed });
      }
      cut = this.buffer.indexOf('\n\n');
    }
    return out;
  }
}
