/** Civil dates ('YYYY-MM-DD') and months ('YYYY-MM') as observed in Asia/Shanghai. No Date arithmetic in local time. */

export type CivilDate = string;
export type YearMonth = string;

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

export function isValidDate(s: string): boolean {
  const m = DATE.exec(s);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return mo >= 1 && mo <= 12 && d >= 1 && d <= daysInMonth(y, mo);
}

export function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

export function fromParts(year: number, month: number, day: number): CivilDate {
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

export function parts(d: CivilDate): { year: number; month: number; day: number } {
  const m = DATE.exec(d);
  if (!m) throw new Error(`not a civil date: ${d}`);
  return { year: Number(m[1]), month: Number(m[2]), day: Number(m[3]) };
}

/** The month a date falls in. */
export const monthOf = (d: CivilDate): YearMonth => d.slice(0, 7);
/** First day of a month. */
export const firstDay = (m: YearMonth): CivilDate => `${m}-01`;

export function addMonths(m: YearMonth, n: number): YearMonth {
  const [y, mo] = m.split('-').map(Number) as [number, number];
  const idx = y * 12 + (mo - 1) + n;
  return `${String(Math.floor(idx / 12)).padStart(4, '0')}-${String((idx % 12) + 1).padStart(2, '0')}`;
}

/** Months from a to b inclusive of a, exclusive of b (0 when b <= a). */
export function monthsBetween(a: YearMonth, b: YearMonth): number {
  const idx = (m: YearMonth) => {
    const [y, mo] = m.split('-').map(Number) as [number, number];
    return y * 12 + mo - 1;
  };
  return Math.max(0, idx(b) - idx(a));
}

/** The date `n` days after `d` (before, for negative `n`). */
export function addDays(d: CivilDate, n: number): CivilDate {
  const { year, month, day } = parts(d);
  const t = new Date(Date.UTC(year, month - 1, day + n));
  return fromParts(t.getUTCFullYear(), t.getUTCMonth() + 1, t.getUTCDate());
}

/** Days from `a` to `b` (negative when b is before a). */
export function daysBetween(a: CivilDate, b: CivilDate): number {
  const utc = (d: CivilDate) => {
    const { year, month, day } = parts(d);
    return Date.UTC(year, month - 1, day);
  };
  return Math.round((utc(b) - utc(a)) / 86_400_000);
}

/** The instant a civil date begins in Asia/Shanghai (00:00, UTC+8; no daylight saving). */
export const shanghaiMidnight = (d: CivilDate): Date => new Date(`${d}T00:00:00+08:00`);

/** Today's civil date in Asia/Shanghai for an instant. */
export function shanghaiDate(at: Date): CivilDate {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
}

/** Injected time source, so date rules are testable. */
export interface Clock {
  now(): Date;
  today(): CivilDate;
}

export const systemClock: Clock = { now: () => new Date(), today: () => shanghaiDate(new Date()) };
