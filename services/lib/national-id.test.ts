import { describe, expect, it } from 'vitest';
import { idGenerator, makeId, mod11_2 } from '../../test/support/national-ids';
import { checkCharacter, NationalIdError, parseNationalId } from './national-id';

const TODAY = '2024-06-30';
const reason = (raw: string) => {
  try {
    parseNationalId(raw, TODAY);
  } catch (err) {
    if (err instanceof NationalIdError) return err.reason;
    throw err;
  }
  return 'OK';
};

describe('national ID numbers (GB 11643-1999)', () => {
  it('accepts generated numbers and reads region, birth date and gender from them', () => {
    const gen = idGenerator(7);
    for (let i = 0; i < 2000; i++) {
      const g = gen();
      const p = parseNationalId(g.id, TODAY);
      expect(p).toEqual({ id: g.id, region: g.region, birthDate: g.birthDate, gender: g.gender });
    }
  });

  it('computes the ISO 7064 MOD 11-2 check character, X included (the standard’s own example)', () => {
    expect(checkCharacter('11010519491231002')).toBe('X');
    expect(parseNationalId('11010519491231002x', TODAY).id).toBe('11010519491231002X');
    const gen = idGenerator(3);
    for (let i = 0; i < 500; i++) {
      const id = gen().id;
      expect(checkCharacter(id.slice(0, 17))).toBe(mod11_2(id.slice(0, 17)));
    }
  });

  it('odd sequence = male, even = female', () => {
    expect(parseNationalId(makeId('440106', '1960-03-15', 13), TODAY).gender).toBe('MALE');
    expect(parseNationalId(makeId('440106', '1960-03-15', 14), TODAY).gender).toBe('FEMALE');
  });

  it('rejects a wrong check character', () => {
    const id = makeId('440106', '1960-03-15', 13);
    const wrong = id.slice(0, 17) + (id[17] === '0' ? '1' : '0');
    expect(reason(wrong)).toBe('INVALID_CHECK_CHARACTER');
  });

  it('rejects a birth date that is not a real date or is in the future', () => {
    expect(reason(makeId('440106', '1999-02-30', 13))).toBe('INVALID_NATIONAL_ID_BIRTH_DATE');
    expect(reason(makeId('440106', '1999-13-01', 13))).toBe('INVALID_NATIONAL_ID_BIRTH_DATE');
    expect(reason(makeId('440106', '2024-07-01', 13))).toBe('INVALID_NATIONAL_ID_BIRTH_DATE');
    expect(reason(makeId('440106', '1899-12-31', 13))).toBe('INVALID_NATIONAL_ID_BIRTH_DATE');
    expect(reason(makeId('440106', '2000-02-29', 13))).toBe('OK');
  });

  it('rejects bad format, unknown region and sequence 000', () => {
    expect(reason('44010619600315013')).toBe('INVALID_NATIONAL_ID_FORMAT');
    expect(reason('4401061960031501AX')).toBe('INVALID_NATIONAL_ID_FORMAT');
    expect(reason(makeId('990106', '1960-03-15', 13))).toBe('INVALID_NATIONAL_ID_REGION');
    expect(reason(makeId('440106', '1960-03-15', 0))).toBe('INVALID_NATIONAL_ID_SEQUENCE');
  });
});
