/**
 * The run history: past runs with their status, duration and per-block
 * results; re-run what failed, cancel what is under way.
 */
import * as React from 'react';

import { blockRows, summarizeRun } from './history';
import { DagModel } from './model';
import { statusLabel } from './nodes';

function useHistory(model: DagModel): number {
  const [version, setVersion] = React.useState(0);
  React.useEffect(() => {
    const onChange = () => setVersion(v => v + 1);
    model.history.changed.connect(onChange);
    if (!model.history.loaded && !model.history.loading) {
      void model.history.load();
    }
    return () => {
      model.history.changed.disconnect(onChange);
    };
  }, [model]);
  // Relative times ("2 min ago") move on.
  React.useEffect(() => {
    const timer = setInterval(() => setVersion(v => v + 1), 30000);
    return () => clearInterval(timer);
  }, []);
  return version;
}

export function HistoryPanel(props: { model: DagModel }): JSX.Element {
  const { model } = props;
  useHistory(model);
  const history = model.history;
  const titleOf = (id: string) => model.titleOf(id);
  return (
    <div className="jp-NotebookDag-history" data-testid="dag-history">
      <div className="jp-NotebookDag-historyHeader">
        <span>
          {history.total} run{history.total === 1 ? '' : 's'}
        </span>
        <button
          className="jp-Button jp-mod-styled"
          onClick={() => void history.load()}
          disabled={history.loading}
        >
          Reload
        </button>
      </div>
      {history.error && (
        <div className="jp-NotebookDag-inlineError" role="alert">
          {history.error}
        </div>
      )}
      {history.loaded && history.runs.length === 0 && (
        <div className="jp-NotebookDag-muted">No run yet.</div>
      )}
      <ul className="jp-NotebookDag-runList" aria-label="Runs, newest first">
        {history.runs.map(run => {
          const summary = summarizeRun(run, titleOf);
          const open = history.expanded.has(run.id);
          const details = history.details(run.id);
          return (
            <li
              key={run.id}
              className="jp-NotebookDag-runItem"
              data-testid="dag-history-run"
              data-run-id={run.id}
              data-status={run.status}
            >
              <div className="jp-NotebookDag-runLine">
                <span
                  className={`jp-NotebookDag-badge jp-NotebookDag-status-${run.status}`}
                >
                  {statusLabel(run.status)}
                </span>
                <span className="jp-NotebookDag-runLabel">{summary.label}</span>
                <span
                  className="jp-NotebookDag-muted"
                  title={run.created_at ?? ''}
                >
                  {summary.when}
                </span>
                {summary.duration && (
                  <span className="jp-NotebookDag-runDuration">
                    {summary.duration}
                  </span>
                )}
              </div>
              {summary.counts && (
                <div className="jp-NotebookDag-runCounts">{summary.counts}</div>
              )}
              {summary.reason && (
                <div className="jp-NotebookDag-runReason">{summary.reason}</div>
              )}
              <div className="jp-NotebookDag-runActions">
                <button
                  className="jp-Button jp-mod-styled"
                  aria-expanded={open}
                  onClick={() => history.toggle(run.id)}
                >
                  {open ? 'Hide blocks' : 'Blocks'}
                </button>
                {summary.canRetry && (
                  <button
                    className="jp-Button jp-mod-styled jp-mod-accept"
                    onClick={() => void model.runner.retry(run.id)}
                    title="Start a new run of the blocks that did not succeed (and what they need)"
                  >
                    Re-run failed
                  </button>
                )}
                {summary.canCancel && (
                  <button
                    className="jp-Button jp-mod-styled jp-mod-warn"
                    onClick={() => void history.cancel(run.id)}
                  >
                    Cancel
                  </button>
                )}
              </div>
              {open && !details && (
                <div className="jp-NotebookDag-muted">Loading…</div>
              )}
              {open && details && (
                <table className="jp-NotebookDag-blockTable">
                  <thead>
                    <tr>
                      <th scope="col">Block</th>
                      <th scope="col">Status</th>
                      <th scope="col">Time</th>
                    </tr>
                  </thead>
                  <tbody>
                    {blockRows(details, titleOf).map(row => (
                      <tr key={row.blockId} data-status={row.status}>
                        <td>
                          <button
                            className="jp-NotebookDag-link"
                            onClick={() => model.select(row.blockId)}
                            title={row.error || `Select ${row.title}`}
                          >
                            {row.title}
                          </button>
                        </td>
                        <td>
                          <span
                            className={`jp-NotebookDag-badge jp-NotebookDag-status-${row.status}`}
                          >
                            {statusLabel(row.status)}
                          </span>
                        </td>
                        <td>{row.duration}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </li>
          );
        })}
      </ul>
      {history.runs.length < history.total && (
        <button
          className="jp-Button jp-mod-styled"
          onClick={() => void history.more()}
        >
          Load more
        </button>
      )}
    </div>
  );
}
