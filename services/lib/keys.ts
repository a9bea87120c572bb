import { createRemoteJWKSet, exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK, type JWTHeaderParameters } from 'jose';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Signing keys and key sets for bearer tokens (EdDSA / Ed25519).
 *
 * Key ids name the signer: `service:<name>` is the key of one Youfu service, which may sign only
 * that service's own tokens; any other kid belongs to the staff / hospital issuer (locally the
 * development issuer, in production the bureau's identity provider).
 *
 * `dev` stands for the development keyring in `<repo>/.local/keys/`: one private JWK file per
 * signer, made on first use, whose public halves form the development key set. Production refuses it
 * (config.ts `secret`).
 */
export const DEV = 'dev';
export const SERVICE_KID = 'service:';
export const DEV_ISSUER_KID = 'dev-issuer';
/** `iss` of the development issuer (the default YOUFU_JWT_ISSUER). */
export const DEV_ISSUER = 'youfu-dev-issuer';

const devDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../.local/keys');
const fileOf = (dir: string, kid: string) => path.join(dir, `${kid.replace(/[^A-Za-z0-9_-]/g, '_')}.jwk.json`);

/** The private JWK of `kid` in the development keyring, made (and kept) on first use. */
export async function devPrivateKey(kid: string, dir = devDir): Promise<JWK> {
  try {
    return JSON.parse(readFileSync(fileOf(dir, kid), 'utf8')) as JWK;
  } catch {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    const jwk = { ...(await exportJWK(privateKey)), kid, alg: 'EdDSA', use: 'sig' };
    try {
      writeFileSync(fileOf(dir, kid), JSON.stringify(jwk), { flag: 'wx', mode: 0o600 });
      return jwk;
    } catch {
      // Another process made it first: use theirs.
      return JSON.parse(readFileSync(fileOf(dir, kid), 'utf8')) as JWK;
    }
  }
}

const publicHalf = ({ d: _d, ...pub }: JWK): JWK => pub;

/** The development key set: the public halves of every key in the development keyring. */
export function devKeySet(dir = devDir): { keys: JWK[] } {
  let files: string[] = [];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.jwk.json'));
  } catch {
    /* no keys yet */
  }
  return { keys: files.map((f) => publicHalf(JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as JWK)) };
}

/** A key resolver for jose's jwtVerify: picks the public key by the token's `kid`. */
export type KeyResolver = (header: JWTHeaderParameters) => Promise<CryptoKey | Uint8Array>;

/**
 * Resolves verification keys from `spec`: `dev` (the development keyring), an `http(s)://` JWKS
 * URL (fetched and cached by jose), or a JWKS file path. A file or the keyring is re-read when an
 * unknown kid appears, so keys can be added (rotated in) without a restart.
 */
export function keyResolver(spec: string): KeyResolver {
  if (/^https?:\/\//.test(spec)) {
    const remote = createRemoteJWKSet(new URL(spec));
    return (header) => remote(header);
  }
  const read = () => (spec === DEV ? devKeySet() : (JSON.parse(readFileSync(spec, 'utf8')) as { keys: JWK[] }));
  let keys = new Map<string, JWK>();
  // kid → the imported public key: imported on first use, not on every verification.
  let imported = new Map<string, Promise<CryptoKey>>();
  const load = () => {
    keys = new Map(read().keys.filter((k) => k.kid && k.kty === 'OKP' && k.crv === 'Ed25519').map((k) => [k.kid!, k]));
    imported = new Map();
  };
  load();
  return async (header) => {
    const kid = header.kid ?? '';
    if (!keys.has(kid)) load();
    const jwk = keys.get(kid);
    if (!jwk || header.alg !== 'EdDSA') throw new Error(`no key ${kid} for ${header.alg}`);
    let key = imported.get(kid);
    if (!key) imported.set(kid, (key = importJWK(publicHalf(jwk), 'EdDSA') as Promise<CryptoKey>));
    return key;
  };
}

/** A private signing key from `spec`: a JWK as JSON, or the path of a file holding one. */
export function parsePrivateKey(spec: string): JWK {
  const text = spec.trim().startsWith('{') ? spec : readFileSync(spec, 'utf8');
  const jwk = JSON.parse(text) as JWK;
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || !jwk.d) throw new Error('a signing key must be an Ed25519 private JWK');
  return jwk;
}
