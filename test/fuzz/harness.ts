/**
 * The fuzz harness: starts the real services on a fresh database, signs the tokens, finds which
 * roles each RPC accepts, gives the services a little state to be fuzzed against, and runs one
 * generated case at a time, checking the properties of test/fuzz/rpcs.test.ts:
 *   1. the status is never INTERNAL or UNKNOWN (nor a hang);
 *   2. every non-OK status carries `grpc-status-details-bin` with an ErrorInfo reason, and
 *      INVALID_ARGUMENT also a BadRequest field path;
 *   3. no table of the service's schema changed.
 */
import { fromBinary, toJson, type DescMethod, type DescService } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { SignJWT } from 'jose';
import fs from 'node:fs';
import type { Pool } from '../../services/lib/db';
import { signToken } from '../../services/lib/auth';
import { DEV_ISSUER, DEV_ISSUER_KID, devPrivateKey } from '../../services/lib/keys';
import { devToken } from '../../services/lib/dev-issuer';
import { startService, type RunningService, type ServiceModule } from '../../services/lib/runtime';
import { personsModule } from '../../services/persons/index';
import { settlementModule } from '../../services/settlement/index';
import { adjustmentModule } from '../../services/adjustment/index';
import { standardsModule } from '../../services/standards/index';
import { freshDatabase, serviceEnv, token, topicPrefix } from '../support/env';
import { encodeMessages, freeze, remember, tailBytes, type Case, type Corpus, type TokenChoice } from './generate';
import { callRaw, rawClient, reflectedServices, rpcPath, serverDecoders, servicesOfModule, type Answer } from './proto';
import { FIXTURES } from './fixtures';

// ---- the stack ------------------------------------------------------------------------------

/**
 * The services under test, in dependency order, each with the environment it needs from those
 * started before it. A new service is one line here; its RPCs are found in the image.
 */
const MODULES: {
  module: ServiceModule<any>;
  env?: (started: Map<string, RunningService>) => Record<string, string>;
  /** True when its consumers have applied every event the others published (so nothing changes on its own). */
  caughtUp?: (self: RunningService, started: Map<string, RunningService>) => Promise<boolean>;
}[] = [
  { module: standardsModule },
  {
    module: personsModule,
    env: (s) => ({ YOUFU_STANDARDS_ADDR: `127.0.0.1:${s.get('standards')!.grpcPort}` }),
    caughtUp: async (self, s) => {
      const count = async (pool: Pool, sql: string) => Number((await pool.query<{ n: string }>(sql)).rows[0]!.n);
      return (await count(self.pool, 'SELECT count(*) AS n FROM processed_events')) >= (await count(s.get('standards')!.pool, 'SELECT count(*) AS n FROM outbox'));
    },
  },
  { module: settlementModule, env: (s) => ({ YOUFU_PERSONS_ADDR: `127.0.0.1:${s.get('persons')!.grpcPort}`, YOUFU_STATEMENT_CRON: '' }) },
  {
    module: adjustmentModule,
    env: (s) => ({ YOUFU_STANDARDS_ADDR: `127.0.0.1:${s.get('standards')!.grpcPort}`, YOUFU_PERSONS_ADDR: `127.0.0.1:${s.get('persons')!.grpcPort}`, YOUFU_ADJUSTMENT_DUE_CRON: '' }),
  },
];

export interface FuzzedService {
  name: string;
  running: RunningService;
  client: grpc.Client;
  /** Its gRPC services, from the image (package `youfu.<name>.*`). */
  services: DescService[];
  /** What its server lists by reflection (to check against `services`). */
  reflected: string[];
}

export interface Stack {
  services: FuzzedService[];
  stop(): Promise<void>;
}

