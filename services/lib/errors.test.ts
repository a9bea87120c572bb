import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { fieldPath, fromZodError, isTransient } from './errors';

describe('errors', () => {
  it('names fields the way clients do', () => {
    expect(fieldPath(['rows', 2, 'amount', 'fen'])).toBe('rows[2].amount.fen');
    const r = z.object({ rows: z.array(z.object({ fen: z.bigint().positive() })) }).safeParse({ rows: [{ fen: 1n }, { fen: 0n }] });
    const err = fromZodError(r.error!);
    expect(err.kind).toBe('INVALID_ARGUMENT');
    expect(err.violations.map((v) => v.field)).toEqual(['rows[1].fen']);
  });
  it('tells outages from bugs', () => {
    expect(isTransient(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isTransient(Object.assign(new Error('x'), { code: '57P01' }))).toBe(true);
    expect(isTransient(Object.assign(new Error('dup'), { code: '23505' }))).toBe(false);
    expect(isTransient(new TypeError('undefined is not a function'))).toBe(false);
  });
});
