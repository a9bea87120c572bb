/**
 * A legacy registry's file as ImportPersons records: the header row names the columns (the
 * registration's field words in Chinese or English, console/src/registration.ts, and 已发放至 /
 * Paid through), each later row is one person. Nothing is judged here: values are carried as the
 * file has them (a word becomes its enum name, a date its { year, month, day }), and the persons
 * service accepts or rejects each row with its reason and field.
 */
import { yearMonth } from './api';
import { ENUMS, WORDS } from './i18n';
import { FIELDS, personRequest, setPath, type PersonValues } from './registration';

/** A file's rows as text: the header first. */
export type Table = string[][];

export interface ParsedFile {
  header: string[];
  /** The data rows as read (for the errors file). */
  rows: string[][];
  records: { row: number; person: ReturnType<typeof personRequest>; paidThrough?: { year: number; month: number } }[];
  /** Columns of the file no field has (ignored). */
  unknownColumns: string[];
}

const PAID_THROUGH = [WORDS.zh.paidThrough, WORDS.en.paidThrough];
const norm = (s: string) => s.trim().toLowerCase();

/** YYYY-MM-DD from 2021-09-01, 2021/9/1, 2021.09.01 or 20210901; the text as it is otherwise (the API refuses it by field). */
export function dateText(s: string): string {
  const m = /^(\d{4})[-/.]?(\d{1,2})[-/.]?(\d{1,2})$/.exec(s.trim());
  return m ? `${m[1]}-${m[2]!.padStart(2, '0')}-${m[3]!.padStart(2, '0')}` : s.trim();
}

/** An enum from its Chinese word, its proto name or the name without the prefix; UNSPECIFIED when none (the API then says the field is required). */
export function enumOf(prefix: string, s: string): string {
  const v = s.trim();
  if (!v) return `${prefix}UNSPECIFIED`;
  const zh = Object.entries(ENUMS.zh).find(([k, w]) => k.startsWith(prefix) && w === v)?.[0];
  if (zh) return zh;
  const name = v.toUpperCase().replace(/[\s-]+/g, '_');
  const known = Object.keys(ENUMS.zh);
  return known.includes(name) ? name : known.includes(`${prefix}${name}`) ? `${prefix}${name}` : `${prefix}UNSPECIFIED`;
}

/** The records of a file's table; row numbers are the file's (the header is row 1). */
export function parseTable(table: Table): ParsedFile {
  const [header = [], ...rows] = table;
  const fieldAt = header.map((h) => FIELDS.find((f) => norm(WORDS.zh[f.word]) === norm(h) || norm(WORDS.en[f.word]) === norm(h)));
  const paidAt = header.findIndex((h) => PAID_THROUGH.some((w) => norm(w) === norm(h)));
  const unknownColumns = header.filter((h, n) => h.trim() && !fieldAt[n] && n !== paidAt);
  const records: ParsedFile['records'] = [];
  const kept: string[][] = [];
  rows.forEach((cells, n) => {
    if (cells.every((c) => !c.trim())) return;
    const person: Record<string, unknown> = { identities: [{ attributes: {} }] };
    header.forEach((_, i) => {
      const f = fieldAt[i];
      const v = (cells[i] ?? '').trim();
      if (!f || (!v && !f.required)) return;
      setPath(person, f.path, f.kind === 'enum' ? enumOf(f.prefix!, v) : f.kind === 'date' ? dateText(v) : f.kind === 'grade' ? (/^\d{1,2}$/.test(v) ? Number(v) : 0) : v);
    });
    const paid = paidAt >= 0 ? (cells[paidAt] ?? '').trim() : '';
    records.push({ row: n + 2, person: personRequest(person as unknown as PersonValues), ...(/^\d{4}-\d{2}$/.test(paid) ? { paidThrough: yearMonth.fromString(paid) } : {}) });
    kept.push(cells);
  });
  return { header, rows: kept, records, unknownColumns };
}

/** The template's header: every field's Chinese word, then 已发放至. */
export const templateHeader = () => [...FIELDS.map((f) => WORDS.zh[f.word]), WORDS.zh.paidThrough];

/** A cell of an XLSX sheet (exceljs) as text: dates as YYYY-MM-DD, rich text joined, a formula's result. */
export function cellText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (v instanceof Date) return v.toISOString().slice(0, 10);
  if (typeof v === 'object') {
    const o = v as { richText?: { text: string }[]; text?: string; result?: unknown };
    if (o.richText) return o.richText.map((r) => r.text).join('');
    if (o.result !== undefined) return cellText(o.result);
    if (o.text !== undefined) return String(o.text);
  }
  return String(v);
}

/** The idempotency key of a file: its name and the start of its SHA-256, so the same file resumes its import. */
export async function importKey(name: string, bytes: ArrayBuffer): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  const hex = [...digest.slice(0, 16)].map((b) => b.toString(16).padStart(2, '0')).join('');
  return `${name.slice(0, 150)}:${hex}`;
}
