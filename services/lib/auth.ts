import { SignJWT, decodeProtectedHeader, errors as joseErrors, importJWK, jwtVerify, type JWK, type JWTPayload } from 'jose';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { AppError, permissionDenied } from './errors';
import { SERVICE_KID, type KeyResolver } from './keys';

/** The roles of architecture.md. */
export const ROLES = ['clerk', 'approver', 'auditor', 'service', 'hospital'] as const;
export type Role = (typeof ROLES)[number];
/** Roles of bureau staff (people, not machines). */
export const STAFF: readonly Role[] = ['clerk', 'approver', 'auditor'];

/** The authenticated caller of one RPC. */
export interface Caller {
  /** Token subject: a user id, a service id or a hospital system id. */
  subject: string;
  role: Role;
  /** Hospital code, for role `hospital`. */
  hospital?: string;
  /** The person a `service` caller acts for (RFC 8693 `act`), if any. */
  actor?: { subject: string; role: Role };
  /** The token's `jti` (hospital tokens always carry one). */
  tokenId?: string;
  /** The token's expiry, seconds since the epoch. */
  expiresAt?: number;
  /** SHA-256 fingerprint of the verified client certificate the caller was identified by. */
  certificate?: string;
}

/** The identity rules apply to: the acting person of a delegated service call, else the caller. */
export function effective(c: Caller): { subject: string; role: Role } {
  return c.actor ?? { subject: c.subject, role: c.role };
}

/** Why a token was refused: UNAUTHENTICATED with one of these reasons. */
export const tokenMissing = () => new AppError('UNAUTHENTICATED', 'TOKEN_MISSING', 'no bearer token (metadata authorization: Bearer <JWT>)');
export const tokenInvalid = (why: string) => new AppError('UNAUTHENTICATED', 'TOKEN_INVALID', `invalid token: ${why}`);
export const tokenExpired = () => new AppError('UNAUTHENTICATED', 'TOKEN_EXPIRED', 'the token has expired');
export const tokenRevoked = (why = 'the token is revoked or not registered') => new AppError('UNAUTHENTICATED', 'TOKEN_REVOKED', why);

const claims = z.object({
  sub: z.string().min(1).max(128),
  role: z.enum(ROLES),
  hospital: z.string().regex(/^[A-Za-z0-9]{1,32}$/).optional(),
  act: z.object({ sub: z.string().min(1).max(128), role: z.enum(ROLES) }).optional(),
  jti: z.string().min(1).max(128).optional(),
  exp: z.number().int().optional(),
});

/** Issuer name of the development HS256 tokens (development and test only). */
const HS256_ISSUER = 'youfu';

export interface VerifierOptions {
  /** Public keys of the staff / hospital issuer and of every service (kid `service:<name>`). */
  keys: KeyResolver;
  /** `iss` of staff and hospital tokens. */
  issuer: string;
  /** HS256 development key; pass it only in development and test. */
  hs256Secret?: string;
}

/** Checks a bearer token and says who is calling. */
export interface Verifier {
  verify(token: string | undefined): Promise<Caller>;
}

/**
 * EdDSA tokens verified against the key set. A token signed by service X's key (kid
 * `service:X`) is accepted only as `iss = service:X`, `sub = X`, `role = service`; the issuer's
 * keys never sign service tokens. HS256 is accepted only when `hs256Secret` is given.
 */
export function createVerifier(o: VerifierOptions): Verifier {
  const hsKey = o.hs256Secret ? new TextEncoder().encode(o.hs256Secret) : undefined;
  return {
    async verify(token) {
      if (!token) throw tokenMissing();
      let alg: string | undefined;
      let kid = '';
      try {
        ({ alg, kid = '' } = decodeProtectedHeader(token));
      } catch {
        throw tokenInvalid('not a JWT');
      }
      let payload: JWTPayload;
      try {
        if (alg === 'EdDSA') ({ payload } = await jwtVerify(token, o.keys, { algorithms: ['EdDSA'] }));
        else if (alg === 'HS256' && hsKey) ({ payload } = await jwtVerify(token, hsKey, { algorithms: ['HS256'], issuer: HS256_ISSUER }));
        else throw tokenInvalid(alg === 'HS256' ? 'HS256 tokens are accepted only in development and test' : `algorithm ${alg} is not accepted`);
      } catch (err) {
        if (err instanceof AppError) throw err;
        if (err instanceof joseErrors.JWTExpired) throw tokenExpired();
        throw tokenInvalid(err instanceof joseErrors.JOSEError ? err.code : 'signature');
      }
      const parsed = claims.safeParse(payload);
      if (!parsed.success) throw tokenInvalid('claims are malformed');
      const { sub, role, hospital, act, jti, exp } = parsed.data;
      if (alg === 'EdDSA') {
        if (kid.startsWith(SERVICE_KID)) {
          const service = kid.slice(SERVICE_KID.length);
          if (payload.iss !== kid || sub !== service || role !== 'service') throw tokenInvalid(`the key of ${service} signs only ${service}'s own service tokens`);
        } else {
          if (payload.iss !== o.issuer) throw tokenInvalid('unknown issuer');
          if (role === 'service') throw tokenInvalid('service tokens must be signed by the service’s own key');
        }
      }
      if (role === 'hospital' && (!hospital || !jti)) throw tokenInvalid('a hospital token needs the hospital and jti claims');
      if (act && role !== 'service') throw tokenInvalid('only service tokens may carry act');
      return {
        subject: sub,
        role,
        ...(hospital ? { hospital } : {}),
        ...(act ? { actor: { subject: act.sub, role: act.role } } : {}),
        ...(jti ? { tokenId: jti } : {}),
        ...(exp ? { expiresAt: exp } : {}),
      };
    },
  };
}