export async function startStack(label = 'fuzz'): Promise<Stack> {
  const db = await freshDatabase(label);
  const prefix = topicPrefix(label);
  const started = new Map<string, RunningService>();
  const out: FuzzedService[] = [];
  const stop = async () => {
    for (const s of [...out].reverse()) {
      s.client.close();
      await s.running.stop();
    }
    await db.drop();
  };
  try {
    for (const { module, env } of MODULES) {
      const running = await startService(module, {
        env: serviceEnv(db.adminUrl, prefix, { YOUFU_LOG_LEVEL: process.env.YOUFU_LOG_LEVEL ?? 'error', ...(env?.(started) ?? {}) }),
      });
      started.set(module.name, running);
      const client = rawClient(`127.0.0.1:${running.grpcPort}`);
      out.push({ name: module.name, running, client, services: servicesOfModule(module.name), reflected: await reflectedServices(client) });
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { services: out, stop };
}

/** Names of the services under test, in start order. */
export const MODULE_NAMES = MODULES.map((m) => m.module.name);

export const methodsOf = (s: FuzzedService): DescMethod[] => s.services.flatMap((d) => d.methods);

// ---- tokens ---------------------------------------------------------------------------------

/** `authorization` values by label (undefined: no header at all). */
export type Tokens = Map<string, string | undefined>;

/** Tokens a role might be allowed with; which ones an RPC accepts is found by `tokenChoice`. */
const CANDIDATES: Record<string, () => Promise<string>> = {
  'clerk li': () => token('clerk', 'li'),
  'clerk zhao': () => token('clerk', 'zhao'),
  'approver wang': () => token('approver', 'wang'),
  'approver chen': () => token('approver', 'chen'),
  'auditor sun': () => token('auditor', 'sun'),
  'service adjustment': () => token('service', 'adjustment'),
  'service settlement': () => token('service', 'settlement'),
  'hospital H001': () => token('hospital', 'his-h001', { hospital: 'H001' }),
  'adjustment acting for clerk li': () => token('service', 'adjustment', { actor: { subject: 'li', role: 'clerk' } }),
  'resettlement acting for clerk li': () => token('service', 'resettlement', { actor: { subject: 'li', role: 'clerk' } }),
  'settlement acting for auditor sun': () => token('service', 'settlement', { actor: { subject: 'sun', role: 'auditor' } }),
};

/** Tokens every RPC must refuse. */
const REFUSED: Record<string, () => Promise<string | undefined>> = {
  'no token': async () => undefined,
  'empty bearer': async () => 'Bearer ',
  'garbage bearer': async () => 'Bearer not.a.jwt',
  'basic auth': async () => 'Basic dXNlcjpwYXNz',
  'expired clerk': async () => `Bearer ${await devToken({ subject: 'li', role: 'clerk' }, -120)}`,
  'expired approver': async () => `Bearer ${await devToken({ subject: 'wang', role: 'approver' }, -120)}`,
  'tampered clerk': async () => {
    const t = await token('clerk', 'li');
    return `Bearer ${t.slice(0, -3)}${t.endsWith('AAA') ? 'BBB' : 'AAA'}`;
  },
  'alg none': async () => {
    const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    return `Bearer ${part({ alg: 'none' })}.${part({ iss: DEV_ISSUER, sub: 'li', role: 'approver', exp: 4102444800 })}.`;
  },
  'hs256 unknown secret': async () =>
    `Bearer ${await new SignJWT({ role: 'approver' }).setProtectedHeader({ alg: 'HS256' }).setIssuer('youfu').setSubject('wang').setExpirationTime('1h').sign(new TextEncoder().encode('not-the-secret-not-the-secret-123'))}`,
  'adjustment acting for approver wang': async () => `Bearer ${await token('service', 'adjustment', { actor: { subject: 'wang', role: 'approver' } })}`,
  'service token from the staff issuer': async () => `Bearer ${await signToken(await devPrivateKey(DEV_ISSUER_KID), DEV_ISSUER, { subject: 'persons', role: 'service' }, 600)}`,
  'adjustment key claiming persons': async () =>
    `Bearer ${await signToken(await devPrivateKey('service:adjustment'), 'service:adjustment', { subject: 'persons', role: 'service' }, 600)}`,
  'staff token with act': async () => `Bearer ${await signToken(await devPrivateKey(DEV_ISSUER_KID), DEV_ISSUER, { subject: 'li', role: 'clerk', actor: { subject: 'wang', role: 'approver' } }, 600)}`,
};

export async function signTokens(): Promise<Tokens> {
  const out: Tokens = new Map();
  for (const [label, make] of Object.entries(CANDIDATES)) out.set(label, `Bearer ${await make()}`);
  for (const [label, make] of Object.entries(REFUSED)) out.set(label, await make());
  return out;
}

/** A body no request message decodes from (field 1 with wire type 7). */
const PROBE_BODY = Buffer.from([0x0f]);

/**
 * Which tokens an RPC accepts, found by calling it with each candidate and an undecodable body:
 * authentication and the role check come first, so a refused role answers PERMISSION_DENIED and an
 * accepted one reaches the request (and is refused there). Nothing is written.
 */
export async function tokenChoice(client: grpc.Client, method: DescMethod, tokens: Tokens): Promise<TokenChoice> {
  const allowed: string[] = [];
  const refused: string[] = Object.keys(REFUSED);
  for (const label of Object.keys(CANDIDATES)) {
    const a = await callRaw(client, method, [PROBE_BODY], metadataOf(tokens.get(label), 'fuzz-probe'));
    (a.code === grpc.status.PERMISSION_DENIED || a.code === grpc.status.UNAUTHENTICATED ? refused : allowed).push(label);
  }
  return { allowed, refused };
}

function metadataOf(authorization: string | undefined, requestId: string): grpc.Metadata {
  const md = new grpc.Metadata();
  if (authorization !== undefined) md.set('authorization', authorization);
  md.set('x-request-id', requestId);
  return md;
}

// ---- state to fuzz against, and the corpus harvested from it --------------------------------

/** Runs each service's fixture (some real state: drafts, persons, a pending change), tolerating failures. */
export async function prepare(stack: Stack, tokens: Tokens): Promise<Corpus> {
  const corpus: Corpus = { strings: new Map(), numbers: new Map() };
  const addresses = Object.fromEntries(stack.services.map((s) => [s.name, `127.0.0.1:${s.running.grpcPort}`]));
  for (const s of stack.services) {
    const fixture = FIXTURES[s.name];
    if (!fixture) continue;
    try {
      await fixture({ address: addresses[s.name]!, addresses, token: (label) => tokens.get(label)!.slice('Bearer '.length), remember: (k, v) => remember(corpus, k, v) });
    } catch (err) {
      console.warn(`fuzz: the ${s.name} fixture failed (fuzzing on with less state): ${String(err)}`);
    }
  }
  for (const s of stack.services) await harvest(s, corpus);
  return freeze(corpus);
}

/** Every short value in the service's tables, by column name (ids, codes, revisions, dates). */
async function harvest(s: FuzzedService, corpus: Corpus): Promise<void> {
  for (const t of await tablesOf(s.running.pool, s.name)) {
    const { rows } = await s.running.pool.query(`SELECT * FROM ${t.ident} LIMIT 100`);
    for (const row of rows as Record<string, unknown>[]) for (const [k, v] of Object.entries(row)) remember(corpus, k, v);
  }
}

// ---- fingerprints ---------------------------------------------------------------------------

/** Columns the outbox relay updates on its own; a request only ever inserts outbox rows. */
const RELAY_COLUMNS = new Set(['published_at', 'attempts', 'next_attempt_at', 'last_error']);

interface Table {
  name: string;
  ident: string;
  columns: string[];
}

async function tablesOf(pool: Pool, schema: string): Promise<Table[]> {
  const { rows } = await pool.query<{ name: string; columns: string[] }>(
    `SELECT c.relname AS name, array_agg(a.attname::text ORDER BY a.attnum) AS columns
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND has_table_privilege(c.oid, 'SELECT')
      GROUP BY c.relname ORDER BY c.relname`,
    [schema],
  );
  const q = (id: string) => `"${id.replace(/"/g, '""')}"`;
  return rows.map((r) => ({
    name: r.name,
    ident: `${q(schema)}.${q(r.name)}`,
    columns: r.name === 'outbox' ? r.columns.filter((c) => !RELAY_COLUMNS.has(c)) : r.columns,
  }));
}

/** Per table of the service's schema: row count and an md5 of all rows. */
export type Fingerprint = Map<string, string>;

export class Fingerprinter {
  private constructor(
    private readonly pool: Pool,
    private readonly sql: string,
  ) {}

  static async of(s: FuzzedService): Promise<Fingerprinter> {
    const tables = await tablesOf(s.running.pool, s.name);
    const sql = tables
      .map((t) => {
        const row = `row(${t.columns.map((c) => `x."${c.replace(/"/g, '""')}"`).join(', ')})::text`;
        return `SELECT '${t.name}' AS t, count(*)::text || ':' || md5(coalesce(string_agg(${row}, ',' ORDER BY ${row}), '')) AS h FROM ${t.ident} x`;
      })
      .join(' UNION ALL ');
    return new Fingerprinter(s.running.pool, sql);
  }

  async take(): Promise<Fingerprint> {
    const { rows } = await this.pool.query<{ t: string; h: string }>(this.sql);
    return new Map(rows.map((r) => [r.t, r.h]));
  }
}

