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

type Phase = 'idle' | 'generating' | 'preview' | 'inserting';

export function PromptBox(props: IPromptBoxProps): JSX.Element {
  const api = React.useMemo(() => props.api ?? new AIApi(), [props.api]);
  const [prompt, setPrompt] = React.useState('');
  const [phase, setPhase] = React.useState<Phase>('idle');
  const [partial, setPartial] = React.useState('');
  const [result, setResult] = React.useState<IGenerateResult | null>(null);
  const [error, setError] = React.useState<unknown>(null);
  const [asSql, setAsSql] = React.useState(props.language === 'sql');
  const abort = React.useRef<AbortController | null>(null);
  const mounted = React.useRef(true);
  React.useEffect(
    () => () => {
      mounted.current = false;
      abort.current?.abort();
    },
    []
  );

  const generate = async (): Promise<void> => {
    if (!prompt.trim() || phase === 'generating') {
      return;
    }
    setPhase('generating');
    setError(null);
    setResult(null);
    setPartial('');
    const body: IGenerateRequest = {
      project_id: props.projectId,
      prompt,
      after_block_id: props.afterBlockId ?? null,
      provider: props.provider ?? null
    };
    if (asSql) {
      body.language = 'sql';
    }
    const controller = new AbortController();
    abort.current = controller;
    try {
      let text = '';
      const out =
        props.stream === false
          ? await api.generate(body)
          : await api.generateStream(body, {
              signal: controller.signal,
              onChunk: chunk => {
                text += chunk;
                if (mounted.current) {
                  setPartial(text);
                }
              },
              onRepair: () => {
                text = '';
              }
            });
      if (mounted.current) {
        setResult(out);
        setPhase('preview');
      }
    } catch (e) {
      if (mounted.current) {
        setError(e);
        setPhase('idle');
      }
    } finally {
      abort.current = null;
    }
  };

  const accept = async (): Promise<void> => {
    if (!result) {
      return;
    }
    setPhase('inserting');
    try {
      const afterId = props.afterBlockId ?? null;
      const blockId = await acceptGeneration(
        api,
        result.generation_id,
        props.local,
        local => local.insert(afterId, result.code)
      );
      if (mounted.current) {
        setPhase('idle');
        setResult(null);
        setPrompt('');
      }
      props.onInserted?.(blockId, result);
    } catch (e) {
      if (mounted.current) {
        setError(e);
        setPhase('preview');
      }
    }
  };

  const reject = (): void => {
    setResult(null);
    setPhase('idle');
    if (props.closeOnReject) {
      props.onCancel?.();
    }
  };

  const cancel = (): void => {
    if (phase === 'generating') {
      abort.current?.abort();
      return;
    }
    props.onCancel?.();
  };

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
          disabled={phase === 'generating' || phase === 'inserting'}
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
            disabled={phase === 'generating' || phase === 'inserting'}
            onChange={e => setAsSql(e.target.checked)}
          />{' '}
          as SQL
        </label>
        <button
          className="jp-mod-styled jp-mod-accept"
          disabled={!prompt.trim() || phase !== 'idle'}
          onClick={() => void generate()}
        >
          {phase === 'generating' ? 'Generating…' : 'Generate'}
        </button>
        <button className="jp-mod-styled" onClick={cancel}>
          {phase === 'generating' ? 'Stop' : 'Cancel'}
        </button>
      </div>
      {error !== null && <AIErrorBox error={error} />}
      {phase === 'generating' && partial && (
        <pre className="jp-NotebookDag-ai-partial" aria-live="polite">
          {stripFences(partial)}
        </pre>
      )}
      {result && (phase === 'preview' || phase === 'inserting') && (
        <div className="jp-NotebookDag-ai-preview">
          <DiffView before="" after={result.code} />
          <AnswerSummary answer={result} />
          <div className="jp-NotebookDag-ai-actions">
            <button
              className="jp-mod-styled jp-mod-accept"
              disabled={phase === 'inserting'}
              onClick={() => void accept()}
            >
              Accept
            </button>
            <button
              className="jp-mod-styled jp-mod-reject"
              disabled={phase === 'inserting'}
              onClick={reject}
            >
              Reject
            </button>
          </div>
        </div>
      )}
    </div>
  );
}
