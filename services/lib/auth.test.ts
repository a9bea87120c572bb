import { describe, expect, it } from 'vitest';
import { SignJWT } from 'jose';
import { assertNotOwnProposal, authorize, createAuthenticator, effective, mayReadFullId, policies } from './auth';
import { AppError } from './errors';

const secret = 'x'.repeat(40);
const auth = createAuthenticator(secret);
const kindOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return (e as AppError).kind;
  }
  return 'OK';
};

describe('bearer tokens and roles', () => {
  it('round-trips claims, including a hospital code and an act delegation', async () => {
    expect(await auth.verify(await auth.mint({ subject: 'his-1', role: 'hospital', hospital: 'H001' }))).toEqual({
      subject: 'his-1', role: 'hospital', hospital: 'H001',
    });
    const delegated = await auth.verify(await auth.mint({ subject: 'workflows', role: 'service', actor: { subject: 'wang', role: 'approver' } }));
    expect(effective(delegated)).toEqual({ subject: 'wang', role: 'approver' });
  });
  it('refuses other keys, other issuers, unknown roles and expired tokens', async () => {
    const other = createAuthenticator('y'.repeat(40));
    await expect(auth.verify(await other.mint({ subject: 'a', role: 'clerk' }))).rejects.toMatchObject({ kind: 'UNAUTHENTICATED' });
    const key = new TextEncoder().encode(secret);
    const foreign = await new SignJWT({ role: 'clerk' }).setProtectedHeader({ alg: 'HS256' }).setIssuer('elsewhere').setSubject('a').sign(key);
    await expect(auth.verify(foreign)).rejects.toMatchObject({ kind: 'UNAUTHENTICATED' });
    const badRole = await new SignJWT({ role: 'root' }).setProtectedHeader({ alg: 'HS256' }).setIssuer('youfu').setSubject('a').sign(key);
    await expect(auth.verify(badRole)).rejects.toMatchObject({ kind: 'UNAUTHENTICATED' });
    const expired = await new SignJWT({ role: 'clerk' }).setProtectedHeader({ alg: 'HS256' }).setIssuer('youfu').setSubject('a').setExpirationTime(Math.floor(Date.now() / 1000) - 60).sign(key);
    await expect(auth.verify(expired)).rejects.toThrow(/expired/);
    const actOnClerk = await new SignJWT({ role: 'clerk', act: { sub: 'b', role: 'approver' } }).setProtectedHeader({ alg: 'HS256' }).setIssuer('youfu').setSubject('a').sign(key);
    await expect(auth.verify(actOnClerk)).rejects.toMatchObject({ kind: 'UNAUTHENTICATED' });
  });
  it('applies policies to the acting person and enforces maker ≠ checker', () => {
    expect(kindOf(() => authorize({ subject: 'a', role: 'clerk' }, policies.decide, 'Approve'))).toBe('PERMISSION_DENIED');
    expect(kindOf(() => authorize({ subject: 'a', role: 'approver' }, policies.decide, 'Approve'))).toBe('OK');
    expect(kindOf(() => authorize({ subject: 'wf', role: 'service', actor: { subject: 'li', role: 'clerk' } }, policies.decide, 'Approve'))).toBe('PERMISSION_DENIED');
    expect(kindOf(() => assertNotOwnProposal({ subject: 'wf', role: 'service', actor: { subject: 'li', role: 'approver' } }, 'li'))).toBe('PERMISSION_DENIED');
    expect(kindOf(() => assertNotOwnProposal({ subject: 'wang', role: 'approver' }, 'li'))).toBe('OK');
    expect(mayReadFullId({ subject: 'a', role: 'auditor' })).toBe(true);
    expect(mayReadFullId({ subject: 'a', role: 'clerk' })).toBe(false);
  });
});
