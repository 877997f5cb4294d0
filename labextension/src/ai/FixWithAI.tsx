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
import { useStreamedAnswer } from './useStreamedAnswer';

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

type Step = 'answer' | 'replacing' | 'done';

/**
 * The proposed fix: old → new, the answer's summary, Accept / Reject.
 */
function FixPreview(props: {
  result: IFixResult;
  blockId: string;
  step: Step;
  onAccept: () => void;
  onReject: () => void;
}): JSX.Element {
  const { result, step } = props;
  return (
    <div className="jp-NotebookDag-ai-preview">
      {!result.changed && (
        <div className="jp-NotebookDag-ai-note">
          The AI proposes no change to the code.
        </div>
      )}
      <DiffView before={result.original_code} after={result.code} />
      <AnswerSummary answer={result} newLabel={props.blockId} />
      {step === 'done' ? (
        <div className="jp-NotebookDag-ai-note">
          The block was replaced. Run it again to check.
        </div>
      ) : (
        <div className="jp-NotebookDag-ai-actions">
          <button
            className="jp-mod-styled jp-mod-accept"
            disabled={step === 'replacing' || !result.changed}
            onClick={props.onAccept}
          >
            Accept
          </button>
          <button
            className="jp-mod-styled jp-mod-reject"
            disabled={step === 'replacing'}
            onClick={props.onReject}
          >
            Reject
          </button>
        </div>
      )}
    </div>
  );
}

export function FixWithAI(props: IFixWithAIProps): JSX.Element {
  const api = React.useMemo(() => props.api ?? new AIApi(), [props.api]);
  const answer = useStreamedAnswer<IFixResult>();
  const [hint, setHint] = React.useState('');
  const [step, setStep] = React.useState<Step>('answer');
  const { result, busy } = answer;

  const run = (): Promise<IFixResult | null> => {
    setStep('answer');
    const body = {
      project_id: props.projectId,
      block_id: props.blockId,
      run_id: props.runId,
      hint: hint.trim() || null,
      provider: props.provider ?? null
    };
    return answer.ask(callbacks =>
      props.stream === false ? api.fix(body) : api.fixStream(body, callbacks)
    );
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
    setStep('replacing');
    try {
      const blockId = props.blockId;
      await acceptGeneration(
        api,
        result.generation_id,
        props.local,
        async local =>
          (await local.replace(blockId, result.code)) ? blockId : null
      );
      if (answer.isMounted()) {
        setStep('done');
      }
      props.onReplaced?.(result.code, result);
    } catch (e) {
      answer.fail(e);
      if (answer.isMounted()) {
        setStep('answer');
      }
    }
  };

  return (
    <div className="jp-NotebookDag-ai-fix">
      {!result && (
        <div>
          <input
            className="jp-mod-styled"
            placeholder="Optional hint for the AI"
            aria-label="Hint for the AI"
            value={hint}
            disabled={busy}
            onChange={e => setHint(e.target.value)}
          />
          <button
            className="jp-mod-styled jp-mod-accept"
            disabled={busy}
            onClick={() => void run()}
          >
            {busy ? 'Fixing…' : 'Fix with AI'}
          </button>
          {busy && (
            <button className="jp-mod-styled" onClick={answer.stop}>
              Stop
            </button>
          )}
        </div>
      )}
      {answer.error !== null && <AIErrorBox error={answer.error} />}
      {busy && answer.partial && (
        <pre className="jp-NotebookDag-ai-partial" aria-live="polite">
          {stripFences(answer.partial)}
        </pre>
      )}
      {result && (
        <FixPreview
          result={result}
          blockId={props.blockId}
          step={step}
          onAccept={() => void accept()}
          onReject={() => props.onClose?.()}
        />
      )}
    </div>
  );
}
