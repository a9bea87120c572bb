import { z } from 'zod';
import { DEV, DEV_ISSUER } from './keys';

/** A configuration variable is missing or malformed; start-up must stop. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

const devSecrets = new WeakSet<object>();

/**
 * A secret setting: required in production; elsewhere `dev` (a well-known development value)
 * stands in when it is unset, so the local stack and tests need no keys.
 */
export function secret(dev: string, schema: z.ZodString = z.string().min(1)) {
  const s = schema.default(dev);
  devSecrets.add(s);
  return s;
}

const csv = z
  .string()
  .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean))
  .pipe(z.array(z.string().min(1)).min(1));

const port = z.coerce.number().int().min(0).max(65535);

const ENVS = ['development', 'test', 'production'] as const;

/** Variables every Youfu process understands. Defaults fit the local stack (deploy/local). */
export const platformEnv = {
  /**
   * No default, so a production deploy that forgets it fails closed instead of running on the
   * development keys; the local scripts (deploy/local) set `development` / `test` explicitly.
   */
  YOUFU_ENV: z.enum(ENVS, { error: `required: one of ${ENVS.join(', ')} (deploy/local sets it for local runs)` }),
  YOUFU_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Superuser / owner URL used only by the migration step (schema, role, migrations). */
  YOUFU_PG_ADMIN_URL: z.string().url().default('postgres://youfu@127.0.0.1:55432/youfu'),
  YOUFU_KAFKA_BROKERS: csv.default(['127.0.0.1:9092']),
  YOUFU_TOPIC_PREFIX: z.string().regex(/^[a-z0-9._-]*$/).default(''),
  YOUFU_TEMPORAL_ADDRESS: z.string().default('127.0.0.1:7233'),
  YOUFU_TEMPORAL_NAMESPACE: z.string().default('youfu'),
  /**
   * Key set that verifies bearer tokens: a JWKS file path or `https://` URL holding the staff /
   * hospital issuer's public keys and each service's (kid `service:<name>`). `dev`: the local
   * development keyring under .local/keys (refused in production).
   */
  YOUFU_JWKS: secret(DEV),
  /** `iss` of staff and hospital tokens (the bureau's identity provider in production). */
  YOUFU_JWT_ISSUER: secret(DEV_ISSUER),
  /** HS256 key for development tokens (at least 32 characters); accepted only in development and test. */
  YOUFU_JWT_SECRET: z.string().min(32).optional(),
  YOUFU_GRPC_HOST: z.string().default('127.0.0.1'),
};


const platformSchema = z.object(platformEnv);

export type PlatformConfig = z.infer<typeof platformSchema>;

/**
 * Parses the environment once at start-up. Every problem is reported with its variable name;
 * nothing deep in the code reads process.env.
 */
export function loadConfig<T extends z.ZodRawShape>(
  shape: T,
  env: NodeJS.ProcessEnv = process.env,
): PlatformConfig & z.infer<z.ZodObject<T>> {
  const platform = platformSchema.safeParse(env);
  const own = z.object(shape).safeParse(env);
  const problems = [platform, own].flatMap((r) =>
    r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`),
  );
  if (!platform.success || !own.success) throw new ConfigError(problems);
  if (platform.data.YOUFU_ENV === 'production') {
    const missing = Object.entries({ ...platformEnv, ...shape }).filter(([name, s]) => devSecrets.has(s) && (!env[name] || env[name] === DEV));
    const refused = env.YOUFU_JWT_SECRET ? ['YOUFU_JWT_SECRET: HS256 tokens are refused in production; remove it'] : [];
    if (missing.length || refused.length) throw new ConfigError([...missing.map(([name]) => `${name}: required in production`), ...refused]);
  }
  return { ...platform.data, ...own.data };
}

/** A TCP port variable (0 = pick a free one). */
export const envPort = port;
