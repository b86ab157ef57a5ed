import { PayloadTooDeepError } from '../errors.js';

/**
 * JSON text in and out without changing a value.
 *
 * A request body is parsed with `JSON.parse` and a payload is stored as `JSON.stringify` writes it
 * (compact, key order kept): the form the official Node SDK recomputes from a parsed object, so its
 * parsed-object path verifies. That pair changes one kind of value: a number a JavaScript double
 * cannot hold (12345678901234567890 → 12345678901234567000, 1e400 → null). So a body that may
 * hold one (a number literal of 16 digits or more, or with a 3-digit exponent) is parsed a second time
 * here, keeping the literal of each such number beside the object or array that holds it, and
 * `payloadJson` writes those literals back digit for digit. Every other number comes out as `JSON.stringify` writes it: the same value
 * (1.0 → 1, 1E2 → 100, 1e21 → 1e+21, -0 → 0).
 *
 * The parsed values stay plain JSON data (a kept number holds its nearest double, the largest finite
 * one past the double range), so JSON Schema validation works on them unchanged.
 */

/**
 * The deepest a payload may nest objects and arrays; the payload object itself is level 1. With the
 * envelope on top, a delivery stays within the nesting limits of common receivers' JSON parsers
 * (Ruby's `JSON.parse` stops at 100, Rust's serde_json at 128), and far beyond real payloads.
 */
export const MAX_PAYLOAD_DEPTH = 64;

/**
 * Parses a request body as `JSON.parse` does, keeping the exact text of every number a double
 * cannot hold for `payloadJson`.
 *
 * @throws PayloadTooDeepError when a top-level member's value (or the body itself, if it is not an
 *   object) nests deeper than `MAX_PAYLOAD_DEPTH`; checked first, on the raw text, so a deep body
 *   costs neither a full parse nor the stack.
 * @throws SyntaxError when the text is not JSON.
 */
export function parseJson(text: string): unknown {
  const { tooDeep, longNumber } = scan(text);
  if (tooDeep !== null) {
    throw new PayloadTooDeepError(`${tooDeep} nests objects and arrays more than ${MAX_PAYLOAD_DEPTH} levels deep`, {
      field: tooDeep,
    });
  }
  // Always parsed by JSON.parse, the authority on syntax; ExactParser then only reads valid JSON.
  const value: unknown = JSON.parse(text);
  return longNumber ? new ExactParser(text).parse() : value;
}

/** The payload as stored and delivered: `JSON.stringify(payload)` with each number kept by `parseJson` as published. */
export function payloadJson(payload: unknown): string {
  return isObject(payload) && kept.has(payload) ? exactJson(payload) : JSON.stringify(payload);
}

/** A number literal a double cannot hold, and the double that stands for it in the parsed value. */
class KeptNumber {
  constructor(
    readonly literal: string,
    readonly value: number,
  ) {}
}

/**
 * For each object or array that holds a kept number at any depth: its members that are kept numbers
 * (by key or index), possibly none when they are further down. Keyed weakly, so it goes with the body.
 */
const kept = new WeakMap<object, Map<string | number, KeptNumber>>();

