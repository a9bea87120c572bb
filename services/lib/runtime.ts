import type { Client } from '@temporalio/client';
import type { Kafka } from 'kafkajs';
import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { startCodecServer } from './codec-server';
import { permissionDenied } from './errors';
import { createVerifier, effective, serviceSigner, type Caller, type ServiceSigner, type Verifier } from './auth';
import { systemClock, type Clock } from './civil';
import { serviceClient, type ClientTls, type ServiceClient } from './clients';
import { ConfigError, envPort, loadConfig, secret, type PlatformConfig } from './config';
import { EventConsumer, type ConsumerSpec } from './consumer';
import { createPool, DEV_PG_PASSWORD, migrateService, pingDb, serviceUrl, type Pool } from './db';
import { startGrpcServer, type ServerTls, type ServiceBinding } from './grpc';
import { createKafka } from './kafka';
import { DEV, devPrivateKey, keyResolver, parsePrivateKey } from './keys';
import { createLogger, type Logger } from './log';
import { createMetrics, serveMetrics, type Metrics } from './metrics';
import { OutboxRelay } from './outbox';
import { DEV_PAGE_TOKEN_KEY, setPageTokenKey } from './paging';
import { AesGcmCodec, createTemporalClient, startTemporalWorker, workflowBundleFor } from './temporal';

const optionalFile = z.string().min(1).optional();

/** The development Temporal payload key (tests that read workflow results use it too). */
export const DEV_PAYLOAD_KEYS = `dev:${Buffer.alloc(32, 7).toString('base64')}`;

/** Variables of every Youfu process that signs tokens and encodes Temporal payloads (services and workers). */
export const processEnv = {
  /** Metrics (and /healthz) port; default gRPC port + 1000 for services. */
  YOUFU_METRICS_PORT: envPort.optional(),
  /** Temporal payload encryption keys, `id:base64(32 bytes)` comma-separated, current first. */
  YOUFU_PAYLOAD_KEYS: secret(DEV_PAYLOAD_KEYS),
  /**
   * This process's own Ed25519 signing key (a private JWK, JSON or a file path) with kid
   * `service:<name>`; its public half belongs in YOUFU_JWKS. `dev`: the development keyring.
   */
  YOUFU_SERVICE_KEY: secret(DEV),
  /** CA (PEM file) that signed the other services' certificates: calls onwards use TLS. */
  YOUFU_CLIENT_TLS_CA: optionalFile,
  /** Our own client certificate and key (PEM files), for services that require mTLS. */
  YOUFU_CLIENT_TLS_CERT: optionalFile,
  YOUFU_CLIENT_TLS_KEY: optionalFile,
};

/** Variables of a process with a schema of its own (services, the gateway). */
export const databaseEnv = {
  /**
   * The service's own connection URL (its role, with the password or with YOUFU_PG_PASSWORD).
   * Default: the admin URL's server and database with the service's role. Required in production.
   */
  YOUFU_PG_URL: z.string().url().optional(),
  /** Password of the service's role; the migration step sets it on the role. */
  YOUFU_PG_PASSWORD: secret(DEV_PG_PASSWORD, z.string().min(12)),
  /**
   * `true`: migrate (with YOUFU_PG_ADMIN_URL) and serve; `only`: migrate and exit (the production
   * migration job); `false`: serve without the admin URL. Default `true`, in production `false`.
   */
  YOUFU_MIGRATE: z.enum(['true', 'false', 'only']).optional(),
};

const serviceEnv = {
  ...processEnv,
  ...databaseEnv,
  /** gRPC port; 0 picks a free one. Default: the service's own port (architecture.md). */
  YOUFU_GRPC_PORT: envPort.optional(),
  /** Key of the MACs that make page tokens tamper-evident; the same for every instance of a service. */
  YOUFU_PAGE_TOKEN_KEY: secret(DEV_PAGE_TOKEN_KEY, z.string().min(32)),
  /** Task queue of the service's activities. Default: the service's name (tests give each run its own). */
  YOUFU_ACTIVITY_QUEUE: z.string().regex(/^[\w.-]{1,200}$/).optional(),
  /** How often the health service re-checks the database, ms. */
  YOUFU_HEALTH_INTERVAL_MS: z.coerce.number().int().min(50).default(1000),
  /** Server TLS: certificate chain and key (PEM files). Without them the port is plaintext. */
  YOUFU_TLS_CERT: optionalFile,
  YOUFU_TLS_KEY: optionalFile,
  /** Client CA (PEM file): with it, clients must present a certificate it signed (mTLS). */
  YOUFU_TLS_CLIENT_CA: optionalFile,
};

