import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { assertNotOwnProposal, authorize, createVerifier, effective, issuerSigner, mayReadFullId, policies, serviceSigner, type Caller } from './auth';
import { AppError } from './errors';
import type { KeyResolver } from './keys';

async function keyPair(kid: string): Promise<{ priv: JWK; pub: JWK }> {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  return { priv: { ...(await exportJWK(privateKey)), kid }, pub: { ...(await exportJWK(publicKey)), kid } };
}

const issuer = await keyPair('idp-1');
const persons = await keyPair('service:persons');
const stranger = await keyPair('idp-1'); // same kid, a key nobody trusts
const resolver: KeyResolver = async (h) => {
  const { importJWK } = await import('jose');
  const jwk = [issuer.pub, persons.pub].find((k) => k.kid === h.kid);
  if (!jwk) throw new Error('no key');
  return (await importJWK(jwk, 'EdDSA')) as never;
};
const verifier = createVerifier({ keys: resolver, issuer: 'bureau-idp' });
const idp = issuerSigner(issuer.priv, 'bureau-idp');

const reasonOf = async (p: Promise<unknown>) => p.then(() => 'OK', (e: AppError) => `${e.kind}:${e.reason}`);
const kindOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return (e as AppError).reason;
  }
  return 'OK';
};

describe('bearer tokens', () => {
  it('accepts issuer tokens for staff and hospitals (with jti) and a service’s own token', async () => {
    expect(await verifier.verify(await idp.sign({ subject: 'li', role: 'clerk' }))).toMatchObject({ subject: 'li', role: 'clerk' });
    const h = await verifier.verify(await idp.sign({ subject: 'his-1', role: 'hospital', hospital: 'H001' }));
    expect(h).toMatchObject({ subject: 'his-1', role: 'hospital', hospital: 'H001' });
    expect(h.tokenId).toMatch(/^[0-9a-f-]{36}$/);
    const delegated = await verifier.verify(await serviceSigner('persons', persons.priv).token({ subject: 'li', role: 'clerk' }));
    expect(delegated).toMatchObject({ subject: 'persons', role: 'service', actor: { subject: 'li', role: 'clerk' } });
  });

  it('refuses a service key signing anything but its own service token', async () => {
    const { importJWK } = await import('jose');
    const key = await importJWK(persons.priv, 'EdDSA');
    const as = (body: Record<string, unknown>, sub: string, iss = 'service:persons') =>
      new SignJWT(body).setProtectedHeader({ alg: 'EdDSA', kid: 'service:persons' }).setIssuer(iss).setSubject(sub).setExpirationTime('1h').sign(key);
    expect(await reasonOf(verifier.verify(await as({ role: 'approver' }, 'wang')))).toBe('UNAUTHENTICATED:TOKEN_INVALID');
    expect(await reasonOf(verifier.verify(await as({ role: 'service' }, 'adjustment')))).toBe('UNAUTHENTICATED:TOKEN_INVALID');
    expect(await reasonOf(verifier.verify(await as({ role: 'service' }, 'persons', 'bureau-idp')))).toBe('UNAUTHENTICATED:TOKEN_INVALID');
    expect(await reasonOf(verifier.verify(await as({ role: 'service' }, 'persons')))).toBe('OK');
  });

  it('refuses service tokens from the issuer, unknown keys and issuers, HS256, expired and missing tokens, each with its reason', async () => {
    expect(await reasonOf(verifier.verify(await idp.sign({ subject: 'persons', role: 'service' })))).toBe('UNAUTHENTICATED:TOKEN_INVALID');
    expect(await reasonOf(verifier.verify(await issuerSigner(stranger.priv, 'bureau-idp').sign({ subject: 'li', role: 'approver' })))).toBe('UNAUTHENTICATED:TOKEN_INVALID');
    expect(await reasonOf(verifier.verify(await issuerSigner(issuer.priv, 'elsewhere').sign({ subject: 'li', role: 'clerk' })))).toBe('UNAUTHENTICATED:TOKEN_INVALID');
    const hs = await new SignJWT({ role: 'approver' }).setProtectedHeader({ alg: 'HS256' }).setIssuer('youfu').setSubject('a').sign(new TextEncoder().encode('x'.repeat(40)));
    expect(await reasonOf(verifier.verify(hs))).toBe('UNAUTHENTICATED:TOKEN_INVALID');
    expect(await reasonOf(createVerifier({ keys: resolver, issuer: 'bureau-idp', hs256Secret: 'x'.repeat(40) }).verify(hs))).toBe('OK');
    expect(await reasonOf(verifier.verify(await idp.sign({ subject: 'li', role: 'clerk' }, -60)))).toBe('UNAUTHENTICATED:TOKEN_EXPIRED');
    expect(await reasonOf(verifier.verify(undefined))).toBe('UNAUTHENTICATED:TOKEN_MISSING');
    expect(await reasonOf(verifier.verify('not.a.jwt'))).toBe('UNAUTHENTICATED:TOKEN_INVALID');
    const noJti = await new SignJWT({ role: 'hospital', hospital: 'H001' }).setProtectedHeader({ alg: 'EdDSA', kid: 'idp-1' }).setIssuer('bureau-idp').setSubject('h').setExpirationTime('1h').sign(await (await import('jose')).importJWK(issuer.priv, 'EdDSA'));
    expect(await reasonOf(verifier.verify(noJti))).toBe('UNAUTHENTICATED:TOKEN_INVALID');
  });

  it('a service signer never signs for an approver, and its key must be its own', async () => {
    const s = serviceSigner('persons', persons.priv);
    await expect(s.token({ subject: 'wang', role: 'approver' })).rejects.toMatchObject({ reason: 'APPROVAL_NOT_DELEGABLE' });
    expect(() => serviceSigner('adjustment', persons.priv)).toThrow(/kid service:adjustment/);
    expect(await s.token()).toBe(await s.token());
  });
});

