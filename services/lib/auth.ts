import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import { z } from 'zod';
import { permissionDenied, unauthenticated } from './errors';

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
}

/** The identity rules apply to: the acting person of a delegated service call, else the caller. */
export function effective(c: Caller): { subject: string; role: Role } {
  return c.actor ?? { subject: c.subject, role: c.role };
}

const ISSUER = 'youfu';
const claims = z.object({
  sub: z.string().min(1),
  role: z.enum(ROLES),
  hospital: z.string().regex(/^[A-Za-z0-9]{1,32}$/).optional(),
  act: z.object({ sub: z.string().min(1), role: z.enum(ROLES) }).optional(),
});

export interface Authenticator {
  verify(token: string): Promise<Caller>;
  mint(c: Caller, ttlSeconds?: number): Promise<string>;
}

/** HS256 bearer tokens, issuer `youfu`. */
export function createAuthenticator(secret: string): Authenticator {
  const key = new TextEncoder().encode(secret);
  return {
    async verify(token) {
      let payload: unknown;
      try {
        ({ payload } = await jwtVerify(token, key, { issuer: ISSUER, algorithms: ['HS256'] }));
      } catch (err) {
        const why = err instanceof joseErrors.JWTExpired ? 'token expired' : 'invalid token';
        throw unauthenticated(why);
      }
      const parsed = claims.safeParse(payload);
      if (!parsed.success) throw unauthenticated('token claims are invalid');
      const { sub, role, hospital, act } = parsed.data;
      if (role === 'hospital' && !hospital) throw unauthenticated('hospital token without hospital code');
      if (act && role !== 'service') throw unauthenticated('only service tokens may carry act');
      return {
        subject: sub,
        role,
        ...(hospital ? { hospital } : {}),
        ...(act ? { actor: { subject: act.sub, role: act.role } } : {}),
      };
    },
    async mint(c, ttlSeconds = 3600) {
      const body: Record<string, unknown> = { role: c.role };
      if (c.hospital) body.hospital = c.hospital;
      if (c.actor) body.act = { sub: c.actor.subject, role: c.actor.role };
      return new SignJWT(body)
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuer(ISSUER)
        .setSubject(c.subject)
        .setIssuedAt()
        .setExpirationTime(`${ttlSeconds}s`)
        .sign(key);
    },
  };
}

/**
 * Who may call an RPC: a list of roles. A `service` caller acting for a person is checked as that
 * person; a `service` caller without `act` passes only where `service` is listed.
 */
export type Policy = readonly Role[];

export function authorize(caller: Caller, policy: Policy, rpc: string): void {
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
