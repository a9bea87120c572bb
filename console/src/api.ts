import { formatYuan, parseYuan } from '../../services/lib/money';

/**
 * The console's one way to the services: the gateway's JSON door, `POST /v1/<package>.<Service>/<Method>`
 * with the proto's canonical JSON, the signed-in person's own bearer token. Every rule stays in the
 * services: a refusal comes back as the door's error body and is shown as it is (next to the field
 * it names).
 */
export interface FieldViolation {
  field: string;
  description: string;
}

export class ApiError extends Error {
  constructor(
    readonly http: number,
    readonly status: string,
    readonly reason: string,
    message: string,
    readonly fieldViolations: FieldViolation[],
    readonly requestId: string,
  ) {
    super(message);
  }
  get unauthenticated() {
    return this.http === 401;
  }
}

export const SERVICES = {
  persons: 'youfu.persons.v1.EntitledPersonService',
  standards: 'youfu.standards.v1.SubsidyStandardService',
  adjustment: 'youfu.adjustment.v1.AnnualAdjustmentService',
  settlement: 'youfu.settlement.v1.MedicalSettlementService',
  resettlement: 'youfu.resettlement.v1.VeteranResettlementService',
} as const;

export interface Session {
  token: string;
  role: 'clerk' | 'approver' | 'auditor';
  subject: string;
  /** Epoch seconds. */
  expiresAt: number;
}

const KEY = 'youfu.session';
export const loadSession = (): Session | undefined => {
  const raw = sessionStorage.getItem(KEY);
  if (!raw) return undefined;
  const s = JSON.parse(raw) as Session;
  return s.expiresAt * 1000 > Date.now() ? s : undefined;
};
export const saveSession = (s: Session | undefined) => (s ? sessionStorage.setItem(KEY, JSON.stringify(s)) : sessionStorage.removeItem(KEY));

/** Reads a token's role, subject and expiry (the services verify it; this only shows who is signed in). */
export function sessionOf(token: string): Session {
  const part = token.split('.')[1] ?? '';
  const bytes = Uint8Array.from(atob(part.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
  const json = JSON.parse(new TextDecoder().decode(bytes)) as { sub: string; role: Session['role']; exp: number };
  return { token, role: json.role, subject: json.sub, expiresAt: json.exp };
}

/** The gateway's error body (`{ error: { status, reason, message, fieldViolations, requestId } }`) as an ApiError. */
const errorOf = (r: Response, json: any) => {
  const e = json?.error ?? {};
  return new ApiError(r.status, e.status ?? String(r.status), e.reason ?? 'HTTP_ERROR', e.message ?? r.statusText, e.fieldViolations ?? [], e.requestId ?? '');
};

/** Calls one RPC; rejects with an ApiError. */
export async function call<T = any>(service: keyof typeof SERVICES, method: string, body: unknown, session: Session | undefined): Promise<T> {
  const r = await fetch(`/v1/${SERVICES[service]}/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(session ? { authorization: `Bearer ${session.token}` } : {}) },
    body: JSON.stringify(body),
  });
  const json = (await r.json().catch(() => ({}))) as any;
  if (!r.ok) throw errorOf(r, json);
  return json as T;
}

/** The development sign-in (the gateway serves it outside production only): a staff token for a role and name. */
export async function devSignIn(role: Session['role'], subject: string): Promise<Session> {
  const r = await fetch('/console/session', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ role, subject }) });
  const json = (await r.json().catch(() => ({}))) as any;
  if (!r.ok) throw errorOf(r, json);
  return sessionOf(json.token as string);
}

const SHANGHAI = new Intl.DateTimeFormat('sv-SE', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
/** This month in Asia/Shanghai, `YYYY-MM`. */
export const shanghaiMonth = () => SHANGHAI.format(new Date()).slice(0, 7);
/** A timestamp (RFC 3339) as `YYYY-MM-DD HH:mm:ss` in Asia/Shanghai. */
export const shanghaiTime = (iso?: string) => (iso ? SHANGHAI.format(new Date(iso)) : '');

/** `{ year, month, day }` ↔ `YYYY-MM-DD` (civil dates, Asia/Shanghai: no time zone involved). */
export const civil = {
  toString: (d?: { year: number; month: number; day: number }) => (d && d.year ? `${d.year}-${String(d.month).padStart(2, '0')}-${String(d.day).padStart(2, '0')}` : ''),
  fromString: (s: string) => {
    const [year, month, day] = s.split('-').map(Number);
    return { year: year!, month: month!, day: day! };
  },
  /** `YYYY-MM-DD` as typed → the wire's date; undefined when it is not that shape (the API then refuses the field). */
  typed: (s?: string) => (s && /^\d{4}-\d{2}-\d{2}$/.test(s) ? civil.fromString(s) : undefined),
};

/** `{ year, month }` ↔ `YYYY-MM`. */
export const yearMonth = {
  toString: (m?: { year: number; month: number }) => (m && m.year ? `${m.year}-${String(m.month).padStart(2, '0')}` : ''),
  fromString: (s: string) => {
    const [year, month] = s.split('-').map(Number);
    return { year: year!, month: month! };
  },
};

/** Money on the wire (`{ fen: "123456" }`, int64 as a string) as yuan with 2 decimals: lib/money's formatYuan, exact. */
export const yuan = (m?: { fen?: string | number }) => formatYuan(BigInt(m?.fen ?? 0));
/** Yuan as typed (`3200`, `3200.5`) → the wire's `{ fen }`, exactly (lib/money's parseYuan); undefined when not yuan with ≤ 2 decimals. */
export const moneyOf = (text: string) => {
  const fen = parseYuan(text.trim());
  return fen === undefined ? undefined : { fen: fen.toString() };
};
/** A percentage as typed (`6`, `6.25`) → basis points, exactly; undefined when not a number with ≤ 2 decimals. */
export const basisPointsOf = (text: string) => {
  const bp = parseYuan(text.trim());
  return bp === undefined ? undefined : Number(bp);
};
/** Fen as a number, for a chart's bar heights only (the labels show yuan exactly). */
export const chartYuan = (m?: { fen?: string | number }) => Number(BigInt(m?.fen ?? 0)) / 100;

/** What the gateway tells the console about its deployment (GET /console/config.json). */
export interface ConsoleConfig {
  devSignIn: boolean;
  /** The bureau's OpenID Connect provider, if configured (oidc.ts). */
  oidc: { issuer: string; clientId: string; scope: string } | null;
  /** The Temporal Web UI's page of a workflow, `{workflowId}` to fill in; empty when not linked. */
  temporalWorkflowUrl: string;
}
export async function consoleConfig(): Promise<ConsoleConfig> {
  const r = await fetch('/console/config.json');
  return r.ok ? ((await r.json()) as ConsoleConfig) : { devSignIn: false, oidc: null, temporalWorkflowUrl: '' };
}

/** The largest page the services give (services/lib/paging MAX_PAGE_SIZE). */
export const LARGEST_PAGE = 500;

/** Every page of a list RPC (`page: { pageSize, pageToken }` in, `page.nextPageToken` out), for exports. */
export async function everyPage<T>(fetchPage: (pageToken: string) => Promise<{ items: T[]; next?: string }>): Promise<T[]> {
  const all: T[] = [];
  let token = '';
  do {
    const { items, next } = await fetchPage(token);
    all.push(...items);
    token = next ?? '';
  } while (token);
  return all;
}
