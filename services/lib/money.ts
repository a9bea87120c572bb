/** Money is integer fen (bigint). These are the only rounding rules in Youfu. */

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