type ProcessConfig = PlatformConfig & z.infer<z.ZodObject<typeof processEnv>>;
export type ServiceConfig = PlatformConfig & z.infer<z.ZodObject<typeof serviceEnv>>;

/** The identity pieces of one process: the verifier of incoming tokens and its own signer. */
export interface Identity {
  verifier: Verifier;
  signer: ServiceSigner;
  /** A client of another Youfu service, signed as this process, with the configured TLS. */
  client<D>(definition: D, address: string): ServiceClient<D>;
}

/** The verifier of incoming tokens: the JWKS and issuer of config; HS256 only in development / test. */
export function verifierOf(cfg: PlatformConfig): Verifier {
  return createVerifier({
    keys: keyResolver(cfg.YOUFU_JWKS),
    issuer: cfg.YOUFU_JWT_ISSUER,
    ...(cfg.YOUFU_ENV !== 'production' && cfg.YOUFU_JWT_SECRET ? { hs256Secret: cfg.YOUFU_JWT_SECRET } : {}),
  });
}

/** Builds the verifier and this process's own signer (and clients signed by it). */
export async function identityOf(name: string, cfg: ProcessConfig): Promise<Identity> {
  const verifier = verifierOf(cfg);
  const jwk = cfg.YOUFU_SERVICE_KEY === DEV ? await devPrivateKey(`service:${name}`) : parsePrivateKey(cfg.YOUFU_SERVICE_KEY);
  const signer = serviceSigner(name, jwk);
  const tls: ClientTls | undefined = cfg.YOUFU_CLIENT_TLS_CA
    ? {
        ca: readFileSync(cfg.YOUFU_CLIENT_TLS_CA),
        ...(cfg.YOUFU_CLIENT_TLS_CERT && cfg.YOUFU_CLIENT_TLS_KEY
          ? { cert: readFileSync(cfg.YOUFU_CLIENT_TLS_CERT), key: readFileSync(cfg.YOUFU_CLIENT_TLS_KEY) }
          : {}),
      }
    : undefined;
  return { verifier, signer, client: (definition, address) => serviceClient(definition, { address, signer, ...(tls ? { tls } : {}) }) };
}

/** What a service's `build` receives: the shared runtime, already started. */
export interface ServiceDeps<C> {
  cfg: ServiceConfig & C;
  pool: Pool;
  log: Logger;
  metrics: Metrics;
  identity: Identity;
  clock: Clock;
  kafka: Kafka;
  temporal: () => Promise<Client>;
  codec: AesGcmCodec;
  /** Where this service's activities run (YOUFU_ACTIVITY_QUEUE, default its name): workflows call them there. */
  activityQueue: string;
}

/** What a service contributes to the runtime. */
export interface ServiceParts {
  bindings: ServiceBinding<any>[];
  consumers?: ConsumerSpec[];
  /** Temporal activities this service hosts on its own task queue (`activityQueue`: named after the service). */
  activities?: object;
  /**
   * Workflows this service runs itself, on the same queue, because every step is one of its own
   * activities and they run as local activities (no round trip through the server per step): the
   * path of a workflow module under workflows/. Cross-service workflows run on the workflows worker.
   */
  workflowsPath?: string;
  /** Admission hook after token verification (e.g. a hospital token's jti must be registered). */
  admit?: (caller: Caller) => Promise<void>;
  /** Maps a verified client certificate's SHA-256 fingerprint to a caller (mTLS hospitals). */
  fromCertificate?: (fingerprint256: string) => Promise<Caller | undefined>;
  /** Extra clean-up, run after the gRPC server drained and before the pool closes. */
  stop?: () => Promise<void>;
}