/** Tables whose fingerprint differs, as `table (count before → after)`. */
export function changedTables(before: Fingerprint, after: Fingerprint): string[] {
  const out: string[] = [];
  for (const [t, h] of after) {
    const b = before.get(t);
    if (b !== h) out.push(`${t} (rows ${b?.split(':')[0] ?? '?'} → ${h.split(':')[0]})`);
  }
  return out;
}

/**
 * Waits until nothing moves on its own: every outbox row published, each consumer caught up (its
 * `caughtUp` in MODULES), and the fingerprints equal over three polls.
 */
export async function settle(stack: Stack, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  const byName = new Map(stack.services.map((s) => [s.name, s.running]));
  const busy = async () => {
    for (const s of stack.services) {
      const r = await s.running.pool.query<{ open: string }>(`SELECT count(*) FILTER (WHERE published_at IS NULL) AS open FROM "${s.name}".outbox`);
      if (Number(r.rows[0]!.open) > 0) return true;
      const caughtUp = MODULES.find((m) => m.module.name === s.name)?.caughtUp;
      if (caughtUp && !(await caughtUp(s.running, byName))) return true;
    }
    return false;
  };
  const prints = await Promise.all(stack.services.map((s) => Fingerprinter.of(s)));
  let last = '';
  let same = 0;
  while (Date.now() < until) {
    const now = JSON.stringify(await Promise.all(prints.map(async (p) => [...(await p.take())])));
    same = !(await busy()) && now === last ? same + 1 : 0;
    if (same >= 2) return;
    last = now;
    await new Promise((r) => setTimeout(r, 300));
  }
  console.warn('fuzz: the services did not settle; a background change may show up as a changed table');
}

