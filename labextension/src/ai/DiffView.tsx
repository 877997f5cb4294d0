/**
 * A diff-like preview of code: removed lines red, added lines green.
 */
import * as React from 'react';

import { diffStats, IDiffLine, lineDiff } from './text';

const LINE: { [kind: string]: React.CSSProperties } = {
  same: {},
  add: { background: 'var(--jp-success-color3, #d4f7dc)' },
  del: {
    background: 'var(--jp-error-color3, #ffdce0)',
    textDecoration: 'line-through'
  }
};
const MARK = { same: ' ', add: '+', del: '-' };

export interface IDiffViewProps {
  /** the code before (empty for a new block) */
  before: string;
  /** the proposed code */
  after: string;
}

/**
 * Line diff of `before` → `after`, with a one-line summary.
 */
export function DiffView(props: IDiffViewProps): JSX.Element {
  const diff: IDiffLine[] = React.useMemo(
    () => lineDiff(props.before, props.after),
    [props.before, props.after]
  );
  const stats = diffStats(diff);
  return (
    <div className="jp-NotebookDag-ai-diff">
      <div className="jp-NotebookDag-ai-diffStats">
        {`+${stats.added} −${stats.removed}`}
      </div>
      <pre
        style={{
          margin: 0,
          fontFamily: 'var(--jp-code-font-family, monospace)',
          fontSize: 'var(--jp-code-font-size, 12px)',
          overflowX: 'auto'
        }}
      >
        {diff.map((line, i) => (
          <div
            key={i}
            className={`jp-NotebookDag-ai-line jp-mod-${line.kind}`}
            data-kind={line.kind}
            style={LINE[line.kind]}
          >
            {`${MARK[line.kind]} ${line.text}`}
          </div>
        ))}
      </pre>
    </div>
  );
}
