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

describe('control characters', () => {
  it('names every string field holding one, deep in the request; tab and newline pass', async () => {
    const { controlCharacters, parseInput } = await import('./errors');
    const req = { title: 'ok\ttab\nnewline', rows: [{ note: 'a\u0000b' }, { note: 'fine' }], payee: { bank: '\u001b[31m' }, raw: new Uint8Array([0]) };
    expect(controlCharacters(req).map((v) => v.field)).toEqual(['rows[0].note', 'payee.bank']);
    // A ts-proto oneof ({ $case, value }) is named by its case, as the proto field is.
    expect(controlCharacters({ change: { $case: 'suspend', value: { reason: 'x\u0000' } } }).map((v) => v.field)).toEqual(['suspend.reason']);
    expect(() => parseInput(z.unknown(), req)).toThrow(expect.objectContaining({ kind: 'INVALID_ARGUMENT', reason: 'CONTROL_CHARACTER' }));
    expect(parseInput(z.object({ title: z.string() }), { title: 'ok\ttab\nnewline' })).toEqual({ title: 'ok\ttab\nnewline' });
  });
});
