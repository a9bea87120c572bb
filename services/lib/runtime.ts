import type { Client } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import type { Kafka } from 'kafkajs';
import { z } from 'zod';
import { createAuthenticator, type Authenticator } from './auth';
import { systemClock, type Clock } from './civil';
import { ConfigError, envPort, loadConfig, secret, type PlatformConfig } from './config';
import { EventConsumer, type ConsumerSpec } from './consumer';
import { createPool, migrateService, pingDb, serviceUrl, type Pool } from './db';
import { startGrpcServer, type ServiceBinding } from './grpc';
import { createKafka } from './kafka';
import { createLogger, type Logger } from './log';
import { createMetrics, serveMetrics, type Metrics } from './metrics';
import { OutboxRelay } from './outbox';
import { AesGcmCodec, createTemporalClient, createTemporalWorker } from './temporal';


const serviceEnv = {
  /** gRPC port; 0 picks a free one. Default: the service's own port (architecture.md). */
  YOUFU_GRPC_PORT: envPort.optional(),
  /** Metrics port; default gRPC port + 1000. */
  YOUFU_METRICS_PORT: envPort.optional(),
  /** The service's own connection URL (its role). Default: the admin URL with the service's role. */
  YOUFU_PG_URL: z.string().url().optional(),
  /** Run migrations at start (default true). */
  YOUFU_MIGRATE: z.enum(['true', 'false']).default('true'),
  /** Temporal payload encryption keys, `id:base64(32 bytes)` comma-separated, current first. */
  YOUFU_PAYLOAD_KEYS: secret(`dev:${Buffer.alloc(32, 7).toString('base64')}`),
  /** How often the health service re-checks the database, ms. */
  YOUFU_HEALTH_INTERVAL_MS: z.coerce.number().int().min(50).default(5000),
};

export type ServiceConfig = PlatformConfig & {
  YOUFU_GRPC_PORT?: number;
  YOUFU_METRICS_PORT?: number;
  YOUFU_PG_URL?: string;
  YOUFU_MIGRATE: 'true' | 'false';
  YOUFU_PAYLOAD_KEYS: string;
  YOUFU_HEALTH_INTERVAL_MS: number;
};

/** What a service's `build` receives: the shared runtime, already started. */
export interface ServiceDeps<C> {
  cfg: ServiceConfig & C;
  pool: Pool;
  log: Logger;
  metrics: Metrics;
  auth: Authenticator;
  clock: Clock;
  kafka: Kafka;
  temporal: () => Promise<Client>;
  codec: AesGcmCodec;
}

/** What a service contributes to the runtime. */
export interface ServiceParts {
  bindings: ServiceBinding<any>[];
  consumers?: ConsumerSpec[];
  /** Temporal activities this service hosts on its own task queue (named after the service). */
  activities?: object;
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
  build(deps: ServiceDeps<z.infer<z.ZodObject<S>>>): Promise<ServiceParts>;
}

export interface RunningService {
  name: string;
  grpcPort: number;
  metricsPort: number;
  pool: Pool;
  relay?: OutboxRelay;
  stop(): Promise<void>;
}

export interface StartOverrides {
  env?: NodeJS.ProcessEnv;
  clock?: Clock;
}

/**
 * Starts a service in dependency order — config, migrations, pool, Kafka relay and consumers,
 * Temporal worker, gRPC server, metrics — and returns a handle that stops it in reverse order.
 */
export async function startService<S extends z.ZodRawShape>(mod: ServiceModule<S>, o: StartOverrides = {}): Promise<RunningService> {
  const cfg = loadConfig({ ...serviceEnv, ...(mod.env ?? {}) } as typeof serviceEnv & S, o.env ?? process.env) as unknown as ServiceConfig &
    z.infer<z.ZodObject<S>>;
  const log = createLogger(mod.name, cfg.YOUFU_LOG_LEVEL);
  const metrics = createMetrics(mod.name);
  const stops: (() => Promise<unknown>)[] = [];
  const stopAll = async () => {
    for (const s of stops.reverse()) await s().catch((err: unknown) => log.error({ err: String(err) }, 'stop failed'));
  };
  try {
    if (cfg.YOUFU_MIGRATE === 'true') await migrateService(cfg.YOUFU_PG_ADMIN_URL, mod.name, mod.migrations);
    const pgUrl = cfg.YOUFU_PG_URL ?? serviceUrl(cfg.YOUFU_PG_ADMIN_URL, mod.name);
    const pool = createPool(pgUrl, { schema: mod.name, application: mod.name });
    stops.push(() => pool.end());

    const kafka = createKafka(cfg.YOUFU_KAFKA_BROKERS, `youfu-${mod.name}`, log);
    const codec = AesGcmCodec.fromConfig(cfg.YOUFU_PAYLOAD_KEYS);
    let client: Promise<Client> | undefined;
    const temporal = () => (client ??= createTemporalClient(cfg, codec));
    stops.push(async () => client && (await client).connection.close());

    const auth = createAuthenticator(cfg.YOUFU_JWT_SECRET);
    const parts = await mod.build({ cfg, pool, log, metrics, auth, clock: o.clock ?? systemClock, kafka, temporal, codec });
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
    if (parts.activities) {
      const worker: Worker = await createTemporalWorker(cfg, { taskQueue: mod.name, activities: parts.activities, codec });
      const running = worker.run();
      stops.push(async () => {
        worker.shutdown();
        await running;
      });
    }

    const grpcServer = await startGrpcServer({
      host: cfg.YOUFU_GRPC_HOST,
      port: cfg.YOUFU_GRPC_PORT ?? mod.defaultPort,
      bindings: parts.bindings,
      auth,
      log,
      metrics,
      healthy: () => pingDb(pool),
      healthIntervalMs: cfg.YOUFU_HEALTH_INTERVAL_MS,
    });
    stops.push(() => grpcServer.shutdown());
    const m = await serveMetrics(metrics, cfg.YOUFU_GRPC_HOST, cfg.YOUFU_METRICS_PORT ?? (cfg.YOUFU_GRPC_PORT === 0 ? 0 : grpcServer.port + 1000));
    stops.push(() => m.close());
    log.info({ grpcPort: grpcServer.port, metricsPort: m.port }, 'service started');
    return { name: mod.name, grpcPort: grpcServer.port, metricsPort: m.port, pool, relay, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/** Entry point of a service process: starts it, stops gracefully on SIGTERM / SIGINT. */
export function runMain(mod: ServiceModule<any>): void {
  startService(mod).then(
    (svc) => {
      let stopping = false;
      const onSignal = () => {
        if (stopping) return;
        stopping = true;
        svc.stop().then(() => process.exit(0), () => process.exit(1));
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
