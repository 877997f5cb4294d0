/**
 * "Fix with AI" for a failed node: asks for corrected code, shows old → new as
 * a diff, Accept replaces the block's source.
 */
import * as React from 'react';

import { AIApi } from './api';
import { DiffView } from './DiffView';
import { acceptGeneration, ILocalBlockEdits } from './local';
import { AIErrorBox, AnswerSummary } from './shared';
import { stripFences } from './text';
import { IFixResult } from './types';

export interface IFixWithAIProps {
  projectId: string;
  /** the failed block */
  blockId: string;
  /** the run it failed in */
  runId: string;
  /** called after Accept, with the new code */
  onReplaced?: (code: string, result: IFixResult) => void;
  /** called by Reject / Close */
  onClose?: () => void;
  /** ask at once when mounted (default false: the user clicks "Fix with AI") */
  autoStart?: boolean;
  stream?: boolean;
  provider?: string | null;
  api?: Pick<AIApi, 'fix' | 'fixStream' | 'accept'>;
  /** the open notebook, when the project's notebook is open in JupyterLab */
  local?: ILocalBlockEdits | null;
}

type Phase = 'idle' | 'fixing' | 'preview' | 'replacing' | 'done';

export function FixWithAI(props: IFixWithAIProps): JSX.Element {
  const api = React.useMemo(() => props.api ?? new AIApi(), [props.api]);
  const [phase, setPhase] = React.useState<Phase>('idle');
  const [hint, setHint] = React.useState('');
  const [partial, setPartial] = React.useState('');
  const [result, setResult] = React.useState<IFixResult | null>(null);
  const [error, setError] = React.useState<unknown>(null);
  const mounted = React.useRef(true);
  const abort = React.useRef<AbortController | null>(null);
  React.useEffect(
    () => () => {
      mounted.current = false;
      abort.current?.abort();
    },
    []
  );

  const run = async (): Promise<void> => {
    setPhase('fixing');
    setError(null);
    setResult(null);
    setPartial('');
    const body = {
      project_id: props.projectId,
      block_id: props.blockId,
      run_id: props.runId,
      hint: hint.trim() || null,
      provider: props.provider ?? null
    };
    const controller = new AbortController();
    abort.current = controller;
    try {
      let text = '';
      const out =
        props.stream === false
          ? await api.fix(body)
          : await api.fixStream(body, {
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
    }
  };

  React.useEffect(() => {
    if (props.autoStart) {
      void run();
    }
  }, []);

  const accept = async (): Promise<void> => {
    if (!result) {
      return;
    }
    setPhase('replacing');
    try {
      const blockId = props.blockId;
      await acceptGeneration(
        api,
        result.generation_id,
        props.local,
        async local =>
          (await local.replace(blockId, result.code)) ? blockId : null
      );
      if (mounted.current) {
        setPhase('done');
      }
      props.onReplaced?.(result.code, result);
    } catch (e) {
      if (mounted.current) {
        setError(e);
        setPhase('preview');
      }
    }
  };

  return (
    <div className="jp-NotebookDag-ai-fix">
      {(phase === 'idle' || phase === 'fixing') && (
        <div>
          <input
            className="jp-mod-styled"
            placeholder="Optional hint for the AI"
            aria-label="Hint for the AI"
            value={hint}
            disabled={phase === 'fixing'}
            onChange={e => setHint(e.target.value)}
          />
          <button
            className="jp-mod-styled jp-mod-accept"
            disabled={phase === 'fixing'}
            onClick={() => void run()}
          >
            {phase === 'fixing' ? 'Fixing…' : 'Fix with AI'}
          </button>
          {phase === 'fixing' && (
            <button
              className="jp-mod-styled"
              onClick={() => abort.current?.abort()}
            >
              Stop
            </button>
          )}
        </div>
      )}
      {error !== null && <AIErrorBox error={error} />}
      {phase === 'fixing' && partial && (
        <pre className="jp-NotebookDag-ai-partial" aria-live="polite">
          {stripFences(partial)}
        </pre>
      )}
      {result && phase !== 'idle' && phase !== 'fixing' && (
        <div className="jp-NotebookDag-ai-preview">
          {!result.changed && (
            <div className="jp-NotebookDag-ai-note">
              The AI proposes no change to the code.
            </div>
          )}
          <DiffView before={result.original_code} after={result.code} />
          <AnswerSummary answer={result} newLabel={props.blockId} />
          {phase === 'done' ? (
            <div className="jp-NotebookDag-ai-note">
              The block was replaced. Run it again to check.
            </div>
          ) : (
            <div className="jp-NotebookDag-ai-actions">
              <button
                className="jp-mod-styled jp-mod-accept"
                disabled={phase === 'replacing' || !result.changed}
                onClick={() => void accept()}
              >
                Accept
              </button>
              <button
                className="jp-mod-styled jp-mod-reject"
                disabled={phase === 'replacing'}
                onClick={() => props.onClose?.()}
              >
                Reject
              </button>
            </div>
          )}
        </div>
      )}
    </div>
  );
}