/** A service folder exports one of these; `startService` plugs it into the runtime. */
export interface ServiceModule<S extends z.ZodRawShape = {}> {
  /** Schema, role, task queue and CloudEvents source (`/youfu/<name>`). */
  name: string;
  defaultPort: number;
  /** Directory of the service's SQL migrations. */
  migrations?: string;
  /** Logical topics it publishes through its outbox. */
  topics?: string[];
  /** The service's own environment variables. */
  env?: S;
  /** Reference data written right after the migrations, as part of the migration step (idempotent). */
  seed?(deps: { pool: Pool; clock: Clock; log: Logger; cfg: ServiceConfig & z.infer<z.ZodObject<S>> }): Promise<void>;
  build(deps: ServiceDeps<z.infer<z.ZodObject<S>>>): Promise<ServiceParts>;
}

export interface RunningService {
  name: string;
  grpcPort: number;
  metricsPort: number;
  pool: Pool;
  relay?: OutboxRelay;
  /** YOUFU_MIGRATE=only: migrated, nothing serving. */
  migratedOnly: boolean;
  stop(): Promise<void>;
}

export interface StartOverrides {
  env?: NodeJS.ProcessEnv;
  clock?: Clock;
}

/** Stops registered parts in reverse order, logging (not throwing) failures. */
function stopper(log: Logger) {
  const stops: (() => Promise<unknown>)[] = [];
  return {
    push: (s: () => Promise<unknown>) => stops.push(s),
    async all() {
      for (const s of stops.splice(0).reverse()) await s().catch((err: unknown) => log.error({ err: String(err) }, 'stop failed'));
    },
  };
}

const readTls = (cfg: ServiceConfig): ServerTls | undefined => {
  if (!cfg.YOUFU_TLS_CERT || !cfg.YOUFU_TLS_KEY) {
    if (cfg.YOUFU_TLS_CERT || cfg.YOUFU_TLS_KEY || cfg.YOUFU_TLS_CLIENT_CA) throw new ConfigError(['YOUFU_TLS_CERT and YOUFU_TLS_KEY: set both (YOUFU_TLS_CLIENT_CA needs them too)']);
    return undefined;
  }
  return {
    cert: readFileSync(cfg.YOUFU_TLS_CERT),
    key: readFileSync(cfg.YOUFU_TLS_KEY),
    ...(cfg.YOUFU_TLS_CLIENT_CA ? { clientCa: readFileSync(cfg.YOUFU_TLS_CLIENT_CA) } : {}),
  };
};

/**
 * A process's own schema: migrated first (YOUFU_MIGRATE; by default not in production, where the
 * migration job runs with YOUFU_MIGRATE=only), then a pool as its own role.
 */
export async function openDatabase(name: string, migrations: string | undefined, cfg: PlatformConfig & z.infer<z.ZodObject<typeof databaseEnv>>, env: NodeJS.ProcessEnv) {
  const migrate = cfg.YOUFU_MIGRATE ?? (cfg.YOUFU_ENV === 'production' ? 'false' : 'true');
  if (cfg.YOUFU_ENV === 'production' && !cfg.YOUFU_PG_URL) throw new ConfigError([`YOUFU_PG_URL: required in production (the ${name} role’s own URL)`]);
  if (cfg.YOUFU_ENV === 'production' && migrate !== 'false' && !env.YOUFU_PG_ADMIN_URL) throw new ConfigError(['YOUFU_PG_ADMIN_URL: required to migrate']);
  if (migrate !== 'false') await migrateService(cfg.YOUFU_PG_ADMIN_URL, name, migrations, cfg.YOUFU_PG_PASSWORD);
  const pgUrl = serviceUrl(cfg.YOUFU_PG_URL ?? cfg.YOUFU_PG_ADMIN_URL, name, cfg.YOUFU_PG_PASSWORD, !cfg.YOUFU_PG_URL);
  return { pool: createPool(pgUrl, { schema: name, application: name }), pgUrl, migrate };
}

