/**
 * AI generation in the DAG view: the prompt box ("Ask AI to add a block after
 * this node") and "Fix with AI" for failed nodes, with their API calls.
 */
export { AIApi } from './api';
export type { IStreamCallbacks } from './api';
export { DiffView } from './DiffView';
export type { IDiffViewProps } from './DiffView';
export { describeAIError } from './errors';
export { FixWithAI } from './FixWithAI';
export { acceptGeneration } from './local';
export type { ILocalBlockEdits } from './local';
export type { IFixWithAIProps } from './FixWithAI';
export { PromptBox } from './PromptBox';
export type { IPromptBoxProps } from './PromptBox';
export { AIErrorBox, AnswerSummary } from './shared';
export { diffStats, lineDiff, SSEParser, stripFences } from './text';
export type { IDiffLine } from './text';
export * from './types';
export { AIOff } from './AIOff';
export {
  AIAvailability,
  availabilityOf,
  useAIAvailability
} from './availability';
export type { IAIAvailability } from './availability';