describe('policies and delegation', () => {
  const viaAdjustment = (role: Caller['role']): Caller => ({ subject: 'adjustment', role: 'service', actor: { subject: 'li', role } });
  const listed = [{ service: 'adjustment', as: ['clerk'] as const }];

  it('accepts act only for the (service, RPC, role) triples the policy lists, never for an approver', () => {
    expect(kindOf(() => authorize(viaAdjustment('clerk'), policies.propose, 'CreateDraft', listed))).toBe('OK');
    expect(kindOf(() => authorize(viaAdjustment('clerk'), policies.propose, 'CreateDraft'))).toBe('DELEGATION_NOT_ALLOWED');
    expect(kindOf(() => authorize({ ...viaAdjustment('clerk'), subject: 'persons' }, policies.propose, 'CreateDraft', listed))).toBe('DELEGATION_NOT_ALLOWED');
    expect(kindOf(() => authorize(viaAdjustment('auditor'), policies.read, 'GetVersion', listed))).toBe('DELEGATION_NOT_ALLOWED');
    expect(kindOf(() => authorize(viaAdjustment('approver'), policies.decide, 'Approve', [{ service: 'adjustment', as: ['approver'] }]))).toBe('APPROVAL_NOT_DELEGABLE');
  });

  it('applies roles to the acting person and enforces maker ≠ checker', () => {
    expect(kindOf(() => authorize({ subject: 'a', role: 'clerk' }, policies.decide, 'Approve'))).toBe('ROLE_NOT_ALLOWED');
    expect(kindOf(() => authorize({ subject: 'a', role: 'approver' }, policies.decide, 'Approve'))).toBe('OK');
    expect(kindOf(() => authorize(viaAdjustment('clerk'), policies.decide, 'Approve', listed))).toBe('ROLE_NOT_ALLOWED');
    expect(kindOf(() => assertNotOwnProposal(viaAdjustment('clerk'), 'li'))).toBe('OWN_PROPOSAL');
    expect(kindOf(() => assertNotOwnProposal({ subject: 'wang', role: 'approver' }, 'li'))).toBe('OK');
    expect(effective(viaAdjustment('clerk'))).toEqual({ subject: 'li', role: 'clerk' });
    expect(mayReadFullId({ subject: 'a', role: 'auditor' })).toBe(true);
    expect(mayReadFullId({ subject: 'a', role: 'clerk' })).toBe(false);
  });
});