/**
 * Starts a service in dependency order — config, migrations, pool, Kafka relay and consumers,
 * Temporal worker, gRPC server, metrics — and returns a handle that stops it in reverse order.
 * With YOUFU_MIGRATE=only it migrates and returns a handle with nothing running.
 */
export async function startService<S extends z.ZodRawShape>(mod: ServiceModule<S>, o: StartOverrides = {}): Promise<RunningService> {
  const env = o.env ?? process.env;
  const cfg = loadConfig({ ...serviceEnv, ...(mod.env ?? {}) } as typeof serviceEnv & S, env) as unknown as ServiceConfig & z.infer<z.ZodObject<S>>;
  const log = createLogger(mod.name, cfg.YOUFU_LOG_LEVEL);
  const metrics = createMetrics(mod.name);
  const stops = stopper(log);
  try {
    const { pool, pgUrl, migrate } = await openDatabase(mod.name, mod.migrations, cfg, env);
    stops.push(() => pool.end());
    if (migrate !== 'false' && mod.seed) await mod.seed({ pool, clock: o.clock ?? systemClock, log, cfg });
    if (migrate === 'only') {
      log.info('migrated; YOUFU_MIGRATE=only, not serving');
      return { name: mod.name, grpcPort: 0, metricsPort: 0, pool, migratedOnly: true, stop: stops.all };
    }
    const tls = readTls(cfg);
    setPageTokenKey(cfg.YOUFU_PAGE_TOKEN_KEY);

    const kafka = createKafka(cfg.YOUFU_KAFKA_BROKERS, `youfu-${mod.name}`, log);
    const codec = AesGcmCodec.fromConfig(cfg.YOUFU_PAYLOAD_KEYS);
    let client: Promise<Client> | undefined;
    const temporal = () => (client ??= createTemporalClient(cfg, codec));
    stops.push(async () => client && (await client).connection.close());

    const identity = await identityOf(mod.name, cfg);
    const activityQueue = cfg.YOUFU_ACTIVITY_QUEUE ?? mod.name;
    const parts = await mod.build({ cfg, pool, log, metrics, identity, clock: o.clock ?? systemClock, kafka, temporal, codec, activityQueue });
    if (parts.stop) stops.push(parts.stop);

    let relay: OutboxRelay | undefined;
    if (mod.topics?.length) {
      relay = new OutboxRelay({ pgUrl, schema: mod.name, kafka, source: `/youfu/${mod.name}`, topicPrefix: cfg.YOUFU_TOPIC_PREFIX, topics: mod.topics, log, metrics });
      await relay.start();
      stops.push(() => relay!.stop());
    }
    for (const spec of parts.consumers ?? []) {
      const c = new EventConsumer(spec, { pool, kafka, topicPrefix: cfg.YOUFU_TOPIC_PREFIX, log, metrics });
      await c.start();
      stops.push(() => c.stop());
    }
    if (parts.activities || parts.workflowsPath) {
      // In production the bundle `npm run build:workflows` made, as the workflows worker does.
      const bundle = parts.workflowsPath && cfg.YOUFU_ENV === 'production' ? workflowBundleFor(parts.workflowsPath) : undefined;
      const worker = await startTemporalWorker(cfg, {
        taskQueue: activityQueue,
        codec,
        ...(parts.activities ? { activities: parts.activities } : {}),
        ...(bundle && existsSync(bundle) ? { workflowBundle: { codePath: bundle } } : parts.workflowsPath ? { workflowsPath: parts.workflowsPath } : {}),
      });
      stops.push(() => worker.stop());
    }

    const grpcServer = await startGrpcServer({
      host: cfg.YOUFU_GRPC_HOST,
      port: cfg.YOUFU_GRPC_PORT ?? mod.defaultPort,
      bindings: parts.bindings,
      auth: identity.verifier,
      ...(tls ? { tls } : {}),
      ...(parts.admit ? { admit: parts.admit } : {}),
      ...(parts.fromCertificate ? { fromCertificate: parts.fromCertificate } : {}),
      log,
      metrics,
      healthy: () => pingDb(pool),
      healthIntervalMs: cfg.YOUFU_HEALTH_INTERVAL_MS,
    });
    stops.push(() => grpcServer.shutdown());
    // A connection of the pool failing turns health NOT_SERVING at once.
    pool.on('error', () => void grpcServer.recheck());
    const m = await serveMetrics(metrics, cfg.YOUFU_GRPC_HOST, cfg.YOUFU_METRICS_PORT ?? (cfg.YOUFU_GRPC_PORT === 0 ? 0 : grpcServer.port + 1000), () => pingDb(pool));
    stops.push(() => m.close());
    log.info({ grpcPort: grpcServer.port, metricsPort: m.port, tls: tls ? (tls.clientCa ? 'mtls' : 'tls') : 'off' }, 'service started');
    return { name: mod.name, grpcPort: grpcServer.port, metricsPort: m.port, pool, relay, migratedOnly: false, stop: stops.all };
  } catch (err) {
    await stops.all();
    throw err;
  }
}