/** Claims of a token to sign (staff, hospital, or a service acting for a person). */
export interface TokenClaims {
  subject: string;
  role: Role;
  hospital?: string;
  actor?: { subject: string; role: Role };
}

/** Signs a token with `jwk` (its kid in the header). Use a signer below; this checks nothing. */
export async function signToken(jwk: JWK, issuer: string, c: TokenClaims, ttlSeconds: number): Promise<string> {
  const body: Record<string, unknown> = { role: c.role };
  if (c.hospital) body.hospital = c.hospital;
  if (c.actor) body.act = { sub: c.actor.subject, role: c.actor.role };
  return new SignJWT(body)
    .setProtectedHeader({ alg: 'EdDSA', kid: jwk.kid ?? '' })
    .setIssuer(issuer)
    .setSubject(c.subject)
    .setJti(randomUUID())
    .setIssuedAt()
    .setExpirationTime(`${ttlSeconds}s`)
    .sign(await importJWK(jwk, 'EdDSA'));
}

/**
 * Signs tokens as the staff / hospital issuer. Only the development issuer (npm run token, tests)
 * uses this; in production the bureau's identity provider signs these tokens and no service holds
 * its key.
 */
export function issuerSigner(jwk: JWK, issuer: string) {
  return { sign: (c: TokenClaims, ttlSeconds = 3600) => signToken(jwk, issuer, c, ttlSeconds) };
}

/** The tokens one service sends: always `sub` = itself, `role` = service. */
export interface ServiceSigner {
  readonly service: string;
  /** A cached token (refreshed before it expires), optionally acting for a person. */
  token(actor?: { subject: string; role: Role }): Promise<string>;
}

const SERVICE_TTL_S = 3600;

/**
 * A service's own signer, with its private key (kid `service:<name>`). It cannot sign for another
 * service, for a person, or act for an approver: approvals travel with the approver's own token.
 */
export function serviceSigner(service: string, jwk: JWK): ServiceSigner {
  const kid = `${SERVICE_KID}${service}`;
  if (jwk.kid !== kid) throw new Error(`the signing key of ${service} must have kid ${kid}, not ${jwk.kid}`);
  const cache = new Map<string, { value: string; until: number }>();
  return {
    service,
    async token(actor) {
      if (actor?.role === 'approver' || actor?.role === 'service') throw permissionDenied('APPROVAL_NOT_DELEGABLE', `a service may not act for an ${actor.role}`);
      const key = actor ? `${actor.role}:${actor.subject}` : '';
      const hit = cache.get(key);
      if (hit && hit.until > Date.now()) return hit.value;
      const value = await signToken(jwk, kid, { subject: service, role: 'service', ...(actor ? { actor } : {}) }, SERVICE_TTL_S);
      cache.set(key, { value, until: Date.now() + (SERVICE_TTL_S / 2) * 1000 });
      return value;
    },
  };
}

/**
 * Who may call an RPC: a list of roles. A `service` caller acting for a person is checked as that
 * person; a `service` caller without `act` passes only where `service` is listed.
 */
export type Policy = readonly Role[];

/** A service allowed to act (`act`) for a person holding one of `as` on an RPC. */
export interface Delegation {
  service: string;
  as: readonly Role[];
}

/**
 * Checks the caller against the RPC's roles. A delegated call (`act`) must be listed in
 * `delegations` (calling service and acting role); acting for an approver is refused everywhere.
 */
export function authorize(caller: Caller, policy: Policy, rpc: string, delegations: readonly Delegation[] = []): void {
  if (caller.actor) {
    if (caller.actor.role === 'approver') throw permissionDenied('APPROVAL_NOT_DELEGABLE', 'approvals are never delegated: an approver calls with their own token');
    const role = caller.actor.role;
    if (!delegations.some((d) => d.service === caller.subject && d.as.includes(role))) {
      throw permissionDenied('DELEGATION_NOT_ALLOWED', `${caller.subject} may not act for a ${role} on ${rpc}`);
    }
  }
  const who = effective(caller);
  if (!policy.includes(who.role)) {
    throw permissionDenied('ROLE_NOT_ALLOWED', `role ${who.role} may not call ${rpc}`);
  }
}

/** Default policies of architecture.md, to compose per RPC. */
export const policies = {
  read: [...STAFF, 'service'] as Policy,
  propose: ['clerk'] as Policy,
  decide: ['approver'] as Policy,
  hospital: ['hospital'] as Policy,
} as const;

/** Maker–checker: the decider must not be the proposer. */
export function assertNotOwnProposal(caller: Caller, proposedBy: string): void {
  if (effective(caller).subject === proposedBy) {
    throw permissionDenied('OWN_PROPOSAL', 'an approver may not decide on their own proposal');
  }
}

/** Full national ID numbers are shown only to these roles. */
export function mayReadFullId(caller: Caller): boolean {
  const r = effective(caller).role;
  return r === 'auditor' || r === 'approver';
}
