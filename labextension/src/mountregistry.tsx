/**
 * The components of `datasets/` and `ai/` mounted in the DAG view (see
 * `mounts.ts` for the mount points and what each receives), registered by
 * the datasets and AI plugins (`features.ts`):
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

import {
  AIApi,
  AIAvailability,
  AIOff,
  FixWithAI,
  ILocalBlockEdits,
  PromptBox,
  useAIAvailability
} from './ai';
import { BlockInsertApi, BlockInserter } from './blockinsert';
import { DatasetsApi, DatasetsPanel } from './datasets';
import { notifyBlockAdded } from './datasets/notify';
import {
  IBlockMountContext,
  IDagMounts,
  IFailedBlockMountContext
} from './mounts';
import type { IOpenNotebooks } from './notebook/docedits';

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
  /**
   * The notebooks open in JupyterLab: accepted AI code goes into the open
   * notebook instead of the file.
   */
  notebooks?: IOpenNotebooks | null;
  /**
   * Open (or show) a project's DAG view: the action of the notification
   * after the datasets tab's "Add to project".
   */
  openDag?: (projectId: string) => void;
}

/**
 * The AI components' edits of a project's notebook when it is open here.
 */
export function localEdits(
  notebooks: IOpenNotebooks | null | undefined,
  notebookPath: string
): ILocalBlockEdits | null {
  if (!notebooks || !notebookPath) {
    return null;
  }
  return {
    active: () => notebooks.isOpen(notebookPath),
    insert: (afterId, code) =>
      notebooks.insertCode(notebookPath, afterId, code),
    replace: (blockId, code) => notebooks.setSource(notebookPath, blockId, code)
  };
}

const ASK_AI_LABEL = 'Ask AI to add a block after this node';

function AskAiToAddBlock(props: {
  context: IBlockMountContext;
  api: AIApi;
  availability: AIAvailability;
  local: ILocalBlockEdits | null;
}): JSX.Element {
  const { context, api, local } = props;
  const [open, setOpen] = React.useState(false);
  const availability = useAIAvailability(props.availability);
  // A different node closes the prompt.
  React.useEffect(() => setOpen(false), [context.blockId]);
  if (availability && !availability.ready) {
    return (
      <div className="jp-NotebookDag-mountBlock" data-testid="dag-ai-add-block">
        <AIOff label={ASK_AI_LABEL} availability={availability} />
      </div>
    );
  }
  return (
    <div className="jp-NotebookDag-mountBlock" data-testid="dag-ai-add-block">
      <button
        className="jp-Button jp-mod-styled"
        aria-expanded={open}
        disabled={!availability}
        onClick={() => setOpen(!open)}
        title="Describe a new cell: the AI writes it and it goes after this one"
      >
        {ASK_AI_LABEL}
      </button>
      {open && (
        <PromptBox
          projectId={context.projectId}
          afterBlockId={context.blockId}
          api={api}
          local={local}
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
  availability: AIAvailability;
  local: ILocalBlockEdits | null;
}): JSX.Element | null {
  const { context, api, local } = props;
  const [closed, setClosed] = React.useState(false);
  const availability = useAIAvailability(props.availability);
  React.useEffect(() => setClosed(false), [context.blockId, context.runId]);
  if (!context.runId || closed) {
    return null;
  }
  if (availability && !availability.ready) {
    return (
      <div className="jp-NotebookDag-mountBlock" data-testid="dag-ai-fix">
        <AIOff label="Fix with AI" availability={availability} />
      </div>
    );
  }
  return (
    <div className="jp-NotebookDag-mountBlock" data-testid="dag-ai-fix">
      <FixWithAI
        key={`${context.blockId}:${context.runId}`}
        projectId={context.projectId}
        blockId={context.blockId}
        runId={context.runId}
        api={api}
        local={local}
        onClose={() => setClosed(true)}
        onReplaced={() => context.refresh()}
      />
    </div>
  );
}

/**
 * The "Datasets" tab of the DAG view's side panel.
 */
export function datasetsMounts(options: IMountOptions): IDagMounts {
  const datasetsApi = new DatasetsApi(options.serverSettings);
  // "Add to project" of dataset analyses and charts: into the open notebook
  // when it is open here, else by the REST API.
  const inserter = new BlockInserter({
    api: new BlockInsertApi(options.serverSettings),
    notebooks: options.notebooks,
    openDag: options.openDag
  });
  return {
    datasetsTab: context => (
      <div className="jp-NotebookDag-mountBlock" data-testid="dag-datasets-tab">
        <DatasetsPanel
          projectId={context.projectId}
          api={datasetsApi}
          events={options.events}
          onOpenReport={options.openReport}
          inserter={inserter}
          onBlockAdded={(result, title) => {
            if (result.projectId === context.projectId) {
              context.refresh();
            }
            notifyBlockAdded(result, title, options.openDag);
          }}
        />
      </div>
    )
  };
}

/**
 * "Ask AI to add a block after this node" and "Fix with AI".
 */
export function aiMounts(options: IMountOptions): IDagMounts {
  const aiApi = new AIApi(options.serverSettings);
  const availability = new AIAvailability(aiApi);
  return {
    aiAddBlock: context => (
      <AskAiToAddBlock
        context={context}
        api={aiApi}
        availability={availability}
        local={localEdits(options.notebooks, context.notebookPath)}
      />
    ),
    aiFix: context => (
      <FixFailedBlock
        context={context}
        api={aiApi}
        availability={availability}
        local={localEdits(options.notebooks, context.notebookPath)}
      />
    )
  };
}
