/**
 * The `datetime` module as map expressions use it: datetime.datetime(...) and datetime.date(...), their
 * fromisoformat() (Python 3.11's formats), isoformat(), date(), timestamp(), year... Dates are checked as
 * Python checks them (month 1..12, the days of the month...) rather than rolled over as JavaScript's are.
 * A datetime keeps milliseconds (docs/stream-maps.md), and is naive or UTC-offset.
 */
import { PyError } from './limits.js';
import { PyDate, strRepr, typeName, type PyValue } from './values.js';

/** What a keyword argument may be: a value, or the namespace datetime.timezone.utc. */
export const UTC = Symbol('datetime.timezone.utc');

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** Python's checks of a date's and a time's fields; the first failing one raises ValueError. */
function checkFields(fields: readonly number[]): void {
  const [year = 1, month = 1, day = 1, hour = 0, minute = 0, second = 0, us = 0] = fields;
  if (year < 1 || year > 9999) throw new PyError('ValueError', `year ${year} is out of range`);
  if (month < 1 || month > 12) throw new PyError('ValueError', 'month must be in 1..12');
  if (day < 1 || day > daysIn(year, month)) throw new PyError('ValueError', 'day is out of range for month');
  if (hour < 0 || hour > 23) throw new PyError('ValueError', 'hour must be in 0..23');
  if (minute < 0 || minute > 59) throw new PyError('ValueError', 'minute must be in 0..59');
  if (second < 0 || second > 59) throw new PyError('ValueError', 'second must be in 0..59');
  if (us < 0 || us > 999999) throw new PyError('ValueError', 'microsecond must be in 0..999999');
}

function utcMs(fields: readonly number[]): number {
  const [y = 1, mo = 1, d = 1, h = 0, mi = 0, s = 0, us = 0] = fields;
  const date = new Date(Date.UTC(2000, mo - 1, d, h, mi, s, Math.floor(us / 1000)));
  date.setUTCFullYear(y); // Date.UTC reads years 0..99 as 1900..1999
  return date.getTime();
}

function intField(value: PyValue | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value !== 'bigint') throw new PyError('TypeError', `'${typeName(value)}' object cannot be interpreted as an integer`);
  return Number(value);
}

const DATETIME_PARAMS = ['year', 'month', 'day', 'hour', 'minute', 'second', 'microsecond'];

/** datetime.datetime(...) (dateOnly: datetime.date(...)); `tzinfo`: UTC or none. */
export function constructDate(dateOnly: boolean, args: PyValue[], keywords: Map<string, PyValue | typeof UTC>): PyDate {
  const params = dateOnly ? DATETIME_PARAMS.slice(0, 3) : DATETIME_PARAMS;
  const values: (PyValue | undefined)[] = [...args];
  let tzinfo: PyValue | typeof UTC = null;
  for (const [name, value] of keywords) {
    const at = params.indexOf(name);
    if (name === 'tzinfo' && !dateOnly) tzinfo = value;
    else if (at < 0 || values[at] !== undefined || value === UTC)
      throw new PyError('TypeError', `${strRepr(name)} is an invalid keyword argument for this function`);
    else values[at] = value;
  }
  if (values.length > params.length)
    throw new PyError('TypeError', `function takes at most ${params.length} arguments (${values.length} given)`);
  if (tzinfo !== null && tzinfo !== UTC) throw new PyError('TypeError', 'tzinfo argument must be None or datetime.timezone.utc');
  const fields = params.map((name, i) => {
    if (values[i] === undefined && i < 3) throw new PyError('TypeError', `function missing required argument '${name}' (pos ${i + 1})`);
    return intField(values[i], 0);
  });
  checkFields(fields);
  return new PyDate(utcMs(fields), dateOnly, tzinfo === UTC ? 0 : undefined);
}

const DATE_PART = /^(\d{4})(-?)(\d{2})\2(\d{2})$/;
const TIME_PART = /^(\d{2})(?:(:?)(\d{2})(?:\2(\d{2})(?:[.,](\d+))?)?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/;

function invalid(text: string): PyError {
  return new PyError('ValueError', `Invalid isoformat string: ${strRepr(text)}`);
}

/** datetime.date.fromisoformat and datetime.datetime.fromisoformat, as Python 3.11 reads them. */
export function fromIsoFormat(dateOnly: boolean, text: PyValue | undefined): PyDate {
  if (typeof text !== 'string') throw new PyError('TypeError', `fromisoformat: argument must be str`);
  // YYYY-MM-DD, or YYYYMMDD; whatever character follows separates the time, a digit included (Python 3.11).
  const dateLength = text[4] === '-' ? 10 : 8;
  const date = DATE_PART.exec(text.slice(0, dateLength));
  if (!date || (dateOnly && text.length > dateLength)) throw invalid(text);
  const fields = [Number(date[1]), Number(date[3]), Number(date[4])];
  let offset: number | undefined;
  if (text.length > dateLength) {
    const time = TIME_PART.exec(text.slice(dateLength + 1));
    if (!time) throw invalid(text);
    fields.push(Number(time[1]), Number(time[3] ?? 0), Number(time[4] ?? 0), Number((time[5] ?? '').padEnd(6, '0').slice(0, 6)));
    offset = zoneOffset(time[6]);
  }
  checkFields(fields);
  const local = utcMs(fields);
  return new PyDate(local - (offset ?? 0) * 60000, dateOnly, dateOnly ? undefined : offset);
}

function zoneOffset(zone: string | undefined): number | undefined {
  if (zone === undefined) return undefined;
  if (zone === 'Z') return 0;
  const digits = zone.slice(1).replace(':', '');
  const minutes = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || '0');
  if (minutes >= 24 * 60)
    throw new PyError('ValueError', 'offset must be a timedelta strictly between -timedelta(hours=24) and timedelta(hours=24).');
  return zone.startsWith('-') ? -minutes : minutes;
}

/** A date's attributes (year, month..., and hour... of a datetime). */
export function dateAttribute(value: PyDate, name: string): PyValue | undefined {
  const at = value.wall;
  switch (name) {
    case 'year':
      return BigInt(at.getUTCFullYear());
    case 'month':
      return BigInt(at.getUTCMonth() + 1);
    case 'day':
      return BigInt(at.getUTCDate());
  }
  if (value.dateOnly) return undefined;
  switch (name) {
    case 'hour':
      return BigInt(at.getUTCHours());
    case 'minute':
      return BigInt(at.getUTCMinutes());
    case 'second':
      return BigInt(at.getUTCSeconds());
    case 'microsecond':
      return BigInt(at.getUTCMilliseconds() * 1000);
    default:
      return undefined;
  }
}

/** The methods of dates: isoformat() for both, date() and timestamp() for a datetime. */
export function dateMethod(value: PyDate, name: string): (() => PyValue) | undefined {
  if (name === 'isoformat') return () => value.isoformat();
  if (value.dateOnly) return undefined;
  if (name === 'date')
    return () =>
      new PyDate(value.ms + (value.offset ?? 0) * 60000 - mod(value.ms + (value.offset ?? 0) * 60000, 86400000), true, undefined);
  // A naive datetime is taken as UTC (Python takes the machine's time zone).
  if (name === 'timestamp') return () => value.ms / 1000;
  return undefined;
}

function mod(a: number, b: number): number {
  return ((a % b) + b) % b;
}
