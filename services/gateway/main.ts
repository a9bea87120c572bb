/**
 * The gateway process: `npx tsx services/gateway/main.ts` (deploy/local/start.ts starts it beside
 * the services). Configuration from the environment, parsed once (README: Configuration).
 */
import * as grpc from '@grpc/grpc-js';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { z } from 'zod';
import { ConfigError, envPort, loadConfig } from '../lib/config';
import { createLogger } from '../lib/log';
import { databaseEnv, openDatabase } from '../lib/runtime';
import { defaultConsoleDir, LOCAL_TEMPORAL_UI, temporalWorkflowUrl } from './console';
import { loadContract } from './registry';
import { startGateway, type RunningGateway } from './server';

const here = path.dirname(fileURLToPath(import.meta.url));
const file = z.string().min(1).optional();
const addr = (port: number) => z.string().min(1).default(`127.0.0.1:${port}`);

export const gatewayEnv = {
  /** The gateway's own schema `gateway` (the national door's answers by msgid): as for a service. */
  ...databaseEnv,
  YOUFU_GATEWAY_HOST: z.string().default('127.0.0.1'),
  /** The HTTP(S) port of every door; 0 picks a free one. */
  YOUFU_GATEWAY_PORT: envPort.default(8080),
  /** The services behind the doors, by area (the package `youfu.<area>.v1`). */
  YOUFU_STANDARDS_ADDR: addr(50051),
  YOUFU_PERSONS_ADDR: addr(50052),
  YOUFU_RESETTLEMENT_ADDR: addr(50053),
  YOUFU_SETTLEMENT_ADDR: addr(50054),
  YOUFU_ADJUSTMENT_ADDR: addr(50055),
  /** Largest request body, bytes (413 above it). */
  YOUFU_GATEWAY_MAX_BODY_BYTES: z.coerce.number().int().min(1024).default(1024 * 1024),
  /** Requests per second per caller (bearer token, or address without one), and the burst above it (429 beyond). */
  YOUFU_GATEWAY_RATE: z.coerce.number().positive().default(50),
  YOUFU_GATEWAY_BURST: z.coerce.number().int().min(1).default(100),
  /** Deadline of each call to a service, ms. */
  YOUFU_GATEWAY_TIMEOUT_MS: z.coerce.number().int().min(100).default(30_000),
  /** The staff console's built files (`npm run build:console`). */
  YOUFU_CONSOLE_DIR: z.string().min(1).optional(),
  /** The console's development sign-in (`POST /console/session`); on outside production unless `false`, refused in production. */
  YOUFU_CONSOLE_DEV_SIGN_IN: z.enum(['true', 'false']).optional(),
  /** The Temporal Web UI the console links runs to (e.g. `https://temporal.bureau.example`); outside production the local stack's. */
  YOUFU_CONSOLE_TEMPORAL_UI: z.string().url().optional(),
  /**
   * The bureau's OpenID Connect provider the console signs in at (authorization code + PKCE, a
   * public client: no secret): its issuer URL (discovered at `/.well-known/openid-configuration`)
   * and the console's client id. Its access tokens must carry `sub` and `role` and verify with
   * YOUFU_JWKS / YOUFU_JWT_ISSUER, as every staff token does.
   */
  YOUFU_CONSOLE_OIDC_ISSUER: z.string().url().optional(),
  YOUFU_CONSOLE_OIDC_CLIENT_ID: z.string().min(1).optional(),
  YOUFU_CONSOLE_OIDC_SCOPE: z.string().min(1).default('openid profile'),
  /** Lifetime of a development sign-in's token, seconds. */
  YOUFU_CONSOLE_SESSION_TTL: z.coerce.number().int().min(60).default(8 * 3600),
  /** Server TLS (PEM files), as for the services. */
  YOUFU_TLS_CERT: file,
  YOUFU_TLS_KEY: file,
  /** CA of the services' certificates (calls onwards use TLS), and our client certificate for mTLS. */
  YOUFU_CLIENT_TLS_CA: file,
  YOUFU_CLIENT_TLS_CERT: file,
  YOUFU_CLIENT_TLS_KEY: file,
};

