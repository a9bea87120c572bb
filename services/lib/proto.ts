import { z } from 'zod';
import { fromParts, isValidDate, parts, type CivilDate, type YearMonth } from './civil';

// Conversions between the wire (ts-proto messages of youfu.common.v1) and the domain's types,
// shared by every service's wire layer.

/** A protobuf enum seen through the domain's names (the value without its prefix; 0 = none). */
export interface EnumMap<T extends string> {
  names: readonly T[];
  fromNumber(n: number): T | undefined;
  toNumber(name: T | null | undefined): number;
}

/** `enumMap(['WAR', …], disabilityCauseFromJSON, 'DISABILITY_CAUSE_')`, with ts-proto's `xxxFromJSON`. */
export function enumMap<T extends string>(names: readonly T[], fromJSON: (o: unknown) => number, prefix: string): EnumMap<T> {
  const byNumber = new Map(names.map((n) => [fromJSON(prefix + n), n]));
  return { names, fromNumber: (n) => byNumber.get(n), toNumber: (name) => (name ? fromJSON(prefix + name) : 0) };
}

/** zod: a required enum value (not UNSPECIFIED) → its domain name. */
export function requiredEnum<T extends string>(m: EnumMap<T>) {
  return z.number().int().transform((v, ctx): T => {
    const name = m.fromNumber(v);
    if (name) return name;
    ctx.addIssue({ code: 'custom', message: v === 0 ? `required: one of ${m.names.join(', ')}` : `must be one of ${m.names.join(', ')}` });
    return z.NEVER;
  });
}

/** zod: an optional enum value; 0 (UNSPECIFIED) → null. */
export function optionalEnum<T extends string>(m: EnumMap<T>) {
  return z.number().int().transform((v, ctx): T | null => {
    if (v === 0) return null;
    const name = m.fromNumber(v);
    if (name) return name;
    ctx.addIssue({ code: 'custom', message: `must be one of ${m.names.join(', ')} or unspecified` });
    return z.NEVER;
  });
}

/** zod: a required youfu.common.v1.CivilDate → 'YYYY-MM-DD' (a real calendar date, year ≥ 1900). */
export const civilDate = z
  .object({ year: z.number().int().min(1900).max(9999), month: z.number().int(), day: z.number().int() }, { error: 'required' })
  .refine((d) => isValidDate(fromParts(d.year, d.month, d.day)), 'not a valid calendar date')
  .transform((d) => fromParts(d.year, d.month, d.day));

/** zod: a required youfu.common.v1.YearMonth → 'YYYY-MM'. */
export const yearMonth = z
  .object({ year: z.number().int().min(1900).max(9999), month: z.number().int().min(1).max(12) }, { error: 'required' })
  .transform((m) => `${String(m.year).padStart(4, '0')}-${String(m.month).padStart(2, '0')}`);

export const toProtoDate = (d: CivilDate) => parts(d);
export const toProtoMonth = (m: YearMonth) => ({ year: Number(m.slice(0, 4)), month: Number(m.slice(5, 7)) });
/** youfu.common.v1.Money */
export const money = (fen: bigint) => ({ fen });
