import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { keyString } from './domain/keys';
import { SEED_FILE, seedVersions } from './seed';

describe('seed file', () => {
  const versions = seedVersions(JSON.parse(readFileSync(SEED_FILE, 'utf8')));

  it('describes the 2021 and 2022 national tables with the nursing-fee shares and nothing else', () => {
    expect(versions.map((v) => v.effectiveFrom)).toEqual(['2021-08-01', '2022-08-01']);
    for (const v of versions) {
      // 10 WAR + 10 DUTY + 6 ILLNESS grades, 3 survivor types, 14 nursing-fee shares
      expect(v.rows).toHaveLength(43);
      expect(new Set(v.rows.map((r) => keyString(r.key))).size).toBe(43);
      expect(new Set(v.rows.map((r) => r.key.category))).toEqual(new Set(['DISABLED_SERVICEMAN', 'MARTYR_SURVIVOR', 'DUTY_DEATH_SURVIVOR', 'ILLNESS_DEATH_SURVIVOR']));
      expect(v.source).toBe('national notice as reprinted (see domain.md)');
      expect(v.documentNumber).toBe('');
      expect(v.actor).toBe('seed');
    }
  });

  it('refuses a file whose rows break the rules (e.g. ILLNESS at grade 7)', () => {
    const raw = JSON.parse(readFileSync(SEED_FILE, 'utf8'));
    raw.versions[0].disabledServicemanYuanPerYear.ILLNESS.push(1000);
    expect(() => seedVersions(raw)).toThrow(/ILLNESS is pensioned only at grades 1..6/);
  });
});
