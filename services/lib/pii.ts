import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { maskNationalId } from './log';

export { maskNationalId };

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

  /** `keysSpec`: `id:base64(32 bytes)` comma-separated, current first; `hashKey`: base64. */
  static fromConfig(keysSpec: string, hashKeyB64: string): PiiVault {
    const entries = keysSpec.split(',').filter(Boolean).map((e) => {
      const [id, b64] = e.split(':');
      if (!id || !b64) throw new Error('PII keys must look like id:base64key');
      return [id, Buffer.from(b64, 'base64')] as const;
    });
    if (!entries.length) throw new Error('no PII key configured');
    return new PiiVault(new Map(entries), entries[0]![0], Buffer.from(hashKeyB64, 'base64'));
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
