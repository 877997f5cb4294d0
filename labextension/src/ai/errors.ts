/**
 * Human messages for the errors of the AI routes.
 */
import { ServerConnection } from '@jupyterlab/services';

import { ApiError, findCycle, IApiErrorBody } from '../handler';

/**
 * A message to show for an error thrown by `AIApi`, with a short title:
 * 429 says when to try again, 503 passes on how to configure a provider,
 * 422 shows the syntax error of the model's code, 409 the cycle.
 */
export function describeAIError(error: unknown): {
  title: string;
  message: string;
} {
  if (error instanceof ApiError) {
    const body = (
      error.body && typeof error.body === 'object' ? error.body : {}
    ) as IApiErrorBody;
    switch (error.status) {
      case 429: {
        const wait = Number(body.retry_after);
        return {
          title: 'Too many AI requests',
          message:
            Number.isFinite(wait) && wait > 0
              ? `The AI rate limit was reached. Try again in ${wait} s.`
              : error.message
        };
      }
      case 503:
        return { title: 'AI is not available', message: error.message };
      case 422:
        return {
          title: body.syntax_error
            ? 'The generated code does not parse'
            : 'Request not accepted',
          message: body.syntax_error
            ? `${body.syntax_error} (after one repair attempt)`
            : error.message
        };
      case 409: {
        const cycle = findCycle(body);
        return {
          title: cycle ? 'The block would create a cycle' : 'Conflict',
          message: cycle ? `${error.message}` : error.message
        };
      }
      case 404:
        return { title: 'Not found', message: error.message };
      default:
        return { title: `Error ${error.status}`, message: error.message };
    }
  }
  if (error instanceof ServerConnection.NetworkError) {
    return { title: 'Server unreachable', message: error.message };
  }
  if (error instanceof Error && error.name === 'AbortError') {
    return { title: 'Cancelled', message: 'The request was cancelled.' };
  }
  return {
    title: 'Error',
    message: error instanceof Error ? error.message : String(error)
  };
}
