/**
 * The components of `datasets/` and `ai/` mounted in the DAG view (see
 * `mounts.ts` for the mount points and what each receives):
 *
 * - `datasetsTab`: the `DatasetsPanel` of the project, in the "Datasets" tab
 *   of the view's side panel;
 * - `aiAddBlock`: "Ask AI to add a block after this node" in a code node's
 *   actions (the `PromptBox`, inserting after that node);
 * - `aiFix`: "Fix with AI" on a failed node (`FixWithAI`).
 */
import type { ServerConnection } from '@jupyterlab/services';
import type { ISignal } from '@lumino/signaling';
import * as React from 'react';

import { AIApi, FixWithAI, PromptBox } from './ai';
import { DatasetsApi, DatasetsPanel } from './datasets';
import {
  IBlockMountContext,
  IDagMounts,
  IFailedBlockMountContext
} from './mounts';

export interface IMountOptions {
  serverSettings: ServerConnection.ISettings;
  /**
   * The server's event stream (datasets refresh live from it).
   */
  events?: ISignal<unknown, { [key: string]: unknown }>;
  /**
   * Open a dataset's report in a JupyterLab tab.
   */
  openReport?: (url: string, title: string) => void;
}

function AskAiToAddBlock(props: {
  context: IBlockMountContext;
  api: AIApi;
}): JSX.Element {
  const { context, api } = props;
  const [open, setOpen] = React.useState(false);
  // A different node closes the prompt.
  React.useEffect(() => setOpen(false), [context.blockId]);
  return (
    <div className="jp-NotebookDag-mountBlock" data-testid="dag-ai-add-block">
      <button
        className="jp-Button jp-mod-styled"
        aria-expanded={open}
        onClick={() => setOpen(!open)}
        title="Describe a new cell: the AI writes it and it goes after this one"
      >
        Ask AI to add a block after this node
      </button>
      {open && (
        <PromptBox
          projectId={context.projectId}
          afterBlockId={context.blockId}
          api={api}
          closeOnReject
          onCancel={() => setOpen(false)}
          onInserted={blockId => {
            setOpen(false);
            context.refresh();
            context.selectNode(blockId);
          }}
        />
      )}
    </div>
  );
}

function FixFailedBlock(props: {
  context: IFailedBlockMountContext;
  api: AIApi;
}): JSX.Element | null {
  const { context, api } = props;
  const [closed, setClosed] = React.useState(false);
  React.useEffect(() => setClosed(false), [context.blockId, context.runId]);
  if (!context.runId || closed) {
    return null;
  }
  return (
    <div className="jp-NotebookDag-mountBlock" data-testid="dag-ai-fix">
      <FixWithAI
        key={`${context.blockId}:${context.runId}`}
        projectId={context.projectId}
        blockId={context.blockId}
        runId={context.runId}
        api={api}
        onClose={() => setClosed(true)}
        onReplaced={() => context.refresh()}
      />
    </div>
  );
}

export function dagMounts(options: IMountOptions): IDagMounts {
  const aiApi = new AIApi(options.serverSettings);
  const datasetsApi = new DatasetsApi(options.serverSettings);
  return {
    datasetsTab: context => (
      <div className="jp-NotebookDag-mountBlock" data-testid="dag-datasets-tab">
        <DatasetsPanel
          projectId={context.projectId}
          api={datasetsApi}
          events={options.events}
          onOpenReport={options.openReport}
        />
      </div>
    ),
    aiAddBlock: context => <AskAiToAddBlock context={context} api={aiApi} />,
    aiFix: context => <FixFailedBlock context={context} api={aiApi} />
  };
}
