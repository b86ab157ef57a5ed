/**
 * The one boundary for text that came from outside (request fields, response bodies and headers,
 * error messages) on its way into the database.
 *
 * Both stores keep text as UTF-8. PostgreSQL refuses U+0000 in `text` outright, and a lone UTF-16
 * surrogate has no UTF-8 form at all, so the driver would silently swap it for U+FFFD — a different
 * value than the one given. Such text is therefore either refused (input a client sent: see
 * `unstorableReason`) or escaped visibly (what a receiver answered: `escapeForLog`, `decodeForLog`),
 * and the caller is told that it changed, so the delivery log can say so.
 */

/** Why `text` cannot be stored exactly, or null when it can. */
export function unstorableReason(text: string): string | null {
  if (!UNSTORABLE.test(text)) return null;
  if (text.includes('\u0000')) return 'must not contain the NUL character (U+0000)';
  return 'must not contain an unpaired UTF-16 surrogate (it has no UTF-8 form)';
}

export interface LoggableText {
  text: string;
  /** True when something was escaped: the stored text is not byte for byte what was received. */
  sanitized: boolean;
}

/** `text` with NUL and lone surrogates written as visible `\u0000` / `\ud800` escapes. */
export function escapeForLog(text: string): LoggableText {
  if (!UNSTORABLE.test(text)) return { text, sanitized: false };
  return { text: text.replace(UNSTORABLE_ALL, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`), sanitized: true };
}

/**
 * Decodes bytes a receiver sent as UTF-8 for the delivery log. Bytes that are not UTF-8 appear as
 * `\xNN` and NUL as `\u0000`, instead of being dropped or replaced with U+FFFD. An incomplete
 * character at the very end (the body was cut at the log limit) is left out, not escaped.
 */
export function decodeForLog(bytes: Uint8Array, { cutAtEnd = false }: { cutAtEnd?: boolean } = {}): LoggableText {
  const valid = strictUtf8(bytes);
  if (valid !== null) return escapeForLog(valid);
  let text = '';
  let escapedBytes = false;
  let start = 0;
  let i = 0;
  while (i < bytes.length) {
    const length = utf8SequenceLength(bytes, i);
    if (length > 0) {
      i += length;
      continue;
    }
    if (cutAtEnd && isTruncatedSequence(bytes, i)) break;
    text += UTF8.decode(bytes.subarray(start, i)) + `\\x${bytes[i]!.toString(16).padStart(2, '0')}`;
    escapedBytes = true;
    i += 1;
    start = i;
  }
  text += UTF8.decode(bytes.subarray(start, i));
  const escaped = escapeForLog(text);
  return { text: escaped.text, sanitized: escapedBytes || escaped.sanitized };
}

// A NUL, or a surrogate that is not half of a valid pair.
const UNSTORABLE_SOURCE = String.raw`\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]`;
const UNSTORABLE = new RegExp(UNSTORABLE_SOURCE);
const UNSTORABLE_ALL = new RegExp(UNSTORABLE_SOURCE, 'g');

// Decoding only whole valid sequences, so this never substitutes U+FFFD.
const UTF8 = new TextDecoder('utf-8', { ignoreBOM: true });
const FATAL_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function strictUtf8(bytes: Uint8Array): string | null {
  try {
    return FATAL_UTF8.decode(bytes);
  } catch {
    return null;
  }
}

/** Length of the valid UTF-8 sequence starting at `i`, or 0 if none starts there. */
function utf8SequenceLength(bytes: Uint8Array, i: number): number {
  const b0 = bytes[i]!;
  if (b0 < 0x80) return 1;
  const cont = (k: number, low = 0x80, high = 0xbf): boolean => {
    const b = bytes[i + k];
    return b !== undefined && b >= low && b <= high;
  };
  if (b0 >= 0xc2 && b0 <= 0xdf) return cont(1) ? 2 : 0;
  if (b0 === 0xe0) return cont(1, 0xa0) && cont(2) ? 3 : 0;
  if ((b0 >= 0xe1 && b0 <= 0xec) || b0 === 0xee || b0 === 0xef) return cont(1) && cont(2) ? 3 : 0;
  if (b0 === 0xed) return cont(1, 0x80, 0x9f) && cont(2) ? 3 : 0;
  if (b0 === 0xf0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (b0 >= 0xf1 && b0 <= 0xf3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (b0 === 0xf4) return cont(1, 0x80, 0x8f) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}

/** True when the bytes from `i` are the valid start of a character that the end of the buffer cut off. */
function isTruncatedSequence(bytes: Uint8Array, i: number): boolean {
  const b0 = bytes[i]!;
  const need = b0 >= 0xc2 && b0 <= 0xdf ? 2 : b0 >= 0xe0 && b0 <= 0xef ? 3 : b0 >= 0xf0 && b0 <= 0xf4 ? 4 : 0;
  if (need === 0 || i + need <= bytes.length) return false;
  for (let k = i + 1; k < bytes.length; k++) if ((bytes[k]! & 0xc0) !== 0x80) return false;
  return true;
}
