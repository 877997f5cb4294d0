/**
 * Honest AI controls: what `GET /ai/providers` (or its failure) means for
 * the AI buttons, asked once per page.
 */
import { AIAvailability, availabilityOf } from '../ai/availability';
import { ApiError } from '../handler';
import { IProvider, IProviders } from '../ai/types';

function providers(
  list: Partial<IProvider>[],
  help: string | null = null
): IProviders {
  return {
    providers: list.map(p => ({
      name: 'openai',
      kind: 'openai',
      model: 'gpt-4o-mini',
      base_url: null,
      key_present: true,
      source: 'config',
      ready: true,
      problem: null,
      ...p
    })),
    fallback_order: list.map(p => p.name ?? 'openai'),
    timeout: 60,
    rate_limit: { requests: 20, window_seconds: 60 },
    configured: list.length > 0,
    help
  };
}

describe('AI availability', () => {
  it('is ready with a ready provider', () => {
    expect(availabilityOf(providers([{}]))).toEqual({
      ready: true,
      hint: null,
      help: null
    });
    expect(
      availabilityOf(providers([{ ready: false, problem: 'x' }, { name: 'b' }]))
        .ready
    ).toBe(true);
  });

  it('is off with none configured, passing on how to set one up', () => {
    expect(
      availabilityOf(providers([], 'Add one to c.AIService.providers'))
    ).toEqual({
      ready: false,
      hint: 'AI needs a provider: none is configured.',
      help: 'Add one to c.AIService.providers'
    });
  });

  it('is off when no provider is ready, saying why', () => {
    const off = availabilityOf(
      providers([
        { name: 'gemini', ready: false, problem: 'GOOGLE_API_KEY is not set' }
      ])
    );
    expect(off.ready).toBe(false);
    expect(off.hint).toBe(
      'No AI provider is ready (gemini: GOOGLE_API_KEY is not set).'
    );
  });

  it('is off when the server has no AI feature', () => {
    const off = availabilityOf(
      null,
      new ApiError(503, 'AI generation is off', null)
    );
    expect(off.ready).toBe(false);
    expect(off.hint).toContain('AI is off on this server');
  });

  it('asks the server once', async () => {
    const api = { providers: jest.fn(async () => providers([])) };
    const source = new AIAvailability(api);
    const [a, b] = await Promise.all([source.get(), source.get()]);
    expect(a).toBe(b);
    expect(api.providers).toHaveBeenCalledTimes(1);
    expect(a.ready).toBe(false);
  });
});