/** A Temporal worker process: workflows (from a file or a prebuilt bundle) and / or activities. */
export interface WorkerModule {
  /** Identity (kid `service:<name>`), logger and metrics name. */
  name: string;
  taskQueue: string;
  /** The workflows module (development; bundled at start). */
  workflowsPath?: string;
  /** A bundle made by bundleWorkflowCode; in production it is used instead of workflowsPath when the file exists. */
  workflowBundlePath?: string;
  defaultMetricsPort?: number;
  /** Activities the worker hosts, built from the runtime's pieces. */
  activities?: (deps: { cfg: ProcessConfig; log: Logger; identity: Identity; clock: Clock }) => Promise<object>;
}

export interface RunningWorker {
  name: string;
  taskQueue: string;
  metricsPort: number;
  /** How the workflows were loaded: `bundle` (prebuilt) or `source`. */
  workflows: 'bundle' | 'source' | 'none';
  stop(): Promise<void>;
}

/**
 * Starts a worker the way startService starts a service: config once, payload codec, identity,
 * metrics with /healthz (200 while the worker runs), and a stop that drains the worker and closes
 * its connection.
 */
export async function startWorker(mod: WorkerModule, o: StartOverrides = {}): Promise<RunningWorker> {
  const cfg = loadConfig(processEnv, o.env ?? process.env);
  const log = createLogger(mod.name, cfg.YOUFU_LOG_LEVEL);
  const metrics = createMetrics(mod.name);
  const stops = stopper(log);
  try {
    const codec = AesGcmCodec.fromConfig(cfg.YOUFU_PAYLOAD_KEYS);
    const identity = await identityOf(mod.name, cfg);
    const activities = mod.activities ? await mod.activities({ cfg, log, identity, clock: o.clock ?? systemClock }) : undefined;
    // Development always runs the sources, so a stale bundle never hides an edit.
    const bundle = cfg.YOUFU_ENV === 'production' && mod.workflowBundlePath && existsSync(mod.workflowBundlePath) ? mod.workflowBundlePath : undefined;
    const worker = await startTemporalWorker(cfg, {
      taskQueue: mod.taskQueue,
      codec,
      ...(activities ? { activities } : {}),
      ...(bundle ? { workflowBundle: { codePath: bundle } } : mod.workflowsPath ? { workflowsPath: mod.workflowsPath } : {}),
    });
    stops.push(() => worker.stop());
    worker.done.catch((err: unknown) => log.error({ err: String(err) }, 'worker failed'));
    const m = await serveMetrics(metrics, cfg.YOUFU_GRPC_HOST, cfg.YOUFU_METRICS_PORT ?? mod.defaultMetricsPort ?? 0, async () => worker.worker.getState() === 'RUNNING');
    stops.push(() => m.close());
    const workflows = bundle ? 'bundle' : mod.workflowsPath ? 'source' : 'none';
    log.info({ taskQueue: mod.taskQueue, workflows, metricsPort: m.port }, 'worker started');
    return { name: mod.name, taskQueue: mod.taskQueue, metricsPort: m.port, workflows, stop: stops.all };
  } catch (err) {
    await stops.all();
    throw err;
  }
}

