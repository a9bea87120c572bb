/**
 * A registration as the console holds it — the registration form's values, and an imported file's
 * row — and the one conversion to ProposeRegistration's / ImportRecord's `person` JSON. The fields
 * are listed once: the form renders them, an import's template has one column per field (its
 * Chinese or English word as the header).
 */
import { civil } from './api';
import type { Word } from './i18n';

/** ProposeRegistrationRequest's `person`, with dates typed as YYYY-MM-DD. */
export interface PersonValues {
  nationalId: string;
  name: string;
  gender: string;
  birthDate: string;
  districtCode: string;
  residence: string;
  contact?: { phone?: string; address?: string };
  approvalDate: string;
  payee: { bank: string; accountNumber: string; accountName: string };
  identities: { attributes: { category: string; disabilityGrade?: number; cause?: string }; effectiveFrom: string }[];
}

export interface Field {
  /** Below `person`. */
  path: (string | number)[];
  word: Word;
  kind: 'text' | 'date' | 'enum' | 'grade';
  /** The enum's prefix (`GENDER_`). */
  prefix?: string;
  required: boolean;
}

const f = (path: Field['path'], word: Word, kind: Field['kind'] = 'text', required = true, prefix?: string): Field => ({ path, word, kind, required, prefix });
const identity = (...p: (string | number)[]) => ['identities', 0, ...p];

/** The registration's fields, in the form's order. */
export const FIELDS: Field[] = [
  f(['nationalId'], 'nationalId'),
  f(['name'], 'name'),
  f(['gender'], 'gender', 'enum', true, 'GENDER_'),
  f(['birthDate'], 'birthDate', 'date'),
  f(['districtCode'], 'district'),
  f(['residence'], 'residence', 'enum', true, 'RESIDENCE_'),
  f(['approvalDate'], 'approvalDate', 'date'),
  f(['contact', 'phone'], 'phone', 'text', false),
  f(['contact', 'address'], 'address', 'text', false),
  f(['payee', 'bank'], 'bank'),
  f(['payee', 'accountNumber'], 'accountNumber'),
  f(['payee', 'accountName'], 'accountName'),
  f(identity('attributes', 'category'), 'identity', 'enum', true, 'CATEGORY_'),
  f(identity('attributes', 'disabilityGrade'), 'disabilityGrade', 'grade', false),
  f(identity('attributes', 'cause'), 'cause', 'enum', false, 'DISABILITY_CAUSE_'),
  f(identity('effectiveFrom'), 'effectiveFrom', 'date'),
];

/** The field an API field path names (`person.identities[0].attributes.cause`), if it is one of the form's. */
export const fieldOf = (apiPath: string) => FIELDS.find((f) => `person.${f.path.join('.')}`.replace(/\.(\d+)\./g, '[$1].') === apiPath);

/** The API's `person`: dates as { year, month, day }; a malformed date is left out for the API to refuse by its field. */
export function personRequest(p: PersonValues) {
  return {
    ...p,
    birthDate: civil.typed(p.birthDate),
    approvalDate: civil.typed(p.approvalDate),
    identities: p.identities.map((i) => ({ attributes: { ...i.attributes, disabilityGrade: i.attributes.disabilityGrade ?? 0 }, effectiveFrom: civil.typed(i.effectiveFrom) })),
  };
}

/** Sets `value` at `path` inside `target`, making the objects and arrays on the way. */
export function setPath(target: Record<string, unknown>, path: (string | number)[], value: unknown) {
  let o: any = target;
  path.forEach((k, n) => {
    if (n === path.length - 1) o[k] = value;
    else o = o[k] ??= typeof path[n + 1] === 'number' ? [] : {};
  });
}
