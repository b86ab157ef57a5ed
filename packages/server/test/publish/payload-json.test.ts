import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PayloadTooDeepError } from '../../src/errors.js';
import { MAX_PAYLOAD_DEPTH, parseJson, payloadJson } from '../../src/publish/payload-json.js';

/** What Herald stores for a body that is this text. */
function roundTrip(text: string): string {
  return payloadJson(parseJson(text));
}

/** `depth` nested arrays. */
function nested(depth: number): string {
  return `${'['.repeat(depth)}${']'.repeat(depth)}`;
}

/** A deterministic generator of JSON texts with odd spacing, escapes and every number form a double holds. */
function randomJson(seed: number): string {
  let state = seed;
  const next = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  const space = () => pick(['', ' ', '\n  ', '\t', '\r\n']);
  const numbers = ['0', '-0', '1.0', '1E2', '1e21', '-1.5e-7', '0.30000000000000004', '9007199254740992', '5e-324', '42', '3.14'];
  const strings = ['"plain"', '"é 😀 \\u00e9 \\ud83d\\ude00"', '"\\"quoted\\" \\\\ [not] {nested}"', '"\\n\\t\\/"', '"12345678901234567890"', '""'];
  const keys = ['"a"', '"b"', '"2"', '"1"', '"__proto__"', '"constructor"', '"a"', '"ключ"'];
  const value = (depth: number): string => {
    const kind = depth > 4 ? Math.floor(next() * 3) : Math.floor(next() * 6);
    if (kind === 0) return pick(numbers);
    if (kind === 1) return pick(strings);
    if (kind === 2) return pick(['true', 'false', 'null']);
    const count = Math.floor(next() * 4);
    const items = Array.from({ length: count }, () =>
      kind === 3 ? `${space()}${value(depth + 1)}${space()}` : `${space()}${pick(keys)}${space()}:${space()}${value(depth + 1)}`,
    );
    return kind === 3 ? `[${items.join(',')}]` : `{${items.join(',')}${space()}}`;
  };
  return `{${space()}"payload":${space()}${value(0)}}`;
}

/** A number literal's exact value as `digits×10^exponent` without leading or trailing zeros. */
function decimalValue(literal: string): string {
  const [, sign, integer, fraction = '', exponent = '0'] = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(literal)!;
  let digits = BigInt(`${integer}${fraction}`);
  if (digits === 0n) return '0';
  let power = Number(exponent) - fraction.length;
  while (digits % 10n === 0n) {
    digits /= 10n;
    power += 1;
  }
  return `${sign}${digits}×10^${power}`;
}