// ---- server logs ------------------------------------------------------------------------------

/**
 * Keeps the services' error log lines (pino JSON on stdout) by request id, so a failure can show
 * the `unhandled error` line with its cause. Lines of fuzz requests are kept, not echoed.
 */
export class LogTap {
  private readonly lines = new Map<string, string[]>();
  private readonly original = { write: fs.write, writeSync: fs.writeSync };

  install(): this {
    const keep = (fd: number, data: unknown): boolean => {
      if (fd !== 1 || !(typeof data === 'string' || Buffer.isBuffer(data))) return false;
      let kept = false;
      for (const line of data.toString().split('\n')) {
        if (!line.includes('"requestId":"fuzz-')) continue;
        try {
          const j = JSON.parse(line) as { requestId?: string; level?: number };
          if (j.requestId && (j.level ?? 0) >= 40) {
            this.lines.set(j.requestId, [...(this.lines.get(j.requestId) ?? []), line]);
            kept = true;
          }
        } catch {
          /* not a complete JSON line */
        }
      }
      return kept;
    };
    const { write, writeSync } = this.original;
    const mutableFs = fs as unknown as Record<'write' | 'writeSync', (...args: unknown[]) => unknown>;
    mutableFs.writeSync = (...args: unknown[]) => {
      const [fd, data] = args as [number, unknown];
      if (keep(fd, data)) return Buffer.byteLength(String(data));
      return (writeSync as (...a: unknown[]) => unknown)(...args);
    };
    mutableFs.write = (...args: unknown[]) => {
      const [fd, data] = args as [number, unknown];
      if (keep(fd, data)) {
        const cb = args.at(-1);
        if (typeof cb === 'function') process.nextTick(() => (cb as (e: null, n: number) => void)(null, Buffer.byteLength(String(data))));
        return undefined;
      }
      return (write as (...a: unknown[]) => unknown)(...args);
    };
    return this;
  }

