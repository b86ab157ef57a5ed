/**
 * The one reading of a `date-time` input (`since`, `until`, …): RFC 3339, as ajv-formats' grammar
 * has it (`T`, `t` or a space between date and time; `Z`, `z`, `±hh:mm`, `±hhmm` or `±hh`). The API's
 * validators use it both to accept a time and to turn it into the number the stores compare, so
 * both stores see the same instant. `Date.parse` is not trusted with this: it answers NaN for a leap
 * second or a `+05` offset, which PostgreSQL refused (a 500) and SQLite quietly matched nothing with.
 *
 * A leap second (`23:59:60` UTC) reads as the instant after `23:59:59.999`, the next minute's
 * `00:00:00`: Herald's clock, like Unix time, has no leap seconds.
 */

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt\s](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)$/;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const MINUTE_MS = 60_000;

/** Milliseconds since the Unix epoch, or null when `text` is not an RFC 3339 date-time. */
export function parseDateTime(text: string): number | null {
  const m = DATE_TIME.exec(text);
  if (m === null) return null;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const offsetMinutes = m[8] !== undefined ? 0 : (m[9] === '-' ? -1 : 1) * (Number(m[10]) * 60 + Number(m[11] ?? 0));
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  if (Number(m[10] ?? 0) > 23 || Number(m[11] ?? 0) > 59 || hour > 23 || minute > 59 || second > 60) return null;
  const utcMinuteOfDay = (((hour * 60 + minute - offsetMinutes) % 1440) + 1440) % 1440;
  if (second === 60 && utcMinuteOfDay !== 1439) return null;
  // setUTCFullYear, because Date.UTC reads the years 0–99 as 1900–1999.
  const midnight = new Date(0);
  midnight.setUTCFullYear(year, month - 1, day);
  const millis = Number((m[7] ?? '').padEnd(3, '0').slice(0, 3));
  return midnight.getTime() + (hour * 60 + minute - offsetMinutes) * MINUTE_MS + second * 1000 + millis;
}

function daysInMonth(year: number, month: number): number {
  const leapYear = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return month === 2 && leapYear ? 29 : DAYS_IN_MONTH[month - 1]!;
}
