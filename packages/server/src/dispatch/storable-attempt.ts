import { decodeForLog, escapeForLog } from '../store/storable-text.js';
import type { AttemptRecord } from '../store/store.js';
import type { AttemptOutcome } from './send.js';

/**
 * The attempt as it is stored: what the receiver sent (body, and the error text, which can quote its
 * headers) passes the storable-text boundary, so the record can always be written, and says when
 * something had to be escaped.
 */
export function storableAttempt(
  outcome: AttemptOutcome,
  sent: { number: number; startedAt: number; requestHeaders: Record<string, string>; final: boolean },
): AttemptRecord['attempt'] {
  const truncated = outcome.responseBodyTruncated ?? false;
  // A body cut at the log limit may end inside a character: that part is left out, not escaped.
  const body = outcome.responseBody === undefined ? null : decodeForLog(outcome.responseBody, { cutAtEnd: truncated });
  return {
    number: sent.number,
    startedAt: sent.startedAt,
    durationMs: outcome.durationMs,
    statusCode: outcome.status ?? null,
    errorKind: outcome.ok ? null : outcome.errorKind,
    errorMessage: outcome.ok ? null : escapeForLog(outcome.message).text,
    responseBody: body?.text ?? null,
    responseBodyTruncated: truncated,
    responseBodySanitized: body?.sanitized ?? false,
    requestHeaders: sent.requestHeaders,
    succeeded: outcome.ok,
    final: sent.final,
  };
}