  uninstall(): void {
    Object.assign(fs, this.original);
  }

  /** The error lines logged for a request (waits a moment: pino writes asynchronously). */
  async linesOf(requestId: string): Promise<string[]> {
    for (let i = 0; i < 10 && !this.lines.has(requestId); i++) await new Promise((r) => setTimeout(r, 10));
    return this.lines.get(requestId) ?? [];
  }
}

// ---- running cases ----------------------------------------------------------------------------

export interface Outcome {
  requestId: string;
  answer: Answer;
  /** The properties the call broke (empty: it passed). */
  problems: string[];
  /** The bytes sent, message by message. */
  bodies: Buffer[];
  /** For a malformed case: how the bytes were spoiled. */
  spoiled?: string;
  logs: string[];
}

export interface FuzzerOptions {
  /** Fingerprint after every call (test) or after every n-th one and after every suspicious one (bench). */
  fingerprintEvery: number;
  /** Deadline of each call (default 5 s; every generated request is answered in milliseconds when all is well). */
  timeoutMs?: number;
}

/** Runs cases against one service and checks the three properties. */
export class Fuzzer {
  private seq = 0;
  private since = 0;
  private baseline: Fingerprint | undefined;
  /** Cases since the last fingerprint (to name the suspects of a sampled change). */
  private window: { requestId: string; c: Case; bodies: Buffer[] }[] = [];

  /** Its own channel: a call that never completes can wedge a connection, and is then replaced. */
  private client: grpc.Client;

  private constructor(
    readonly service: FuzzedService,
    private readonly tokens: Tokens,
    private readonly prints: Fingerprinter,
    private readonly decoders: Map<string, (b: Buffer) => unknown>,
    private readonly logs: LogTap,
    private readonly o: FuzzerOptions,
  ) {
    this.client = rawClient(`127.0.0.1:${service.running.grpcPort}`);
  }

  close(): void {
    this.client.close();
  }

  static async of(service: FuzzedService, tokens: Tokens, logs: LogTap, o: FuzzerOptions): Promise<Fuzzer> {
    const f = new Fuzzer(service, tokens, await Fingerprinter.of(service), await serverDecoders(), logs, o);
    f.baseline = await f.prints.take();
    return f;
  }

  /** The bytes of a case; a malformed one is checked against the server's decoder (falling back to a certainly undecodable ending). */
  encode(c: Case): { bodies: Buffer[]; spoiled?: string } {
    const bodies = encodeMessages(c);
    if (!c.raw) return { bodies };
    const r = c.raw;
    const whole = bodies[r.index]!;
    const prefix = r.prefix === 'whole' ? whole : r.prefix === 'cut' ? whole.subarray(0, whole.length ? r.cut % whole.length : 0) : r.prefix === 'random' ? Buffer.from(r.random) : Buffer.alloc(0);
    const decode = this.decoders.get(rpcPath(c.method));
    const undecodable = (b: Buffer) => {
      if (!decode) return true;
      try {
        decode(b);
        return false;
      } catch {
        return true;
      }
    };
    let spoiled = Buffer.concat([prefix, tailBytes(r)]);
    let how = `${r.prefix === 'cut' ? `cut to ${prefix.length} of ${whole.length} bytes` : r.prefix === 'random' ? `${prefix.length} random bytes` : `${r.prefix} message`}${r.tail === 'none' ? '' : ` + ${r.tail} (field ${r.field})`}`;
    if (!undecodable(spoiled)) {
      spoiled = Buffer.concat([whole, tailBytes({ tail: 'wire-type-7', field: r.field, length: 0 })]);
      how = `whole message + wire-type-7 (field ${r.field})`;
    }
    bodies[r.index] = spoiled;
    return { bodies, spoiled: `message ${r.index}: ${how}` };
  }

