/**
 * Shapes of the AI routes of the notebook_dag REST API (`/notebook-dag/api/ai/...`).
 */

export interface IGenerateRequest {
  project_id: string;
  prompt: string;
  after_block_id?: string | null;
  insert?: boolean;
  provider?: string | null;
  /**
   * `sql`: the model answers with a JupySQL `%%sql` block over the project's
   * datasets and DataFrames (default `python`).
   */
  language?: 'python' | 'sql';
}

export interface IFixRequest {
  project_id: string;
  block_id: string;
  run_id: string;
  replace?: boolean;
  hint?: string | null;
  provider?: string | null;
}

export interface IUsage {
  input_tokens: number | null;
  output_tokens: number | null;
  total_tokens: number | null;
}

export interface IAttempt {
  provider: string;
  model: string;
  ok: boolean;
  error_kind: string | null;
  message: string | null;
  latency_ms: number;
}

export interface IProposedEdge {
  /** a block id, or `<new>` for the proposed block before it is inserted */
  source: string;
  target: string;
  names: string[];
}

export interface IAnswer {
  generation_id: string;
  code: string;
  explanation: string;
  provider: string;
  model: string;
  reads: string[];
  defines: string[];
  edges: IProposedEdge[];
  repaired: boolean;
  usage: IUsage | null;
  latency_ms: number;
  attempts: IAttempt[];
  context: {
    chars: number;
    truncated: boolean;
    names_source: 'kernel' | 'static';
    datasets: string[];
    names: string[];
  };
}

export interface IGenerateResult extends IAnswer {
  after_block_id: string | null;
  inserted: boolean;
  block_id: string | null;
}

export interface IFixResult extends IAnswer {
  block_id: string;
  run_id: string;
  original_code: string;
  error: string;
  changed: boolean;
  replaced: boolean;
}

export interface IGeneration {
  id: string;
  project_id: string;
  kind: 'generate' | 'fix';
  prompt: string;
  provider: string | null;
  model: string | null;
  status: string;
  anchor_block_id: string | null;
  block_id: string | null;
  accepted: boolean;
  accepted_at: string | null;
  created_at: string;
}

export interface IProvider {
  name: string;
  kind: 'openai' | 'ollama' | 'gemini';
  model: string;
  base_url: string | null;
  key_present: boolean;
  source: string;
  ready: boolean;
  problem: string | null;
}

export interface IProviders {
  providers: IProvider[];
  fallback_order: string[];
  timeout: number;
  rate_limit: { requests: number; window_seconds: number };
  configured: boolean;
  help: string | null;
}

/**
 * One server-sent event of a streamed answer.
 */
export type StreamEvent =
  | { event: 'chunk'; data: { text: string; round: number } }
  | { event: 'repair'; data: { error: string } }
  | { event: 'result'; data: IGenerateResult | IFixResult }
  | {
      event: 'error';
      data: {
        status: number;
        message: string;
        reason?: string;
        [key: string]: unknown;
      };
    };
