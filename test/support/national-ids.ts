/**
 * Real-format national ID numbers (GB 11643-1999) for tests and benchmarks, with check characters
 * computed here independently of the service's own code.
 */

/** Guangzhou districts (GB/T 2260). */
export const GUANGZHOU = ['440103', '440104', '440105', '440106', '440111', '440112', '440113', '440114', '440115', '440117', '440118'] as const;

/** A small seeded PRNG (mulberry32), so generated data is reproducible. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** ISO 7064 MOD 11-2 check character: Σ digit_i × 2^(17−i) mod 11, then (12 − r) mod 11, 10 → X. */
export function mod11_2(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * (2 ** (17 - i) % 11);
  const c = (12 - (sum % 11)) % 11;
  return c === 10 ? 'X' : String(c);
}

export function makeId(region: string, birth: string, seq: number): string {
  const first17 = `${region}${birth.replaceAll('-', '')}${String(seq).padStart(3, '0')}`;
  return first17 + mod11_2(first17);
}

export interface GeneratedId {
  id: string;
  region: string;
  birthDate: string;
  gender: 'MALE' | 'FEMALE';
}

/** Unique, valid ID numbers with random region, birth date (1930–1975) and sequence. */
export function idGenerator(seed = 1) {
  const r = rng(seed);
  const used = new Set<string>();
  return (o: { region?: string; birthDate?: string; gender?: 'MALE' | 'FEMALE' } = {}): GeneratedId => {
    for (;;) {
      const region = o.region ?? GUANGZHOU[Math.floor(r() * GUANGZHOU.length)]!;
      const y = 1930 + Math.floor(r() * 46);
      const m = 1 + Math.floor(r() * 12);
      const d = 1 + Math.floor(r() * 28);
      const birthDate = o.birthDate ?? `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
      let seq = 1 + Math.floor(r() * 998);
      const gender = o.gender ?? (r() < 0.5 ? 'MALE' : 'FEMALE');
      if ((seq % 2 === 1) !== (gender === 'MALE')) seq += 1;
      const id = makeId(region, birthDate, seq);
      if (used.has(id)) continue;
      used.add(id);
      return { id, region, birthDate, gender };
    }
  };
}