  async run(c: Case): Promise<Outcome> {
    const requestId = `fuzz-${this.service.name}-${++this.seq}`;
    const { bodies, spoiled } = this.encode(c);
    const answer = await callRaw(this.client, c.method, bodies, metadataOf(this.tokens.get(c.token), requestId), this.o.timeoutMs ?? 5_000);
    const problems: string[] = [];
    const code = grpc.status[answer.code] ?? String(answer.code);
    if (answer.code === grpc.status.INTERNAL || answer.code === grpc.status.UNKNOWN) problems.push(`status ${code}`);
    else if (answer.code === grpc.status.DEADLINE_EXCEEDED && !answer.hasDetails) {
      problems.push(`no answer within ${(this.o.timeoutMs ?? 5_000) / 1000} s`);
      // Later calls on the same connection may hang too: go on with a fresh channel.
      this.client.close();
      this.client = rawClient(`127.0.0.1:${this.service.running.grpcPort}`);
    }
    else if (answer.code !== grpc.status.OK) {
      if (!answer.reason) problems.push(`${code} without an ErrorInfo reason`);
      if (answer.code === grpc.status.INVALID_ARGUMENT && !answer.fields.some((f) => f.length > 0)) problems.push('INVALID_ARGUMENT without a BadRequest field path');
    }
    this.window.push({ requestId, c, bodies });
    const suspicious = problems.length > 0 || answer.code === grpc.status.OK;
    if (suspicious || ++this.since >= this.o.fingerprintEvery) {
      this.since = 0;
      const now = await this.prints.take();
      const changed = changedTables(this.baseline!, now);
      if (changed.length) {
        const suspects = this.window.length > 1 ? ` (one of the last ${this.window.length} calls: ${this.window.map((w) => w.requestId).join(', ')})` : '';
        problems.push(`tables changed: ${changed.join(', ')}${suspects}`);
        this.baseline = now;
      }
      this.window = [];
    }
    // The boundary logs `unhandled error` (with the cause) for what it answers INTERNAL.
    const logs = answer.code === grpc.status.INTERNAL || answer.code === grpc.status.UNKNOWN ? await this.logs.linesOf(requestId) : [];
    return { requestId, answer, problems, bodies, spoiled, logs };
  }
}

// ---- reports ----------------------------------------------------------------------------------

interface Group {
  rpc: string;
  problem: string;
  count: number;
  /** The smallest failing call of the group (by bytes sent). */
  example: { c: Case; o: Outcome; size: number };
}

/** The cause an `unhandled error` line names, with numbers and ids blanked (so one cause is one group). */
function causeOf(logs: string[]): string {
  for (const l of logs) {
    try {
      const j = JSON.parse(l) as { err?: { message?: string; type?: string; code?: string } };
      if (j.err?.message) return `${j.err.type ?? 'Error'}${j.err.code ? ` ${j.err.code}` : ''}: ${j.err.message.split('\n')[0]!.replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, '<uuid>').replace(/\b\d{3,}\b/g, 'N').slice(0, 160)}`;
    } catch {
      /* not JSON */
    }
  }
  return '';
}

/** Status counts per service and the failures, grouped by RPC and broken property (and the logged cause). */
export class Report {
  readonly codes = new Map<string, Map<string, number>>();
  /** Status codes per RPC. */
  readonly perRpc = new Map<string, Map<string, number>>();
  /** Time spent in calls per service, ms. */
  readonly busyMs = new Map<string, number>();
  readonly groups = new Map<string, Group>();
  calls = 0;
  internal = 0;
  failed = 0;
  /** Field-poisoned cases, and those refused naming the poisoned field alone (all else was valid: the case reached its target). */
  poisoned = 0;
  onTarget = 0;

