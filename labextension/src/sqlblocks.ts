/**
 * SQL blocks (JupySQL's `%%sql` cell magic) in the DAG view: telling them
 * apart, the language of their editor and the template of a new one. Pure
 * functions (no JupyterLab services).
 */

/**
 * MIME type of SQL in JupyterLab's editor language registry.
 */
export const SQL_MIME = 'text/x-sql';

/**
 * Source of a new code block.
 */
export const CODE_BLOCK_SOURCE = '';

/**
 * Table of a new SQL block when the project has no dataset and the selected
 * block defines nothing: a name the user edits.
 */
export const PLACEHOLDER_TABLE = 'my_table';

/**
 * Variable a new SQL block binds (made unique against the notebook's names).
 */
export const RESULT_NAME = 'result';

/**
 * Rows a new SQL block shows.
 */
export const TEMPLATE_LIMIT = 10;

const CELL_MAGIC = /^\s*%%sql(?:\s|$)/;

/**
 * Whether a cell's source is a SQL block: it starts with the `%%sql` cell
 * magic (leading blank lines allowed, as IPython drops them).
 */
export function isSqlSource(source: string | null | undefined): boolean {
  return !!source && CELL_MAGIC.test(source);
}

/**
 * Language of a block's source editor: `sql` for a SQL block, `python` for
 * other code, `markdown` or `text` for the other cells.
 */
export function blockLanguage(
  cellType: string,
  source: string | null | undefined
): 'python' | 'sql' | 'markdown' | 'text' {
  if (cellType === 'code') {
    return isSqlSource(source) ? 'sql' : 'python';
  }
  return cellType === 'markdown' ? 'markdown' : 'text';
}

// Words DuckDB would not take as a bare table name (the common ones).
const RESERVED = new Set(
  (
    'all and any as asc between by case cast check column create cross ' +
    'default delete desc distinct drop else end except exists false from ' +
    'full group having in inner insert intersect into is join left like ' +
    'limit not null offset on or order outer right select set table then ' +
    'to true union update using values when where with'
  ).split(' ')
);

/**
 * A dataset's name as a SQL block writes its table: the name without its
 * file extension (`iris.csv` → `iris`, as the server matches tables to
 * datasets), double-quoted when it is not a plain identifier.
 */
export function sqlTableName(datasetName: string): string {
  const base = datasetName.split('/').pop() ?? datasetName;
  const dot = base.lastIndexOf('.');
  const stem = (dot > 0 ? base.slice(0, dot) : base).trim() || base;
  if (
    /^[A-Za-z_][A-Za-z0-9_]*$/.test(stem) &&
    !RESERVED.has(stem.toLowerCase())
  ) {
    return stem;
  }
  return `"${stem.replace(/"/g, '""')}"`;
}

/**
 * `base`, or `base_2`, `base_3`… the first not in `taken`.
 */
export function freshName(base: string, taken: Iterable<string>): string {
  const used = new Set(taken);
  if (!used.has(base)) {
    return base;
  }
  let n = 2;
  while (used.has(`${base}_${n}`)) {
    n++;
  }
  return `${base}_${n}`;
}

/**
 * The source of a new SQL block: JupySQL binds the query's DataFrame to
 * `result` and, with `result= <<` (rather than `result <<`), also returns it,
 * so a run shows the table in the block's outputs.
 */
export function sqlBlockSource(
  table: string,
  result: string = RESULT_NAME
): string {
  return `%%sql ${result}= <<\nSELECT *\nFROM ${table}\nLIMIT ${TEMPLATE_LIMIT}`;
}

/**
 * A dataset as the template chooses among them.
 */
export interface IDatasetName {
  name: string;
  project_id: string | null;
}

/**
 * The table a new SQL block reads: the project's first dataset, else the
 * first dataset shared with every project, else the first name the selected
 * block defines (DuckDB reads a DataFrame of the kernel by its name), else a
 * placeholder.
 */
export function templateTable(
  projectId: string,
  datasets: readonly IDatasetName[],
  upstreamNames: readonly string[] = []
): string {
  const own = datasets.find(d => d.project_id === projectId);
  const shared = datasets.find(d => !d.project_id);
  const dataset = own ?? shared;
  if (dataset) {
    return sqlTableName(dataset.name);
  }
  const name = upstreamNames.find(n => /^[A-Za-z_][A-Za-z0-9_]*$/.test(n));
  return name ?? PLACEHOLDER_TABLE;
}
