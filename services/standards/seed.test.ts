import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { keyString } from './domain/keys';
import { SEED_FILE, seedVersions } from './seed';

describe('seed file', () => {
  const versions = seedVersions(JSON.parse(readFileSync(SEED_FILE, 'utf8')));

  it('describes the 2021 and 2022 national tables with the nursing-fee shares and nothing else', () => {
    expect(versions.map((v) => v.effectiveFrom)).toEqual(['2021-08-01', '2022-08-01']);
    for (const v of versions) {
      // 10 WAR + 10 DUTY + 6 ILLNESS grades, 3 survivor types, 18 nursing-fee shares
      expect(v.rows).toHaveLength(47);
      expect(new Set(v.rows.map((r) => keyString(r.key))).size).toBe(47);
      expect(new Set(v.rows.map((r) => r.key.category))).toEqual(new Set(['DISABLED_SERVICEMAN', 'MARTYR_SURVIVOR', 'DUTY_DEATH_SURVIVOR', 'ILLNESS_DEATH_SURVIVOR']));
      expect(v.source).toBe('national notice as reprinted (see domain.md)');
      expect(v.documentNumber).toBe('');
      expect(v.actor).toBe('seed');
    }
  });

  it('carries the statutory nursing-fee shares of domain.md §1, by cause and grade', () => {
    // WAR/DUTY 1–2 50%, 3–4 40%; ILLNESS 1–4 30%; grades 5–6 with a recorded mental disorder 25% (any cause).
    const expected = new Map<string, [number, boolean]>();
    for (const cause of ['WAR', 'DUTY'] as const) {
      for (const g of [1, 2]) expected.set(`${cause}/${g}`, [5000, false]);
      for (const g of [3, 4]) expected.set(`${cause}/${g}`, [4000, false]);
    }
    for (const g of [1, 2, 3, 4]) expected.set(`ILLNESS/${g}`, [3000, false]);
    for (const cause of ['WAR', 'DUTY', 'ILLNESS'] as const) for (const g of [5, 6]) expected.set(`${cause}/${g}`, [2500, true]);
    for (const v of versions) {
      const shares = new Map(
        v.rows.flatMap((r) => (r.rule.kind === 'NURSING_FEE_SHARE' ? [[`${r.key.cause}/${r.key.disabilityGrade}`, [r.rule.bp, r.rule.requiresMentalDisorder]] as const] : [])),
      );
      expect(shares).toEqual(expected);
    }
  });

  it('refuses a file whose rows break the rules (e.g. ILLNESS at grade 7)', () => {
    const raw = JSON.parse(readFileSync(SEED_FILE, 'utf8'));
    raw.versions[0].disabledServicemanYuanPerYear.ILLNESS.push(1000);
    expect(() => seedVersions(raw)).toThrow(/ILLNESS is pensioned only at grades 1..6/);
  });
});
