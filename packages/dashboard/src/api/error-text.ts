import { describeScopeRefusal } from './scope-refusal.js';

/**
 * The API's error messages are written for programs and logs ("url must NOT have more than 2048
 * characters (rule: maxLength)"); people get a sentence instead. The code says what happened, the
 * field and the rule say where and why; a message this file does not recognise is still shown, with
 * its field named the way the form names it.
 */

export interface ApiErrorParts {
  status: number;
  code: string;
  message: string;
  field?: string;
}

const FIELD_NAMES: Record<string, string> = {
  url: 'The URL',
  description: 'The description',
  events: 'The list of events',
  event: 'The event type',
  event_type: 'The event type',
  endpoint_id: 'The webhook',
  status: 'The status',
  grace_seconds: 'The grace period',
  since: 'The start time',
  until: 'The time',
  cursor: 'The page',
  limit: 'The page size',
  body: 'The request',
};

const numbers = new Intl.NumberFormat('en');

export function describeError({ status, code, message, field }: ApiErrorParts): string {
  switch (code) {
    case 'network_error':
    case 'client_error':
      return message;
    case 'unauthorized':
      return 'Your session has ended. Sign in again to continue.';
    case 'forbidden':
      return 'This sign-in is not allowed to do that.';
    case 'insufficient_scope':
      return describeScopeRefusal(message, / portal session /.test(message));
    case 'csrf_token_invalid':
      return 'This page is out of date. Reload it and try again.';
    case 'not_found':
      return notFound(message);
    case 'conflict':
      return conflict(message);
    case 'payload_too_large':
      return 'That is more than Herald accepts in one request.';
    case 'unknown_event_type': {
      const type = /event type "([^"]+)"/.exec(message)?.[1];
      return type === undefined ? 'Herald does not know that event type.' : `Herald does not know the event type "${type}".`;
    }
  }
  if (status >= 500 || code === 'internal_error') {
    return 'Herald ran into a problem on its side. Try again; if it keeps happening, the server log says why.';
  }
  return ruleSentence(message, field) ?? sentence(withFieldName(message, field));
}

function notFound(message: string): string {
  if (message.startsWith('no endpoint ')) return 'This webhook does not exist. It may have been deleted.';
  if (message.startsWith('no delivery ')) return 'This delivery does not exist. Its webhook may have been deleted.';
  if (message.startsWith('no event ')) return 'This event does not exist.';
  return 'Herald has nothing at this address.';
}

function conflict(message: string): string {
  if (message.startsWith('the endpoint is disabled')) return 'This webhook is disabled. Enable it to send a test event.';
  if (message.startsWith('the delivery is still pending')) {
    return 'This delivery is still being retried. Resend it once it has succeeded or failed.';
  }
  return sentence(message);
}

/** Schema rule failures: `<field> <ajv message> (rule: <keyword>)`. */
function ruleSentence(message: string, field: string | undefined): string | undefined {
  const match = /^(\S+) (.*) \(rule: (\w+)\)$/.exec(message);
  if (match === null) return undefined;
  const [, subject = '', rest = '', rule] = match;
  const name = fieldName(field ?? subject);
  const limit = Number(/(\d+)/.exec(rest)?.[1]);
  switch (rule) {
    case 'maxLength':
      return `${name} can be at most ${numbers.format(limit)} characters long.`;
    case 'minLength':
      return limit <= 1 ? `${name} cannot be empty.` : `${name} must be at least ${numbers.format(limit)} characters long.`;
    case 'maxItems':
      return `${name} can have at most ${numbers.format(limit)} entries.`;
    case 'minItems':
      return field === 'events' ? 'Choose at least one event.' : `${name} needs at least ${numbers.format(limit)} entries.`;
    case 'maximum':
      return `${name} can be at most ${numbers.format(limit)}.`;
    case 'minimum':
      return `${name} must be at least ${numbers.format(limit)}.`;
    case 'required':
      return `${name} is required.`;
    case 'additionalProperties':
      return `Herald does not accept "${subject}" here.`;
    case 'enum':
      return `${name} is not one of the allowed choices.`;
    case 'format':
      return rest.includes('date-time') ? `${name} must be a date and time.` : `${name} is not in the expected format.`;
    case 'type':
      return `${name} has the wrong kind of value.`;
    case 'uniqueItems':
      return `${name} lists the same entry twice.`;
    default:
      return `${name} is not valid.`;
  }
}

/** "url must use http or https" → "The URL must use http or https". */
function withFieldName(message: string, field: string | undefined): string {
  if (field !== undefined && message.startsWith(`${field} `)) return `${fieldName(field)}${message.slice(field.length)}`;
  return message;
}

/** `events[2]` → "Event 3 of the list"; known fields by their form label; others quoted. */
function fieldName(field: string): string {
  const item = /^events\[(\d+)\]$/.exec(field);
  if (item !== null) return `Event ${Number(item[1]) + 1} of the list`;
  return FIELD_NAMES[field] ?? `"${field}"`;
}

function sentence(text: string): string {
  const trimmed = text.trim();
  const capital = trimmed.charAt(0).toUpperCase() + trimmed.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}
