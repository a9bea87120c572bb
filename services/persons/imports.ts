/**
 * Bulk imports (ImportPersons): a stream of records staged into one IMPORT change request, each
 * record on its own, answered per record; the change is approved once like a registration.
 */
import { randomUUID } from 'node:crypto';
import type { Caller } from '../lib/auth';
import { addMonths, monthOf, type YearMonth } from '../lib/civil';
import { withTx, type Pool } from '../lib/db';
import { failedPrecondition } from '../lib/errors';
import type { Registration } from './domain/types';
import { who, type PersonsService } from './service';
import * as store from './store';

interface Deps {
  svc: PersonsService;
  pool: Pool;
}

/** One import record after parsing: a registration, or why it is rejected. */
export type ImportItem =
  | { row: number; ok: true; reg: Registration }
  | { row: number; ok: false; reason: string; field: string; message: string };

/** An import in progress (its change request exists once a record was accepted). */
export interface ImportRef {
  id: string;
  key: string;
  summary: string;
  proposedBy: string;
  proposedVia: string | null;
}

export interface ImportResult {
  row: number;
  accepted: boolean;
  alreadyImported: boolean;
  reason: string;
  field: string;
  message: string;
}

/**
 * Finds the import of an idempotency key, or prepares a new one (written only once a record is
 * accepted). Another clerk's key → FAILED_PRECONDITION.
 */
export async function openImport(d: Deps, key: string, description: string, caller: Caller): Promise<ImportRef> {
  const me = who(caller);
  const existing = await store.getImportChange(d.pool, key);
  if (existing && existing.proposed_by !== me.subject) throw failedPrecondition('IMPORT_KEY_IN_USE', 'this idempotency key belongs to another clerk’s import');
  return {
    id: existing?.id ?? randomUUID(),
    key,
    summary: existing?.summary ?? `import ${key}${description ? `: ${description}` : ''}`.slice(0, 500),
    proposedBy: me.subject,
    proposedVia: me.via,
  };
}

/**
 * Stages a batch of parsed records into an import, each on its own (a record is one row: never
 * half-written). Answers per record, in order.
 */
export async function importBatch(d: Deps, ref: ImportRef, items: readonly ImportItem[]): Promise<ImportResult[]> {
  const results: ImportResult[] = new Array<ImportResult>(items.length);
  const ok = (row: number, alreadyImported = false): ImportResult => ({ row, accepted: true, alreadyImported, reason: '', field: '', message: '' });
  const no = (row: number, reason: string, message: string, field = ''): ImportResult => ({ row, accepted: false, alreadyImported: false, reason, field, message });
  const candidates: { n: number; item: Extract<ImportItem, { ok: true }>; staged: store.StagedPerson }[] = [];
  const seenHash = new Map<string, number>();
  const seenRow = new Set<number>();
  items.forEach((it, n) => {
    if (!it.ok) {
      results[n] = no(it.row, it.reason, it.message, it.field);
      return;
    }
    if (seenRow.has(it.row)) {
      results[n] = no(it.row, 'DUPLICATE_ROW', 'this row number was already sent', 'row');
      return;
    }
    seenRow.add(it.row);
    const staged = d.svc.stage(it.reg, ref.id, it.row);
    const twin = seenHash.get(staged.id_hash);
    if (twin !== undefined) {
      results[n] = no(it.row, 'DUPLICATE_IN_IMPORT', `the same national ID number is in row ${twin}`, 'person.nationalId');
      return;
    }
    seenHash.set(staged.id_hash, it.row);
    candidates.push({ n, item: it, staged });
  });
  if (candidates.length) {
    await withTx(d.pool, async (tx) => {
      let c = await store.getChange(tx, ref.id, true);
      let created = false;
      if (!c) {
        const r = await tx.query<store.ChangeRow>(
          `INSERT INTO change_requests (id, kind, status, base_version, effective_date, summary, proposed_by, proposed_via, import_key)
           VALUES ($1, 'IMPORT', 'OPEN', 0, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING *`,
          [ref.id, d.svc.today(), ref.summary, ref.proposedBy, ref.proposedVia, ref.key],
        );
        if (!r.rows[0]) throw failedPrecondition('IMPORT_KEY_IN_USE', 'another stream is importing with this idempotency key');
        c = r.rows[0];
        created = true;
      }
      const open = c.status === 'OPEN';
      const inserted = open ? await store.stagePersons(tx, candidates.map((x) => x.staged)) : new Set<number>();
      const rest = candidates.filter((x) => !inserted.has(x.item.row));
      const held = await store.claims(tx, rest.map((x) => x.staged.id_hash));
      const rowsTaken = await store.stagedRows(tx, ref.id, rest.map((x) => x.item.row));
      for (const { n, item, staged } of candidates) {
        const set = (r: ImportResult) => (results[n] = r);
        if (inserted.has(item.row)) {
          set(ok(item.row));
          continue;
        }
        const h = held.get(staged.id_hash);
        if (h?.changeId === ref.id && h.rowNo === item.row) set(ok(item.row, true));
        else if (h?.changeId === ref.id) set(no(item.row, 'DUPLICATE_IN_IMPORT', `the same national ID number is in row ${h.rowNo}`, 'person.nationalId'));
        else if (h) {
          set(
            h.status === 'APPROVED'
              ? no(item.row, 'DUPLICATE_PERSON', 'a person with this national ID number is already registered', 'person.nationalId')
              : no(item.row, 'DUPLICATE_PENDING', 'a pending registration or import already holds this national ID number', 'person.nationalId'),
          );
        } else if (!open) set(no(item.row, 'IMPORT_CLOSED', `the import is ${c.status.toLowerCase()}; start a new one with another key`));
        else if (rowsTaken.has(item.row)) set(no(item.row, 'DUPLICATE_ROW', 'this row number holds another person in this import', 'row'));
        else set(no(item.row, 'DUPLICATE_PENDING', 'the national ID number was claimed concurrently', 'person.nationalId'));
      }
      if (inserted.size) await tx.query('UPDATE change_requests SET record_count = record_count + $2 WHERE id = $1', [ref.id, inserted.size]);
      else if (created) await tx.query('DELETE FROM change_requests WHERE id = $1', [ref.id]); // nothing accepted: leave no trace
    });
  }
  return results;
}

/**
 * Ends an import stream. `complete`: the file ended properly, so an OPEN import becomes PROPOSED
 * (ready for one approval); otherwise it stays OPEN. Undefined when nothing was ever accepted.
 */
export async function closeImport(d: Deps, ref: ImportRef, complete: boolean): Promise<store.ChangeRow | undefined> {
  return withTx(d.pool, async (tx) => {
    const c = await store.getChange(tx, ref.id, true);
    if (!c || c.status !== 'OPEN' || !complete) return c;
    const r = await tx.query<store.ChangeRow>(
      "UPDATE change_requests SET status = 'PROPOSED', record_count = (SELECT count(*) FROM staged_persons WHERE change_id = $1) WHERE id = $1 RETURNING *",
      [ref.id],
    );
    return r.rows[0]!;
  });
}

/** First month Youfu pays an imported person: after `paidThrough`, never before the approval month. */
export function importHistoryFrom(approvalDate: string, paidThrough: YearMonth | null): YearMonth | null {
  if (!paidThrough) return null;
  const next = addMonths(paidThrough, 1);
  return next > monthOf(approvalDate) ? next : monthOf(approvalDate);
}
