/**
 * Yuan on the wire of the national and FHIR doors: read from JSON numbers or strings with at most
 * 2 decimals and converted to fen exactly (lib/money `parseYuan`: no floating point), written as
 * JSON numbers with exactly 2 decimals (`3200.00`).
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { formatYuan, parseYuan } from '../lib/money';

const MAX_FEN = 100_000_000_00n; // 100,000,000 yuan: no bill is larger

/** Yuan ≥ 0, at most 2 decimals, a JSON number or string → fen. */
export const yuan = z.union([z.number(), z.string()]).transform((v, ctx) => {
  // A JSON number arrives parsed; its shortest text is what the sender wrote (1234.5 → "1234.5").
  const fen = parseYuan(typeof v === 'number' ? String(v) : v);
  if (fen === undefined || fen < 0n || fen > MAX_FEN) {
    ctx.addIssue({ code: 'custom', message: 'yuan ≥ 0 with at most 2 decimals, e.g. 3200.00' });
    return z.NEVER;
  }
  return fen;
});

/** An amount to be written with 2 decimals. */
export class Yuan {
  constructor(readonly fen: bigint) {}
}

// A marker no sender can guess, so no string of a request turns into a number.
const MARK = `yuan-${randomUUID()}:`;
const MARKED = new RegExp(`"${MARK}(-?\\d+\\.\\d{2})"`, 'g');

/** JSON.stringify, with every Yuan as a number token with 2 decimals. */
export const yuanJson = (v: unknown) => JSON.stringify(v, (_k, x: unknown) => (x instanceof Yuan ? `${MARK}${formatYuan(x.fen)}` : x)).replace(MARKED, '$1');

/** The fen of a JSON-mapped Money (`{"fen": "320000"}`); 0 when unset. */
export const fenOf = (m: unknown) => BigInt((m as { fen?: string } | undefined)?.fen ?? '0');

/** An RFC 3339 instant as `yyyy-MM-dd HH:mm:ss` in Asia/Shanghai. */
export const shanghaiTime = (iso: unknown) => (typeof iso === 'string' ? new Date(Date.parse(iso) + 8 * 3600_000).toISOString().slice(0, 19).replace('T', ' ') : undefined);
