/**
 * Whether AI generation can work here, from `GET /ai/providers`: the AI
 * controls are disabled with a one-line hint when no provider is configured
 * (or none is ready, or the AI feature is off on the server), instead of
 * failing with a 503 after the user typed a prompt.
 */
import * as React from 'react';

import { describeError } from '../handler';
import { IProviders } from './types';

export interface IAIAvailability {
  ready: boolean;
  /** one line saying why AI is off; null when ready */
  hint: string | null;
  /** the server's set-up instructions, when it gave them */
  help: string | null;
}

/**
 * The availability an answer of `GET /ai/providers` (or its error) means.
 */
export function availabilityOf(
  providers: IProviders | null,
  error?: unknown
): IAIAvailability {
  if (!providers) {
    return {
      ready: false,
      hint: `AI is off on this server (${describeError(error)}).`,
      help: null
    };
  }
  if (!providers.configured || providers.providers.length === 0) {
    return {
      ready: false,
      hint: 'AI needs a provider: none is configured.',
      help: providers.help
    };
  }
  const ready = providers.providers.filter(p => p.ready);
  if (ready.length === 0) {
    const first = providers.providers[0];
    return {
      ready: false,
      hint: `No AI provider is ready (${first.name}: ${
        first.problem ?? 'not ready'
      }).`,
      help: providers.help
    };
  }
  return { ready: true, hint: null, help: null };
}

/**
 * Asks the server once per page (the provider list only changes with the
 * server's configuration) and shares the answer.
 */
export class AIAvailability {
  constructor(private readonly _api: { providers(): Promise<IProviders> }) {}

  get(): Promise<IAIAvailability> {
    if (!this._answer) {
      this._answer = this._api.providers().then(
        providers => availabilityOf(providers),
        error => availabilityOf(null, error)
      );
    }
    return this._answer;
  }

  private _answer: Promise<IAIAvailability> | null = null;
}

/**
 * The availability, or null while it is being asked.
 */
export function useAIAvailability(
  source: AIAvailability
): IAIAvailability | null {
  const [state, setState] = React.useState<IAIAvailability | null>(null);
  React.useEffect(() => {
    let live = true;
    void source.get().then(answer => live && setState(answer));
    return () => {
      live = false;
    };
  }, [source]);
  return state;
}