function exactJson(value: unknown): string {
  const members = isObject(value) ? kept.get(value) : undefined;
  if (members === undefined) return JSON.stringify(value);
  const member = (item: unknown, key: string | number): string => {
    const number = members.get(key);
    // Compared so that a value changed after parsing is written as it now is.
    return number !== undefined && Object.is(number.value, item) ? number.literal : exactJson(item);
  };
  if (Array.isArray(value)) return `[${value.map(member).join(',')}]`;
  const record = value as Record<string, unknown>;
  return `{${Object.keys(record).map((key) => `${JSON.stringify(key)}:${member(record[key], key)}`).join(',')}}`;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const DOT = 0x2e;
const PLUS = 0x2b;
const MINUS = 0x2d;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
const LOWER_E = 0x65;
const UPPER_E = 0x45;

interface Scan {
  /** The field to blame when the text nests deeper than the limit, else null. */
  tooDeep: string | null;
  /**
   * True when a number literal has 16 or more digits, or a 3-digit exponent. Only such a literal can
   * be beyond a double: up to 15 significant digits and within 1e±114, every decimal survives.
   */
  longNumber: boolean;
}

/**
 * One pass over the characters outside strings (strings are jumped over with `indexOf`), with no
 * recursion. The field to blame for nesting too deep is the top-level member whose value does (its
 * key is the last string read at depth 1), or `body`. Malformed text is scanned as far as it makes
 * sense and left to `JSON.parse` to refuse.
 */
function scan(text: string): Scan {
  let depth = 0;
  let limit = MAX_PAYLOAD_DEPTH;
  let keyStart = -1;
  let keyEnd = -1;
  let longNumber = false;
  let digits = 0;
  let exponentDigits = -1; // -1: not in an exponent
  for (let at = 0; at < text.length; at += 1) {
    const c = text.charCodeAt(at);
    if (c >= DIGIT_0 && c <= DIGIT_9) {
      if (exponentDigits < 0) digits += 1;
      else exponentDigits += 1;
      if (digits >= 16 || exponentDigits >= 3) longNumber = true;
      continue;
    }
    if (c === DOT || c === PLUS || c === MINUS) continue;
    if (c === LOWER_E || c === UPPER_E) {
      exponentDigits = 0;
      continue;
    }
    digits = 0;
    exponentDigits = -1;
    if (c === QUOTE) {
      const end = closingQuote(text, at);
      if (depth === 1) {
        keyStart = at;
        keyEnd = end;
      }
      at = end;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      // The body's own level does not count against a member's value.
      if (depth === 0 && c === OPEN_BRACE) limit = MAX_PAYLOAD_DEPTH + 1;
      depth += 1;
      if (depth > limit) {
        const inMember = keyStart >= 0 && limit > MAX_PAYLOAD_DEPTH;
        return { tooDeep: inMember ? String(JSON.parse(text.slice(keyStart, keyEnd + 1))) : 'body', longNumber };
      }
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth -= 1;
    }
  }
  return { tooDeep: null, longNumber };
}

/** The index of the quote that ends the string opening at `start` (the text's length if none does). */
function closingQuote(text: string, start: number): number {
  for (let from = start + 1; ; ) {
    const quote = text.indexOf('"', from);
    if (quote < 0) return text.length;
    let backslashes = 0;
    while (text.charCodeAt(quote - 1 - backslashes) === BACKSLASH) backslashes += 1;
    if (backslashes % 2 === 0) return quote;
    from = quote + 1;
  }
}

const WHITESPACE = /[ \t\n\r]*/y;
const NUMBER = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/**
 * A second parse of text that `JSON.parse` accepted and `scan` found shallow (so the recursion is
 * bounded): the same values, plus the kept numbers recorded in `kept`.
 */
class ExactParser {
  #at = 0;

  constructor(private readonly text: string) {}

  parse(): unknown {
    const value = this.#value();
    return value instanceof KeptNumber ? value.value : value;
  }

  #value(): unknown {
    this.#skipWhitespace();
    switch (this.text.charCodeAt(this.#at)) {
      case OPEN_BRACE:
        return this.#object();
      case OPEN_BRACKET:
        return this.#array();
      case QUOTE:
        return this.#string();
      case 0x74: // true
        this.#at += 4;
        return true;
      case 0x66: // false
        this.#at += 5;
        return false;
      case 0x6e: // null
        this.#at += 4;
        return null;
      default:
        return this.#number();
    }
  }

  #object(): Record<string, unknown> {
    const object: Record<string, unknown> = {};
    const members = new Map<string, KeptNumber>();
    let nested = false;
    this.#at += 1;
    if (this.#peek() === CLOSE_BRACE) this.#at += 1;
    else {
      do {
        this.#skipWhitespace();
        const key = this.#string();
        this.#skipWhitespace();
        this.#at += 1; // the colon
        let value = this.#value();
        members.delete(key);
        if (value instanceof KeptNumber) {
          members.set(key, value);
          value = value.value;
        } else if (isObject(value) && kept.has(value)) {
          nested = true;
        }
        // Assigning `__proto__` would set the prototype; JSON.parse makes it an own data property.
        if (key === '__proto__') Object.defineProperty(object, key, { value, writable: true, enumerable: true, configurable: true });
        else object[key] = value;
      } while (this.#separator() === COMMA);
    }
    if (members.size > 0 || nested) kept.set(object, members);
    return object;
  }

  #array(): unknown[] {
    const array: unknown[] = [];
    const members = new Map<number, KeptNumber>();
    let nested = false;
    this.#at += 1;
    if (this.#peek() === CLOSE_BRACKET) this.#at += 1;
    else {
      do {
        let value = this.#value();
        if (value instanceof KeptNumber) {
          members.set(array.length, value);
          value = value.value;
        } else if (isObject(value) && kept.has(value)) {
          nested = true;
        }
        array.push(value);
      } while (this.#separator() === COMMA);
    }
    if (members.size > 0 || nested) kept.set(array, members);
    return array;
  }

  #string(): string {
    const end = closingQuote(this.text, this.#at);
    const value = JSON.parse(this.text.slice(this.#at, end + 1)) as string;
    this.#at = end + 1;
    return value;
  }

  #number(): number | KeptNumber {
    NUMBER.lastIndex = this.#at;
    const literal = NUMBER.exec(this.text)![0];
    this.#at += literal.length;
    const value = Number(literal);
    const exact = Number.isFinite(value) && decimal(literal) === decimal(String(value));
    // An integer that JavaScript would print in exponent form (1e+21) stays an integer, as given:
    // other languages' parsers read `1e+21` as a float.
    if (exact && !(Math.abs(value) >= 1e21 && /^-?\d+$/.test(literal))) return value;
    return new KeptNumber(literal, Number.isFinite(value) ? value : Math.sign(value) * Number.MAX_VALUE);
  }

  /** Consumes the comma or closing bracket after a member and returns it. */
  #separator(): number {
    this.#skipWhitespace();
    const c = this.text.charCodeAt(this.#at);
    this.#at += 1;
    return c;
  }

  /** The next character after whitespace, not consumed. */
  #peek(): number {
    this.#skipWhitespace();
    return this.text.charCodeAt(this.#at);
  }

  #skipWhitespace(): void {
    WHITESPACE.lastIndex = this.#at;
    WHITESPACE.test(this.text);
    this.#at = WHITESPACE.lastIndex;
  }
}

/**
 * A number literal's value as `<sign><digits>e<exponent>` with no leading or trailing zeros, so that
 * two literals of one value (`1.50`, `15e-1`) give the same text; zero has no sign.
 */
function decimal(literal: string): string {
  const [, sign, integer, fraction = '', exponent = '0'] = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(literal)!;
  const digits = `${integer}${fraction}`.replace(/^0+/, '');
  if (digits === '') return '0';
  const significant = digits.replace(/0+$/, '');
  return `${sign}${significant}e${Number(exponent) - fraction.length + digits.length - significant.length}`;
}

function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
}