  add(service: string, c: Case, o: Outcome): void {
    this.calls++;
    const code = grpc.status[o.answer.code] ?? String(o.answer.code);
    const counts = this.codes.get(service) ?? new Map<string, number>();
    counts.set(code, (counts.get(code) ?? 0) + 1);
    this.codes.set(service, counts);
    const rpc = this.perRpc.get(rpcPath(c.method)) ?? new Map<string, number>();
    rpc.set(code, (rpc.get(code) ?? 0) + 1);
    this.perRpc.set(rpcPath(c.method), rpc);
    this.busyMs.set(service, (this.busyMs.get(service) ?? 0) + o.answer.ms);
    if (o.answer.code === grpc.status.INTERNAL) this.internal++;
    if (c.poisonPath) {
      this.poisoned++;
      const norm = (f: string) => f.replace(/\[\d+\]/g, '').replace(/_([a-z])/g, (_m, x: string) => x.toUpperCase());
      const target = norm(c.poisonPath);
      if (o.answer.code !== grpc.status.INVALID_ARGUMENT || (o.answer.fields.length > 0 && o.answer.fields.every((f) => norm(f) === target))) this.onTarget++;
    }
    if (!o.problems.length) return;
    this.failed++;
    const size = o.bodies.reduce((n, b) => n + b.length, 0);
    for (const p of o.problems) {
      const problem = p.startsWith('tables changed') ? p.replace(/ \(one of the last.*$/, '') : `${p}${o.answer.reason ? ` [${o.answer.reason}]` : ''}`;
      const cause = causeOf(o.logs);
      const key = `${rpcPath(c.method)} | ${problem.replace(/\(rows .*?\)/g, '')} | ${cause}`;
      const g = this.groups.get(key);
      if (!g) this.groups.set(key, { rpc: rpcPath(c.method), problem: cause ? `${problem} — ${cause}` : problem, count: 1, example: { c, o, size } });
      else {
        g.count++;
        if (size < g.example.size) g.example = { c, o, size };
      }
    }
  }

  /** Status codes per service, e.g. `standards: INVALID_ARGUMENT 4100, NOT_FOUND 300, …`. */
  formatCodes(): string {
    return [...this.codes]
      .map(([svc, m]) => `${svc}: ${[...m].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`).join(', ')} (total ${[...m.values()].reduce((a, b) => a + b, 0)})`)
      .join('\n');
  }

  /** Status codes per RPC, one line each. */
  formatRpcs(): string {
    return [...this.perRpc]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([rpc, m]) => `  ${rpc.slice(rpc.lastIndexOf('.') + 1)}: ${[...m].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`).join(', ')}`)
      .join('\n');
  }

  formatFailures(): string {
    return [...this.groups.values()]
      .sort((a, b) => a.rpc.localeCompare(b.rpc) || b.count - a.count)
      .map((g) => `${g.count}× ${g.problem}\n${describeOutcome(g.example.c, g.example.o)}`)
      .join('\n\n');
  }
}

// ---- printing ---------------------------------------------------------------------------------

/** JSON with long strings and lists shortened. */
function short(v: unknown): unknown {
  if (typeof v === 'string') return v.length > 120 ? `${v.slice(0, 60)}…(${v.length} chars)` : v;
  if (Array.isArray(v)) return v.length > 6 ? [...v.slice(0, 2).map(short), `…(${v.length} items)`] : v.map(short);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, short(x)]));
  return v;
}

/** The request messages as JSON (proto3 JSON mapping), shortened. */
export function requestJson(c: Case, bodies: Buffer[]): string {
  const msgs = bodies.map((b, i) => {
    if (c.raw && i === c.raw.index) return { hex: b.subarray(0, 120).toString('hex') + (b.length > 120 ? `…(${b.length} bytes)` : '') };
    try {
      return short(toJson(c.method.input, fromBinary(c.method.input, b), { alwaysEmitImplicit: false }));
    } catch {
      return { hex: b.subarray(0, 120).toString('hex') };
    }
  });
  // Escape what a terminal would not show (DEL, C1 controls, bidi and zero-width marks).
  return JSON.stringify(msgs.length === 1 ? msgs[0] : msgs).replace(/[\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function describeOutcome(c: Case, o: Outcome): string {
  const a = o.answer;
  return [
    `${rpcPath(c.method)} [${o.requestId}]`,
    `  broke:    ${o.problems.join('; ')}`,
    `  invalid:  ${c.poison}${o.spoiled ? ` (${o.spoiled})` : ''}`,
    `  token:    ${c.token}`,
    `  request:  ${requestJson(c, o.bodies)}`,
    `  answer:   ${grpc.status[a.code]} ${JSON.stringify(a.message.slice(0, 300))} reason=${a.reason ?? '-'} fields=${JSON.stringify(a.fields)}`,
    ...o.logs.map((l) => `  log:      ${l.slice(0, 1500)}`),
  ].join('\n');
}