/** Runs a started process until SIGTERM / SIGINT, then stops it gracefully. */
function runUntilSignal(start: Promise<{ stop(): Promise<void> }>): void {
  start.then(
    (running) => {
      let stopping = false;
      const onSignal = () => {
        if (stopping) return;
        stopping = true;
        running.stop().then(() => process.exit(0), () => process.exit(1));
      };
      process.on('SIGTERM', onSignal);
      process.on('SIGINT', onSignal);
    },
    (err: unknown) => {
      console.error(err instanceof ConfigError ? err.message : err);
      process.exit(1);
    },
  );
}

/** Entry point of a service process: starts it, stops gracefully on SIGTERM / SIGINT (YOUFU_MIGRATE=only: migrates and exits). */
export function runMain(mod: ServiceModule<any>): void {
  runUntilSignal(
    startService(mod).then(async (svc) => {
      if (svc.migratedOnly) {
        await svc.stop();
        process.exit(0);
      }
      return svc;
    }),
  );
}

/** Entry point of a worker process, symmetric with runMain. */
export function runWorker(mod: WorkerModule): void {
  runUntilSignal(startWorker(mod));
}

const codecEnv = {
  /** Temporal payload encryption keys (the same as the services' and workers'). */
  YOUFU_PAYLOAD_KEYS: processEnv.YOUFU_PAYLOAD_KEYS,
  /** Port of the Temporal payload codec endpoint for the Web UI (architecture.md: 8234). */
  YOUFU_CODEC_PORT: envPort.default(8234),
  /** Origins allowed to call it (the Temporal Web UI's), comma-separated. */
  YOUFU_CODEC_ORIGINS: z.string().default('http://127.0.0.1:8233,http://localhost:8233'),
  /**
   * `true`: requests without a token are decoded (the local dev UI has no login). Refused in
   * production, where the UI forwards the user's token and only auditors and approvers may decode.
   */
  YOUFU_CODEC_ALLOW_ANONYMOUS: z.enum(['true', 'false']).optional(),
};

/** Who may use the codec endpoint: a token's (acting) role must be auditor or approver; no token only when `anonymous`. */
export function codecAuthorizer(verifier: Verifier, anonymous: boolean) {
  return async (authorization: string | undefined) => {
    if (!authorization && anonymous) return;
    const caller = await verifier.verify(authorization?.replace(/^Bearer\s+/i, ''));
    const { role } = effective(caller);
    if (role !== 'auditor' && role !== 'approver') throw permissionDenied('ROLE_NOT_ALLOWED', `role ${role} may not read payloads`);
  };
}

/**
 * Starts the Temporal payload codec endpoint (Temporal's remote codec protocol) with the
 * platform's payload keys, so authorised staff read encrypted payloads in the Web UI.
 */
export async function startCodecEndpoint(o: StartOverrides = {}) {
  const cfg = loadConfig(codecEnv, o.env ?? process.env);
  const anonymous = (cfg.YOUFU_CODEC_ALLOW_ANONYMOUS ?? (cfg.YOUFU_ENV === 'development' ? 'true' : 'false')) === 'true';
  if (anonymous && cfg.YOUFU_ENV === 'production') {
    throw new ConfigError(['YOUFU_CODEC_ALLOW_ANONYMOUS: refused in production (configure the Web UI’s login so it forwards tokens)']);
  }
  const log = createLogger('codec', cfg.YOUFU_LOG_LEVEL);
  const server = await startCodecServer({
    host: cfg.YOUFU_GRPC_HOST,
    port: cfg.YOUFU_CODEC_PORT,
    codec: AesGcmCodec.fromConfig(cfg.YOUFU_PAYLOAD_KEYS),
    allowedOrigins: cfg.YOUFU_CODEC_ORIGINS.split(',').map((s) => s.trim()).filter(Boolean),
    authorize: codecAuthorizer(verifierOf(cfg), anonymous),
    log,
  });
  return { ...server, anonymous, stop: server.close };
}
