import { describe, expect, it } from 'vitest';
import { PiiVault, maskNationalId, parseKeySpec } from './pii';

const k = (n: number) => Buffer.alloc(32, n).toString('base64');

describe('PiiVault', () => {
  it('encrypts with a random IV, decrypts, and keeps old keys readable after rotation', () => {
    const old = PiiVault.fromConfig(`k1:${k(1)}`, k(9));
    const a = old.encrypt('110101199003077777');
    expect(a).not.toContain('110101199003077777');
    expect(old.encrypt('110101199003077777')).not.toBe(a);
    const rotated = PiiVault.fromConfig(`k2:${k(2)},k1:${k(1)}`, k(9));
    expect(rotated.decrypt(a)).toBe('110101199003077777');
    expect(rotated.encrypt('x').startsWith('v1:k2:')).toBe(true);
  });

  it('rejects tampered ciphertext', () => {
    const v = PiiVault.fromConfig(`k1:${k(1)}`, k(9));
    const t = v.encrypt('张三');
    const body = Buffer.from(t.split(':')[2]!, 'base64');
    body[13] = body[13]! ^ 1;
    expect(() => v.decrypt(`v1:k1:${body.toString('base64')}`)).toThrow();
  });

  it('hashes deterministically per key', () => {
    const a = PiiVault.fromConfig(`k1:${k(1)}`, k(9));
    const b = PiiVault.fromConfig(`k1:${k(1)}`, k(8));
    expect(a.hash('x')).toBe(a.hash('x'));
    expect(a.hash('x')).not.toBe(b.hash('x'));
  });

  it('masks an ID number keeping the first 6 and last 4', () => {
    expect(maskNationalId('11010119900307777X')).toBe('110101********777X');
  });
});

describe('parseKeySpec', () => {
  it('reads every key by id, the first one current', () => {
    const { keys, current } = parseKeySpec(` k2:${k(2)}, k1:${k(1)},`, 'test keys');
    expect(current).toBe('k2');
    expect([...keys.keys()]).toEqual(['k2', 'k1']);
    expect(keys.get('k1')).toEqual(Buffer.alloc(32, 1));
  });

  it('rejects a malformed, empty or duplicated spec, naming the setting', () => {
    expect(() => parseKeySpec('', 'test keys')).toThrow('no test keys configured');
    expect(() => parseKeySpec(' , ', 'test keys')).toThrow('no test keys configured');
    expect(() => parseKeySpec(k(1), 'test keys')).toThrow('test keys must look like id1:base64key,id2:base64key');
    expect(() => parseKeySpec(`:${k(1)}`, 'test keys')).toThrow('must look like');
    expect(() => parseKeySpec('k1:', 'test keys')).toThrow('must look like');
    expect(() => parseKeySpec(`k1:${k(1)}:extra`, 'test keys')).toThrow('must look like');
    expect(() => parseKeySpec(`k1:${k(1)},k1:${k(2)}`, 'test keys')).toThrow('key id k1 appears twice');
  });

  it('rejects a key that is not 32 bytes, a retired one too, without echoing it', () => {
    const short = Buffer.alloc(16, 1).toString('base64');
    expect(() => parseKeySpec(`k1:${short}`, 'test keys')).toThrow('test keys: key k1 must be 32 bytes, got 16');
    expect(() => parseKeySpec(`k2:${k(2)},k1:${short}`, 'test keys')).toThrow(/^test keys: key k1 must be 32 bytes, got 16$/);
  });

  it('decrypts with an old key id while the spec still lists it, not after it is dropped', () => {
    const old = PiiVault.fromConfig(`k1:${k(1)}`, k(9)).encrypt('110101199003077777');
    expect(PiiVault.fromConfig(`k2:${k(2)},k1:${k(1)}`, k(9)).decrypt(old)).toBe('110101199003077777');
    expect(() => PiiVault.fromConfig(`k2:${k(2)}`, k(9)).decrypt(old)).toThrow('unknown format or key id');
  });
});
