/** Field-level helpers over one seeded PRNG: the vocabulary the record builders are written in. */
import { mulberry32 } from './prng.js';

const two = (n: number): string => (n < 10 ? '0' : '') + String(n);
const three = (n: number): string => (n < 10 ? '00' : n < 100 ? '0' : '') + String(n);

/** "YYYY-MM-DD" of a day number since 1970 (Howard Hinnant's days-to-civil algorithm). */
function civilDate(days: number): string {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return `${yoe + era * 400 + (m <= 2 ? 1 : 0)}-${two(m)}-${two(d)}`;
}

const dates = new Map<number, string>();

/** "YYYY-MM-DDTHH:MM:SS.mmm" of a UTC ms value; arithmetic and a day cache, as Date#toISOString dominated profiles. */
function isoLocal(ms: number): string {
  const days = Math.floor(ms / 86_400_000);
  let date = dates.get(days);
  if (date === undefined) {
    date = civilDate(days);
    if (dates.size > 10_000) dates.clear();
    dates.set(days, date);
  }
  let rem = ms - days * 86_400_000;
  const h = Math.floor(rem / 3_600_000);
  rem -= h * 3_600_000;
  const mi = Math.floor(rem / 60_000);
  rem -= mi * 60_000;
  const sec = Math.floor(rem / 1000);
  return `${date}T${two(h)}:${two(mi)}:${two(sec)}.${three(rem - sec * 1000)}`;
}

/** Formats an instant as RFC 3339 with milliseconds, in UTC ("Z") or at a fixed offset in minutes. */
export function formatTime(ms: number, offsetMinutes = 0): string {
  if (offsetMinutes === 0) return isoLocal(ms) + 'Z';
  const local = isoLocal(ms + offsetMinutes * 60_000);
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  const hh = String(Math.floor(abs / 60)).padStart(2, '0');
  const mm = String(abs % 60).padStart(2, '0');
  return `${local}${sign}${hh}:${mm}`;
}

/** Ruby BigDecimal#to_s style for money: "9.99", "12.5", "1.0". */
export function decimalString(cents: number): string {
  const whole = Math.trunc(cents / 100);
  const frac = Math.abs(cents % 100);
  if (frac === 0) return `${whole}.0`;
  if (frac % 10 === 0) return `${whole}.${frac / 10}`;
  return `${whole}.${String(frac).padStart(2, '0')}`;
}

export class Gen {
  private readonly next: () => number;

  constructor(seed: number) {
    this.next = mulberry32(seed);
  }

  /** Float in [0, 1). */
  float(): number {
    return this.next();
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Integer in [lo, hi]. */
  between(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(list: readonly T[]): T {
    return list[this.int(list.length)] as T;
  }

  /** The value, or null with probability p. */
  orNull<T>(value: T, p = 0.2): T | null {
    return this.chance(p) ? null : value;
  }

  money(maxCents: number): string {
    // Round amounts are common in real books; they render as "120.0".
    const cents = this.chance(0.3) ? this.int(maxCents / 100) * 100 : this.int(maxCents);
    return decimalString(cents);
  }

  digits(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += String(this.int(10));
    return s;
  }

  phone(): string {
    return `${this.between(200, 999)}-${this.between(200, 999)}-${this.digits(4)}`;
  }

  /** A time within `spanMs` after `fromMs`. */
  after(fromMs: number, spanMs: number): number {
    return fromMs + this.int(spanMs);
  }

  latitude(): number {
    return Math.round((this.next() * 140 - 70) * 1e6) / 1e6;
  }

  longitude(): number {
    return Math.round((this.next() * 340 - 170) * 1e6) / 1e6;
  }
}
