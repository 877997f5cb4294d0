/**
 * Pieces shared by the prompt box and Fix-with-AI: the answer summary and the error box.
 */
import * as React from 'react';

import { describeAIError } from './errors';
import { IAnswer } from './types';

/**
 * Provider, model, explanation, names and edges of an answer.
 */
export function AnswerSummary(props: {
  answer: IAnswer;
  newLabel?: string;
}): JSX.Element {
  const a = props.answer;
  const label = (id: string): string =>
    id === '<new>' ? (props.newLabel ?? 'new block') : id;
  return (
    <div className="jp-NotebookDag-ai-summary">
      {a.explanation && (
        <p className="jp-NotebookDag-ai-explanation">{a.explanation}</p>
      )}
      <div className="jp-NotebookDag-ai-meta">
        {`${a.provider} · ${a.model}`}
        {a.repaired ? ' · repaired once' : ''}
        {a.usage?.total_tokens ? ` · ${a.usage.total_tokens} tokens` : ''}
      </div>
      {(a.reads.length > 0 || a.defines.length > 0) && (
        <div className="jp-NotebookDag-ai-names">
          {a.reads.length > 0 && <span>{`reads ${a.reads.join(', ')}`}</span>}
          {a.reads.length > 0 && a.defines.length > 0 && <span>{'; '}</span>}
          {a.defines.length > 0 && (
            <span>{`defines ${a.defines.join(', ')}`}</span>
          )}
        </div>
      )}
      {a.edges.length > 0 && (
        <ul className="jp-NotebookDag-ai-edges">
          {a.edges.map((e, i) => (
            <li
              key={i}
            >{`${label(e.source)} → ${label(e.target)}${e.names.length ? ` (${e.names.join(', ')})` : ''}`}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

/**
 * An error of the AI routes, described for people (see `describeAIError`).
 */
export function AIErrorBox(props: { error: unknown }): JSX.Element {
  const { title, message } = describeAIError(props.error);
  return (
    <div className="jp-NotebookDag-ai-error" role="alert">
      <strong>{title}</strong>
      <div>{message}</div>
    </div>
  );
}
