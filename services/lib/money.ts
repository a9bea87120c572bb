/** Money is integer fen (bigint). These are the only rounding rules in Youfu. */
import { AppError } from './errors';

/** round_half_up(n / d) for non-negative n and positive d, in integers. */
export function divRoundHalfUp(n: bigint, d: bigint): bigint {
  if (d <= 0n) throw new Error('divisor must be positive');
  if (n < 0n) return -divRoundHalfUp(-n, d);
  return (n * 2n + d) / (2n * d);
}

/** Applies a share given in basis points (1% = 100 bp), rounding half up to the fen. */
export const applyBasisPoints = (fen: bigint, bp: number): bigint => divRoundHalfUp(fen * BigInt(bp), 10_000n);

/** Rounds half up to a multiple of `unit` fen (e.g. 1000 fen = 10 yuan). */
export function roundToUnit(fen: bigint, unit: bigint): bigint {
  return divRoundHalfUp(fen, unit) * unit;
}

/** Yuan with two decimals, for display only. */
export function formatYuan(fen: bigint): string {
  const neg = fen < 0n;
  const abs = neg ? -fen : fen;
  return `${neg ? '-' : ''}${abs / 100n}.${String(abs % 100n).padStart(2, '0')}`;
}

/**
 * Yuan written with at most two decimals (`"3200"`, `"3200.5"`, `"3200.50"`) as fen, exactly (no
 * floating point); undefined for anything else — a third decimal, an exponent, a sign on zero digits.
 */
export function parseYuan(text: string): bigint | undefined {
  const m = /^(-?)(\d{1,15})(?:\.(\d{1,2}))?$/.exec(text);
  if (!m) return undefined;
  const fen = BigInt(m[2]!) * 100n + BigInt((m[3] ?? '').padEnd(2, '0'));
  return m[1] ? -fen : fen;
}

/**
 * Plausible ranges of money and index inputs, checked at the edge (services' zod schemas), so no
 * amount a person could not be paid reaches arithmetic or the database. All in fen.
 */
export const LIMITS = {
  /** An annual (or per-service-year) standard amount: ≤ 10,000,000 yuan. */
  annualFen: 1_000_000_000n,
  /** A monthly amount (a wage, a benefit): ≤ 1,000,000 yuan. */
  monthlyFen: 100_000_000n,
  /** A yearly index value (an average wage or income of a year): ≤ 12,000,000 yuan. */
  indexFen: 1_200_000_000n,
  /** A rounding unit: ≤ 1,000 yuan. */
  unitFen: 100_000n,
  /** A share or a raise in basis points: ≤ 100,000 bp (1,000%). */
  basisPoints: 100_000,
} as const;

const INT64_MAX = 2n ** 63n - 1n;

/**
 * `fen` if it lies within ±`limit` (default: int64), else INVALID_ARGUMENT `OUT_OF_RANGE` on
 * `field`: arithmetic on fen never reaches the database out of range.
 */
export function checkedFen(fen: bigint, field: string, limit = INT64_MAX): bigint {
  if (fen > limit || fen < -limit) {
    throw new AppError('INVALID_ARGUMENT', 'OUT_OF_RANGE', `${field}: ${fen} fen is out of range (|x| ≤ ${limit})`, [{ field, description: `out of range (|x| ≤ ${limit} fen)` }]);
  }
  return fen;
}