export async function startGatewayFromEnv(env: NodeJS.ProcessEnv = process.env): Promise<RunningGateway> {
  const cfg = loadConfig(gatewayEnv, env);
  if (!!cfg.YOUFU_TLS_CERT !== !!cfg.YOUFU_TLS_KEY) throw new ConfigError(['YOUFU_TLS_CERT and YOUFU_TLS_KEY: set both']);
  if (!!cfg.YOUFU_CONSOLE_OIDC_ISSUER !== !!cfg.YOUFU_CONSOLE_OIDC_CLIENT_ID) throw new ConfigError(['YOUFU_CONSOLE_OIDC_ISSUER and YOUFU_CONSOLE_OIDC_CLIENT_ID: set both']);
  if (cfg.YOUFU_ENV === 'production' && cfg.YOUFU_CONSOLE_DEV_SIGN_IN === 'true') throw new ConfigError(['YOUFU_CONSOLE_DEV_SIGN_IN: the development sign-in is never served in production']);
  const log = createLogger('gateway', cfg.YOUFU_LOG_LEVEL);
  const { pool, migrate } = await openDatabase('gateway', path.join(here, 'migrations'), cfg, env);
  if (migrate === 'only') {
    await pool.end();
    return { port: 0, url: '', stop: async () => undefined };
  }
  const credentials = cfg.YOUFU_CLIENT_TLS_CA
    ? grpc.credentials.createSsl(
        readFileSync(cfg.YOUFU_CLIENT_TLS_CA),
        cfg.YOUFU_CLIENT_TLS_KEY ? readFileSync(cfg.YOUFU_CLIENT_TLS_KEY) : null,
        cfg.YOUFU_CLIENT_TLS_CERT ? readFileSync(cfg.YOUFU_CLIENT_TLS_CERT) : null,
      )
    : grpc.credentials.createInsecure();
  const gw = await startGateway({
    host: cfg.YOUFU_GATEWAY_HOST,
    port: cfg.YOUFU_GATEWAY_PORT,
    contract: loadContract(),
    backends: {
      standards: cfg.YOUFU_STANDARDS_ADDR,
      persons: cfg.YOUFU_PERSONS_ADDR,
      resettlement: cfg.YOUFU_RESETTLEMENT_ADDR,
      settlement: cfg.YOUFU_SETTLEMENT_ADDR,
      adjustment: cfg.YOUFU_ADJUSTMENT_ADDR,
    },
    credentials,
    ...(cfg.YOUFU_TLS_CERT && cfg.YOUFU_TLS_KEY ? { tls: { cert: readFileSync(cfg.YOUFU_TLS_CERT), key: readFileSync(cfg.YOUFU_TLS_KEY) } } : {}),
    maxBodyBytes: cfg.YOUFU_GATEWAY_MAX_BODY_BYTES,
    rate: { perSecond: cfg.YOUFU_GATEWAY_RATE, burst: cfg.YOUFU_GATEWAY_BURST },
    timeoutMs: cfg.YOUFU_GATEWAY_TIMEOUT_MS,
    console: {
      dir: cfg.YOUFU_CONSOLE_DIR ?? defaultConsoleDir,
      devSignIn: cfg.YOUFU_ENV !== 'production' && cfg.YOUFU_CONSOLE_DEV_SIGN_IN !== 'false',
      sessionTtlSeconds: cfg.YOUFU_CONSOLE_SESSION_TTL,
      oidc: cfg.YOUFU_CONSOLE_OIDC_ISSUER && cfg.YOUFU_CONSOLE_OIDC_CLIENT_ID ? { issuer: cfg.YOUFU_CONSOLE_OIDC_ISSUER, clientId: cfg.YOUFU_CONSOLE_OIDC_CLIENT_ID, scope: cfg.YOUFU_CONSOLE_OIDC_SCOPE } : null,
      temporalWorkflowUrl: temporalWorkflowUrl(cfg.YOUFU_CONSOLE_TEMPORAL_UI ?? (cfg.YOUFU_ENV === 'production' ? '' : LOCAL_TEMPORAL_UI), cfg.YOUFU_TEMPORAL_NAMESPACE),
    },
    pool,
    brokers: cfg.YOUFU_KAFKA_BROKERS,
    log,
  });
  log.info({ url: gw.url }, 'gateway started');
  return {
    ...gw,
    async stop() {
      await gw.stop();
      await pool.end();
    },
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  startGatewayFromEnv().then(
    (gw) => {
      const stop = () => gw.stop().then(() => process.exit(0));
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    },
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    },
  );
}