describe('payload JSON', () => {
  it("keeps integers beyond 2^53 digit for digit where JSON.stringify would round them", () => {
    const text = '{"big": 12345678901234567890, "neg": -9007199254740993, "thirty": 123456789012345678901234567890}';
    assert.equal(roundTrip(text), '{"big":12345678901234567890,"neg":-9007199254740993,"thirty":123456789012345678901234567890}');
    assert.equal(JSON.stringify(JSON.parse(text)), '{"big":12345678901234567000,"neg":-9007199254740992,"thirty":1.2345678901234568e+29}');
  });

  it('keeps each number a double cannot hold, alone in a body: past 2^53, past the range, finer than a double', () => {
    const literals = [
      '9007199254740993', '-9007199254740993', '12345678901234567890', '1e400', '-1E+400', '1e-400', '2.5e-324',
      '1.7976931348623159e308', '0.1000000000000000055511151231257827', '1.2345678901234567891',
    ];
    for (const literal of literals) assert.equal(roundTrip(`{"n":${literal}}`), `{"n":${literal}}`);
  });

  it('keeps such numbers in objects and arrays at any depth', () => {
    const text = '{"list":[1,[2,{"x":2.5e-324,"y":[12345678901234567890]}]],"z":{"w":{}}}';
    assert.equal(roundTrip(text), text);
  });

  it('writes every number a double holds as JSON.stringify does: the same value', () => {
    const text = '{"a":1.0,"b":1E2,"c":1e21,"d":-0,"e":0.30000000000000004,"f":9007199254740992,"g":5e-324,"h":1.7976931348623157e308,"i":-0.0e5,"j":100000000000000000000}';
    const stored = '{"a":1,"b":100,"c":1e+21,"d":0,"e":0.30000000000000004,"f":9007199254740992,"g":5e-324,"h":1.7976931348623157e+308,"i":0,"j":100000000000000000000}';
    assert.equal(roundTrip(text), stored);
    assert.equal(JSON.stringify(JSON.parse(text)), stored);
  });

  it('keeps an integer that JavaScript would write in exponent form as the integer it is', () => {
    // JSON.stringify gives 1e+21, which Python, Go and Rust read as a float, not an integer.
    assert.equal(roundTrip('{"k":1000000000000000000000,"m":-1000000000000000000000}'), '{"k":1000000000000000000000,"m":-1000000000000000000000}');
  });

  it('never changes the value of a literal of up to 15 digits and a 2-digit exponent, the ones it leaves to JSON.parse', () => {
    let state = 7;
    const next = (n: number) => ((state = (state * 1103515245 + 12345) % 2 ** 31) % n);
    for (let i = 0; i < 20_000; i += 1) {
      const digits = Array.from({ length: 1 + next(15) }, (_, k) => String(k === 0 ? 1 + next(9) : next(10))).join('');
      const dot = next(digits.length + 1);
      const mantissa = dot === 0 || dot === digits.length ? digits : `${digits.slice(0, dot)}.${digits.slice(dot)}`;
      const literal = `${next(2) ? '-' : ''}${mantissa}${next(2) ? `e${next(2) ? '-' : '+'}${next(100)}` : ''}`;
      const stored = roundTrip(`{"n":${literal}}`).slice('{"n":'.length, -1);
      assert.equal(decimalValue(stored), decimalValue(literal), literal);
    }
  });

  it('writes numbers a double holds the same way next to one it cannot hold', () => {
    assert.equal(roundTrip('{"a":1.0,"b":1E2,"c":1e21,"d":-0,"big":12345678901234567890}'), '{"a":1,"b":100,"c":1e+21,"d":0,"big":12345678901234567890}');
  });

  it('stores any body without such numbers exactly as JSON.stringify(JSON.parse(body)), the form receivers re-serialize', () => {
    for (let seed = 1; seed <= 400; seed += 1) {
      const text = randomJson(seed);
      assert.equal(roundTrip(text), JSON.stringify(JSON.parse(text)), text);
    }
  });

  it('stores everything but the kept number as JSON.stringify does when a body has one (key order, duplicates, escapes)', () => {
    for (let seed = 1; seed <= 400; seed += 1) {
      const text = randomJson(seed);
      const withBig = `{"first":12345678901234567890,${text.slice(1)}`;
      const expected = JSON.stringify(JSON.parse(withBig)).replace('"first":12345678901234567000', '"first":12345678901234567890');
      assert.equal(roundTrip(withBig), expected, withBig);
    }
  });

  it('orders keys as JSON.stringify does and lets the last of two equal keys win, even over a kept number', () => {
    assert.equal(roundTrip('{"b":1,"2":12345678901234567890,"1":true,"d":12345678901234567890,"d":7}'), '{"1":true,"2":12345678901234567890,"b":1,"d":7}');
    // 12345678901234567000 is the same double as 12345678901234567890, but a double holds it.
    assert.equal(roundTrip('{"d":12345678901234567890,"d":12345678901234567000}'), '{"d":12345678901234567000}');
  });

  it('parses a kept number as its nearest double, and one past the range as the largest double, so schemas see numbers', () => {
    assert.deepEqual(parseJson('{"a":12345678901234567890,"b":[1e400,-1e400],"c":1e-400}'), {
      a: 12345678901234567000,
      b: [Number.MAX_VALUE, -Number.MAX_VALUE],
      c: 0,
    });
  });

  it('writes a value changed after parsing as it now is', () => {
    const payload = parseJson('{"a":12345678901234567890,"b":12345678901234567890}') as Record<string, unknown>;
    payload.a = 1;
    assert.equal(payloadJson(payload), '{"a":1,"b":12345678901234567890}');
  });

  it('makes __proto__ an own data property, leaving every prototype alone, with and without a kept number', () => {
    for (const text of ['{"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":2}}}', '{"__proto__":{"polluted":12345678901234567890}}']) {
      const payload = parseJson(text) as Record<string, unknown>;
      assert.equal(Object.getPrototypeOf(payload), Object.prototype);
      assert.ok(Object.hasOwn(payload, '__proto__'));
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
      assert.equal(payloadJson(payload), text);
    }
  });

  it(`takes a payload ${MAX_PAYLOAD_DEPTH} levels deep and refuses one a level deeper, naming the field`, () => {
    assert.doesNotThrow(() => parseJson(`{"payload":${nested(MAX_PAYLOAD_DEPTH)}}`));
    assert.throws(() => parseJson(`{"event":"user.new","payload":${nested(MAX_PAYLOAD_DEPTH + 1)}}`), (error: unknown) => {
      assert.ok(error instanceof PayloadTooDeepError);
      assert.equal(error.field, 'payload');
      assert.equal(error.message, 'payload nests objects and arrays more than 64 levels deep');
      return true;
    });
  });

  it('counts only brackets outside strings, whatever the escapes', () => {
    const strings = `"[[[[{{{{", "\\"[[[[", "\\\\", "${'['.repeat(100)}"`;
    assert.doesNotThrow(() => parseJson(`{"payload":{"s":[${strings}],"deep":${nested(MAX_PAYLOAD_DEPTH - 2)}}}`));
  });

  it('names the top-level field that is too deep, or the body when it is not an object', () => {
    const field = (text: string) => {
      try {
        parseJson(text);
        return null;
      } catch (error) {
        return (error as PayloadTooDeepError).field;
      }
    };
    assert.equal(field(`{"payload":{"inner \\"key\\"":1},"other":${nested(MAX_PAYLOAD_DEPTH + 1)}}`), 'other');
    assert.equal(field(`{"say \\"hi\\"":${nested(MAX_PAYLOAD_DEPTH + 1)}}`), 'say "hi"');
    assert.equal(field(nested(MAX_PAYLOAD_DEPTH + 1)), 'body');
    assert.equal(field(nested(MAX_PAYLOAD_DEPTH)), null);
  });

  it('refuses a body nested 200,000 levels deep without running out of stack, before parsing it', () => {
    assert.throws(() => parseJson(`{"payload":${'['.repeat(200_000)}`), PayloadTooDeepError);
    assert.throws(() => parseJson(`{"payload":${nested(200_000)}}`), PayloadTooDeepError);
  });

  it('throws SyntaxError for text that is not JSON, with or without a long number', () => {
    assert.throws(() => parseJson('{"payload":{'), SyntaxError);
    assert.throws(() => parseJson('{"payload":12345678901234567890'), SyntaxError);
    assert.throws(() => parseJson('{"payload":"unterminated'), SyntaxError);
  });
});
