/**
 * "Ask AI to add a block after this node": a prompt, the proposed code as a
 * diff-like preview (streamed as it is written), and Accept / Reject.
 */
import * as React from 'react';

import { AIApi } from './api';
import { DiffView } from './DiffView';
import { acceptGeneration, ILocalBlockEdits } from './local';
import { AIErrorBox, AnswerSummary } from './shared';
import { stripFences } from './text';
import { IGenerateRequest, IGenerateResult } from './types';
import { useStreamedAnswer } from './useStreamedAnswer';

export interface IPromptBoxProps {
  projectId: string;
  /** the new block goes after this block; at the end of the notebook when absent */
  afterBlockId?: string | null;
  /** called with the inserted block's id after Accept */
  onInserted?: (blockId: string, result: IGenerateResult) => void;
  /** called by Cancel (and after Reject when `closeOnReject`) */
  onCancel?: () => void;
  closeOnReject?: boolean;
  /** use `?stream=1` (default true) */
  stream?: boolean;
  /** a provider name; the server's fallback chain when absent */
  provider?: string | null;
  api?: Pick<AIApi, 'generate' | 'generateStream' | 'accept'>;
  /** the "as SQL" toggle's initial state: `sql` asks for a `%%sql` block */
  language?: 'python' | 'sql';
  /** the open notebook, when the project's notebook is open in JupyterLab */
  local?: ILocalBlockEdits | null;
}

/**
 * The proposed block, its summary, Accept / Reject.
 */
function GeneratedPreview(props: {
  result: IGenerateResult;
  inserting: boolean;
  onAccept: () => void;
  onReject: () => void;
}): JSX.Element {
  return (
    <div className="jp-NotebookDag-ai-preview">
      <DiffView before="" after={props.result.code} />
      <AnswerSummary answer={props.result} />
      <div className="jp-NotebookDag-ai-actions">
        <button
          className="jp-mod-styled jp-mod-accept"
          disabled={props.inserting}
          onClick={props.onAccept}
        >
          Accept
        </button>
        <button
          className="jp-mod-styled jp-mod-reject"
          disabled={props.inserting}
          onClick={props.onReject}
        >
          Reject
        </button>
      </div>
    </div>
  );
}

export function PromptBox(props: IPromptBoxProps): JSX.Element {
  const api = React.useMemo(() => props.api ?? new AIApi(), [props.api]);
  const answer = useStreamedAnswer<IGenerateResult>();
  const [prompt, setPrompt] = React.useState('');
  const [inserting, setInserting] = React.useState(false);
  const [asSql, setAsSql] = React.useState(props.language === 'sql');
  const { result, busy } = answer;

  const generate = async (): Promise<void> => {
    if (!prompt.trim() || busy) {
      return;
    }
    const body: IGenerateRequest = {
      project_id: props.projectId,
      prompt,
      after_block_id: props.afterBlockId ?? null,
      provider: props.provider ?? null
    };
    if (asSql) {
      body.language = 'sql';
    }
    await answer.ask(callbacks =>
      props.stream === false
        ? api.generate(body)
        : api.generateStream(body, callbacks)
    );
  };

  const accept = async (): Promise<void> => {
    if (!result) {
      return;
    }
    setInserting(true);
    try {
      const afterId = props.afterBlockId ?? null;
      const blockId = await acceptGeneration(
        api,
        result.generation_id,
        props.local,
        local => local.insert(afterId, result.code)
      );
      if (answer.isMounted()) {
        answer.clear();
        setPrompt('');
      }
      props.onInserted?.(blockId, result);
    } catch (e) {
      answer.fail(e);
    } finally {
      if (answer.isMounted()) {
        setInserting(false);
      }
    }
  };

  const reject = (): void => {
    answer.clear();
    if (props.closeOnReject) {
      props.onCancel?.();
    }
  };

  const cancel = (): void => {
    if (busy) {
      answer.stop();
      return;
    }
    props.onCancel?.();
  };

  const locked = busy || inserting;
  const where = props.afterBlockId
    ? 'after this node'
    : 'at the end of the notebook';
  return (
    <div className="jp-NotebookDag-ai-promptBox">
      <label className="jp-NotebookDag-ai-title">
        {`Ask AI to add a block ${where}`}
        <textarea
          className="jp-mod-styled"
          rows={3}
          value={prompt}
          placeholder={
            asSql
              ? 'e.g. Average price per region'
              : 'e.g. Plot the distribution of price'
          }
          disabled={locked}
          onChange={e => setPrompt(e.target.value)}
          onKeyDown={e => {
            if (e.key === 'Enter' && (e.metaKey || e.ctrlKey)) {
              void generate();
            }
          }}
          style={{ width: '100%', boxSizing: 'border-box' }}
        />
      </label>
      <div className="jp-NotebookDag-ai-actions">
        <label
          className="jp-NotebookDag-ai-asSql"
          title="Ask for a SQL block (%%sql, JupySQL on DuckDB) over the project's datasets and DataFrames"
        >
          <input
            type="checkbox"
            checked={asSql}
            disabled={locked}
            onChange={e => setAsSql(e.target.checked)}
          />{' '}
          as SQL
        </label>
        <button
          className="jp-mod-styled jp-mod-accept"
          disabled={!prompt.trim() || locked || !!result}
          onClick={() => void generate()}
        >
          {busy ? 'Generating…' : 'Generate'}
        </button>
        <button className="jp-mod-styled" onClick={cancel}>
          {busy ? 'Stop' : 'Cancel'}
        </button>
      </div>
      {answer.error !== null && <AIErrorBox error={answer.error} />}
      {busy && answer.partial && (
        <pre className="jp-NotebookDag-ai-partial" aria-live="polite">
          {stripFences(answer.partial)}
        </pre>
      )}
      {result && (
        <GeneratedPreview
          result={result}
          inserting={inserting}
          onAccept={() => void accept()}
          onReject={reject}
        />
      )}
    </div>
  );
}
