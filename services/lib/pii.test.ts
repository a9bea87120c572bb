import { describe, expect, it } from 'vitest';
import { PiiVault, maskNationalId } from './pii';

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
