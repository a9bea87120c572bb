import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { secret } from './config';

/** The environment of a service that keeps personal data (spread into its `env`). */
export const piiEnv = {
  /** PII encryption keys, `id:base64(32 bytes)` comma-separated, current first. Required in production. */
  YOUFU_PII_KEYS: secret(`dev:${Buffer.alloc(32, 3).toString('base64')}`),
  /** Key of the keyed hash of national ID numbers (base64, ≥ 32 bytes). Required in production. */
  YOUFU_PII_HASH_KEY: secret(Buffer.alloc(32, 5).toString('base64')),
};

/** Masks an account or phone number for display: the last 4 characters kept. */
export const maskAccount = (n: string) => (n.length <= 4 ? '*'.repeat(n.length) : `${'*'.repeat(n.length - 4)}${n.slice(-4)}`);

/** Masks a national ID number for display: first 6 and last 4 characters kept. */
export function maskNationalId(id: string): string {
  if (id.length <= 10) return '*'.repeat(id.length);
  return `${id.slice(0, 6)}${'*'.repeat(id.length - 10)}${id.slice(-4)}`;
}

/** AES-256 keys by id, and the id of the one that encrypts new data. */
export interface KeySpec {
  keys: Map<string, Buffer>;
  current: string;
}

/**
 * Parses a key setting `id1:base64key,id2:base64key`: the first entry is the current key, the
 * others are retired keys kept so that old ciphertext stays readable. Every key must decode to
 * 32 bytes. `what` names the setting in error messages (e.g. `'PII keys'`); errors never include
 * key material. Call it once at start-up, where a bad setting should stop the service.
 */
export function parseKeySpec(spec: string, what: string): KeySpec {
  const keys = new Map<string, Buffer>();
  let current: string | undefined;
  for (const entry of spec.split(',').map((e) => e.trim()).filter(Boolean)) {
    const [id, b64, ...rest] = entry.split(':');
    if (!id || !b64 || rest.length) throw new Error(`${what} must look like id1:base64key,id2:base64key`);
    if (keys.has(id)) throw new Error(`${what}: key id ${id} appears twice`);
    const key = Buffer.from(b64, 'base64');
    if (key.length !== 32) throw new Error(`${what}: key ${id} must be 32 bytes, got ${key.length}`);
    keys.set(id, key);
    current ??= id;
  }
  if (current === undefined) throw new Error(`no ${what} configured`);
  return { keys, current };
}

/**
 * Protection of personal data at rest: AES-256-GCM encryption for values that must be read back
 * (national ID numbers, names, payee accounts) and a keyed HMAC-SHA256 for exact lookup and
 * de-duplication without decrypting. Ciphertext layout: `v1:<keyId>:<base64(iv | ciphertext | tag)>`,
 * so keys can rotate (old key ids stay decryptable).
 */
export class PiiVault {
  constructor(
    private readonly keys: ReadonlyMap<string, Buffer>,
    private readonly current: string,
    private readonly hashKey: Buffer,
  ) {
    if (keys.get(current)?.length !== 32) throw new Error(`PII key ${current} must be 32 bytes`);
    if (hashKey.length < 32) throw new Error('PII hash key must be at least 32 bytes');
  }

  /** `keysSpec`: see {@link parseKeySpec} (current key first); `hashKey`: base64. */
  static fromConfig(keysSpec: string, hashKeyB64: string): PiiVault {
    const { keys, current } = parseKeySpec(keysSpec, 'PII keys');
    return new PiiVault(keys, current, Buffer.from(hashKeyB64, 'base64'));
  }

  encrypt(plain: string): string {
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.keys.get(this.current)!, iv);
    const body = Buffer.concat([iv, c.update(plain, 'utf8'), c.final(), c.getAuthTag()]);
    return `v1:${this.current}:${body.toString('base64')}`;
  }

  decrypt(token: string): string {
    const [v, keyId, b64] = token.split(':');
    const key = keyId ? this.keys.get(keyId) : undefined;
    if (v !== 'v1' || !key || !b64) throw new Error('cannot decrypt: unknown format or key id');
    const body = Buffer.from(b64, 'base64');
    const d = createDecipheriv('aes-256-gcm', key, body.subarray(0, 12));
    d.setAuthTag(body.subarray(body.length - 16));
    return Buffer.concat([d.update(body.subarray(12, body.length - 16)), d.final()]).toString('utf8');
  }

  /** Deterministic keyed hash (hex) for equality lookups; normalise the input before hashing. */
  hash(value: string): string {
    return createHmac('sha256', this.hashKey).update(value, 'utf8').digest('hex');
  }
}
