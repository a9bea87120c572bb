import { fromParts, isValidDate, type CivilDate } from './civil';
import { invalidArgument } from './errors';

/** GB 11643-1999 ID rules (18 characters). Pure: no I/O, the caller passes today's date. */

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2] as const;
const CHECK = '10X98765432';

/** Province-level prefixes of GB/T 2260 (incl. 71 Taiwan, 81 Hong Kong, 82 Macao). */
const PROVINCES = new Set([
  '11', '12', '13', '14', '15', '21', '22', '23', '31', '32', '33', '34', '35', '36', '37',
  '41', '42', '43', '44', '45', '46', '50', '51', '52', '53', '54', '61', '62', '63', '64', '65',
  '71', '81', '82',
]);

export type Gender = 'MALE' | 'FEMALE';

/** The ISO 7064 MOD 11-2 check character of the first 17 digits. */
export function checkCharacter(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * WEIGHTS[i]!;
  return CHECK[sum % 11]!;
}

/** Upper-cases a trailing `x`; trims. The form that is hashed, encrypted and compared. */
export const normalizeNationalId = (s: string): string => s.trim().toUpperCase();

export interface ParsedNationalId {
  id: string;
  region: string;
  birthDate: CivilDate;
  gender: Gender;
}

/** Why an ID number is not acceptable; `reason` is the stable code clients see. */
export class NationalIdError extends Error {
  constructor(readonly reason: string, message: string) {
    super(message);
  }
}

/** An ID number passing `parseNationalId`, normalised, or INVALID_ARGUMENT with its reason on `field`. */
export function nationalIdArg(raw: string, today: CivilDate, field = 'nationalId'): string {
  try {
    return parseNationalId(raw, today).id;
  } catch (err) {
    if (err instanceof NationalIdError) throw invalidArgument(field, err.message, err.reason);
    throw err;
  }
}

/**
 * Parses and validates an 18-character ID number: format, region prefix, a real birth date not
 * after `today` (and not before 1900), sequence, check character.
 */
export function parseNationalId(raw: string, today: CivilDate): ParsedNationalId {
  const id = normalizeNationalId(raw);
  if (!/^\d{17}[\dX]$/.test(id)) throw new NationalIdError('INVALID_NATIONAL_ID_FORMAT', 'must be 17 digits and a check character 0-9 or X');
  const region = id.slice(0, 6);
  if (!PROVINCES.has(region.slice(0, 2))) throw new NationalIdError('INVALID_NATIONAL_ID_REGION', `unknown region ${region.slice(0, 2)}xxxx`);
  const y = Number(id.slice(6, 10));
  const m = Number(id.slice(10, 12));
  const d = Number(id.slice(12, 14));
  const birth = fromParts(y, m, d);
  if (y < 1900 || !isValidDate(birth)) throw new NationalIdError('INVALID_NATIONAL_ID_BIRTH_DATE', 'the birth date digits are not a real date');
  if (birth > today) throw new NationalIdError('INVALID_NATIONAL_ID_BIRTH_DATE', 'the birth date is in the future');
  const seq = Number(id.slice(14, 17));
  if (seq === 0) throw new NationalIdError('INVALID_NATIONAL_ID_SEQUENCE', 'sequence 000 is not issued');
  if (checkCharacter(id.slice(0, 17)) !== id[17]) throw new NationalIdError('INVALID_CHECK_CHARACTER', 'the check character does not match (ISO 7064 MOD 11-2)');
  return { id, region, birthDate: birth, gender: seq % 2 === 1 ? 'MALE' : 'FEMALE' };
}
