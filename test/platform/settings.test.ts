import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Caller } from '../../services/lib/auth';
import { DEV_PG_PASSWORD, createPool, migrateService, serviceUrl, withTx, type Pool } from '../../services/lib/db';
import { AppError } from '../../services/lib/errors';
import { getProposal, listProposals, proposalAudit, propose } from '../../services/lib/proposals';
import { decideSetting, jsonBigint, proposeSetting, settingAt, settingHistory, settingVersionAt } from '../../services/lib/settings';
import { probeMigrations } from '../fixtures/probe';
import { eventually, freshDatabase } from '../support/env';

const wang: Caller = { subject: 'wang', role: 'clerk' };
const wangApproving: Caller = { subject: 'wang', role: 'approver' };
const zhao: Caller = { subject: 'zhao', role: 'approver' };
const qian: Caller = { subject: 'qian', role: 'approver' };
/** The adjustment service drafting for clerk li. */
const liViaAdjustment: Caller = { subject: 'adjustment', role: 'service', actor: { subject: 'li', role: 'clerk' } };

/** A medical-subsidy setting: a share in basis points and an annual cap in fen. */
const ratio = z.object({ ratioBp: z.number().int().min(0).max(10_000), capFen: jsonBigint.optional() });

let n = 0;
const newKey = () => `settlement.ratio.fund610200_${++n}`;

/** What an AppError refusal says (kind, reason, field paths). */
async function refusal(p: Promise<unknown>): Promise<{ kind: string; reason: string; fields: string[] }> {
  try {
    await p;
  } catch (err) {
    if (err instanceof AppError) return { kind: err.kind, reason: err.reason, fields: err.violations.map((v) => v.field) };
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('proposals and effective-dated settings on the real database', () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let pool: Pool;

  beforeAll(async () => {
    db = await freshDatabase('settings');
    await migrateService(db.adminUrl, 'probe', probeMigrations, DEV_PG_PASSWORD);
    pool = createPool(serviceUrl(db.adminUrl, 'probe', DEV_PG_PASSWORD), { schema: 'probe', application: 'test' });
  });
  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });

  const proposeRatio = (key: string, value: unknown, effectiveFrom: string, caller: Caller = wang) =>
    withTx(pool, (tx) => proposeSetting(tx, { key, schema: ratio, value, effectiveFrom, caller, note: 'bureau notice 2025-3' }));
  const approve = (id: string, caller: Caller = zhao) => withTx(pool, (tx) => decideSetting(tx, id, { decision: 'APPROVED', caller, note: 'checked' }));

  /** Sessions of this database waiting on a lock (row lock or advisory lock). */
  const waitingOnLock = async () => {
    const r = await pool.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'");
    return r.rows[0]!.n > 0 ? true : undefined;
  };

  it('makes an approved value effective from its date, not before, with money kept exact', async () => {
    const key = newKey();
    const p = await proposeRatio(key, { ratioBp: 8000, capFen: 9_007_199_254_740_993n }, '2025-01-01');
    expect(p).toMatchObject({ kind: 'setting', subject: key, status: 'PENDING', version: 1n, proposedBy: 'wang', proposedRole: 'clerk', proposedVia: null });
    expect(p.payload).toEqual({ key, effectiveFrom: '2025-01-01', value: { ratioBp: 8000, capFen: '9007199254740993' } });
    expect(await settingAt(pool, key, ratio, '2025-06-30')).toBeUndefined();

    const { proposal, setting } = await approve(p.id);
    expect(proposal).toMatchObject({ status: 'APPROVED', version: 2n, decidedBy: 'zhao', decidedRole: 'approver', decisionNote: 'checked' });
    expect(setting).toMatchObject({ key, effectiveFrom: '2025-01-01', proposalId: p.id, approvedBy: 'zhao' });

    expect(await settingAt(pool, key, ratio, '2024-12-31')).toBeUndefined();
    expect(await settingAt(pool, key, ratio, '2025-01-01')).toEqual({ ratioBp: 8000, capFen: 9_007_199_254_740_993n });
    expect(await settingAt(pool, key, ratio, '2030-02-28')).toEqual({ ratioBp: 8000, capFen: 9_007_199_254_740_993n });
    expect(await settingVersionAt(pool, key, ratio, '2025-03-01')).toMatchObject({ proposalId: p.id, proposedBy: 'wang', approvedBy: 'zhao', note: 'bureau notice 2025-3' });
    expect((await refusal(settingAt(pool, key, ratio, '2025-13-01'))).fields).toEqual(['date']);

    const trail = await proposalAudit(pool, p.id);
    expect(trail.map(({ action, actor, actorRole, via, note }) => ({ action, actor, actorRole, via, note }))).toEqual([
      { action: 'PROPOSED', actor: 'wang', actorRole: 'clerk', via: null, note: 'bureau notice 2025-3' },
      { action: 'APPROVED', actor: 'zhao', actorRole: 'approver', via: null, note: 'checked' },
    ]);
    expect(trail.every((e) => e.at instanceof Date)).toBe(true);
  });

  it('refuses an approver deciding on their own proposal (OWN_PROPOSAL) and leaves it pending', async () => {
    const p = await proposeRatio(newKey(), { ratioBp: 6000 }, '2025-01-01');
    expect(await refusal(approve(p.id, wangApproving))).toMatchObject({ kind: 'PERMISSION_DENIED', reason: 'OWN_PROPOSAL' });
    expect((await getProposal(pool, p.id))?.status).toBe('PENDING');
    expect(await proposalAudit(pool, p.id)).toHaveLength(1);
  });

  it('lets only an approver with their own token decide, and only clerks propose', async () => {
    const key = newKey();
    const p = await proposeRatio(key, { ratioBp: 6000 }, '2025-01-01');
    expect(await refusal(approve(p.id, { subject: 'sun', role: 'clerk' }))).toMatchObject({ kind: 'PERMISSION_DENIED', reason: 'ROLE_NOT_ALLOWED' });
    expect(await refusal(approve(p.id, { subject: 'zhou', role: 'auditor' }))).toMatchObject({ kind: 'PERMISSION_DENIED', reason: 'ROLE_NOT_ALLOWED' });
    const delegatedApprover: Caller = { subject: 'adjustment', role: 'service', actor: { subject: 'zhao', role: 'approver' } };
    expect(await refusal(approve(p.id, delegatedApprover))).toMatchObject({ kind: 'PERMISSION_DENIED', reason: 'APPROVAL_NOT_DELEGABLE' });
    expect(await refusal(proposeRatio(key, { ratioBp: 5000 }, '2025-01-01', zhao))).toMatchObject({ kind: 'PERMISSION_DENIED', reason: 'ROLE_NOT_ALLOWED' });
    expect((await getProposal(pool, p.id))?.status).toBe('PENDING');
    expect(await settingAt(pool, key, ratio, '2025-01-01')).toBeUndefined();
  });

  it('decides once: a second decision is PROPOSAL_NOT_PENDING; unknown ids and stale versions are refused', async () => {
    const p = await proposeRatio(newKey(), { ratioBp: 6000 }, '2025-01-01');
    expect(await refusal(withTx(pool, (tx) => decideSetting(tx, p.id, { decision: 'APPROVED', caller: zhao, expectedVersion: 2n })))).toMatchObject({
      kind: 'ABORTED',
      reason: 'STALE_VERSION',
    });
    await withTx(pool, (tx) => decideSetting(tx, p.id, { decision: 'APPROVED', caller: zhao, expectedVersion: 1n }));
    expect(await refusal(approve(p.id, qian))).toMatchObject({ kind: 'FAILED_PRECONDITION', reason: 'PROPOSAL_NOT_PENDING' });
    expect(await refusal(withTx(pool, (tx) => decideSetting(tx, p.id, { decision: 'REJECTED', caller: qian })))).toMatchObject({ reason: 'PROPOSAL_NOT_PENDING' });
    expect(await refusal(approve(randomUUID()))).toMatchObject({ kind: 'NOT_FOUND', reason: 'PROPOSAL_NOT_FOUND' });
    expect(await refusal(approve('not-a-uuid'))).toMatchObject({ kind: 'NOT_FOUND', reason: 'PROPOSAL_NOT_FOUND' });
    // A proposal of another kind is not a setting proposal.
    const other = await withTx(pool, (tx) => propose(tx, { kind: 'cap.reset', subject: 'p-1', payload: { year: 2025 }, caller: wang }));
    expect(await refusal(approve(other.id))).toMatchObject({ kind: 'NOT_FOUND', reason: 'PROPOSAL_NOT_FOUND' });
    expect((await proposalAudit(pool, p.id)).map((e) => e.action)).toEqual(['PROPOSED', 'APPROVED']);
  });

  it('lets exactly one of two concurrent approvals of one proposal succeed', async () => {
    const key = newKey();
    const p = await proposeRatio(key, { ratioBp: 7000 }, '2025-01-01');
    let second: Promise<unknown> | undefined;
    const first = await withTx(pool, async (tx) => {
      const mine = await decideSetting(tx, p.id, { decision: 'APPROVED', caller: zhao });
      // The second approver's transaction starts while the first still holds the row, and waits.
      second = approve(p.id, qian);
      await eventually(waitingOnLock, 10_000, 'the second approval to wait on the row lock');
      return mine;
    });
    expect(first.proposal.decidedBy).toBe('zhao');
    expect(await refusal(second!)).toMatchObject({ kind: 'FAILED_PRECONDITION', reason: 'PROPOSAL_NOT_PENDING' });
    expect((await proposalAudit(pool, p.id)).map((e) => [e.action, e.actor])).toEqual([
      ['PROPOSED', 'wang'],
      ['APPROVED', 'zhao'],
    ]);
    expect(await settingHistory(pool, key)).toHaveLength(1);
  });

  it('serialises concurrent approvals of two values for one date: the later approval supersedes', async () => {
    const key = newKey();
    const a = await proposeRatio(key, { ratioBp: 8000 }, '2025-01-01');
    const b = await proposeRatio(key, { ratioBp: 7500 }, '2025-01-01');
    let second: Promise<unknown> | undefined;
    await withTx(pool, async (tx) => {
      await decideSetting(tx, a.id, { decision: 'APPROVED', caller: zhao });
      second = approve(b.id, qian);
      await eventually(waitingOnLock, 10_000, 'the second approval to wait on the key');
    });
    await second;
    expect(await settingAt(pool, key, ratio, '2025-05-01')).toEqual({ ratioBp: 7500 });
    expect((await settingHistory(pool, key)).map((v) => [v.proposalId, v.supersededBy])).toEqual([
      [a.id, b.id],
      [b.id, null],
    ]);
  });

  it('never applies a rejected proposal', async () => {
    const key = newKey();
    const p = await proposeRatio(key, { ratioBp: 9000 }, '2025-01-01');
    const { proposal, setting } = await withTx(pool, (tx) => decideSetting(tx, p.id, { decision: 'REJECTED', caller: zhao, note: 'wrong notice' }));
    expect(proposal).toMatchObject({ status: 'REJECTED', decidedBy: 'zhao', decisionNote: 'wrong notice' });
    expect(setting).toBeUndefined();
    expect(await settingAt(pool, key, ratio, '2026-01-01')).toBeUndefined();
    expect(await settingHistory(pool, key)).toEqual([]);
    expect(await refusal(approve(p.id, qian))).toMatchObject({ reason: 'PROPOSAL_NOT_PENDING' });
    expect(await settingAt(pool, key, ratio, '2026-01-01')).toBeUndefined();
    expect((await proposalAudit(pool, p.id)).map((e) => [e.action, e.note])).toEqual([
      ['PROPOSED', 'bureau notice 2025-3'],
      ['REJECTED', 'wrong notice'],
    ]);
  });

  it('keeps superseded versions in the history and answers each date with the value then in force', async () => {
    const key = newKey();
    const first = await proposeRatio(key, { ratioBp: 8000, capFen: 3_000_000n }, '2025-01-01');
    await approve(first.id);
    const correction = await proposeRatio(key, { ratioBp: 8500, capFen: 3_000_000n }, '2025-01-01');
    await approve(correction.id, qian);
    const july = await proposeRatio(key, { ratioBp: 6000, capFen: 2_000_000n }, '2025-07-01');
    await approve(july.id);

    expect(await settingAt(pool, key, ratio, '2025-06-30')).toEqual({ ratioBp: 8500, capFen: 3_000_000n });
    expect(await settingAt(pool, key, ratio, '2025-07-01')).toEqual({ ratioBp: 6000, capFen: 2_000_000n });
    const history = await settingHistory(pool, key, ratio);
    expect(history.map((v) => ({ id: v.proposalId, from: v.effectiveFrom, value: v.value, supersededBy: v.supersededBy, approvedBy: v.approvedBy }))).toEqual([
      { id: first.id, from: '2025-01-01', value: { ratioBp: 8000, capFen: 3_000_000n }, supersededBy: correction.id, approvedBy: 'zhao' },
      { id: correction.id, from: '2025-01-01', value: { ratioBp: 8500, capFen: 3_000_000n }, supersededBy: null, approvedBy: 'qian' },
      { id: july.id, from: '2025-07-01', value: { ratioBp: 6000, capFen: 2_000_000n }, supersededBy: null, approvedBy: 'zhao' },
    ]);
    // Without a schema the history gives the stored JSON (bigints as strings).
    expect((await settingHistory(pool, key))[0]!.value).toEqual({ ratioBp: 8000, capFen: '3000000' });

    const pending = await listProposals(pool, { kind: 'setting', subject: key, page: { size: 2, token: '' } });
    expect(pending.items.map((p) => p.id)).toEqual([july.id, correction.id]);
    const rest = await listProposals(pool, { kind: 'setting', subject: key, page: { size: 2, token: pending.nextPageToken } });
    expect(rest).toEqual({ items: [expect.objectContaining({ id: first.id })], nextPageToken: '' });
    expect((await listProposals(pool, { kind: 'setting', subject: key, status: 'PENDING', page: { size: 10, token: '' } })).items).toEqual([]);
  });

  it('refuses a bad date or value with the field paths of every problem', async () => {
    const key = newKey();
    expect(await refusal(proposeRatio(key, { ratioBp: 6000 }, '2025-02-29'))).toEqual({ kind: 'INVALID_ARGUMENT', reason: 'INVALID_FIELD', fields: ['effectiveFrom'] });
    expect(await refusal(proposeRatio(key, { ratioBp: 6000 }, '2025-1-1'))).toMatchObject({ fields: ['effectiveFrom'] });
    expect(await refusal(proposeRatio(key, { ratioBp: 12_000, capFen: '30000.5' }, '2025-01-01'))).toEqual({
      kind: 'INVALID_ARGUMENT',
      reason: 'INVALID_FIELD',
      fields: ['value.ratioBp', 'value.capFen'],
    });
    expect(await refusal(proposeRatio('Bad key', 'x', 'soon'))).toMatchObject({ fields: ['key', 'effectiveFrom', 'value'] });
    expect(
      await refusal(withTx(pool, (tx) => proposeSetting(tx, { key, schema: ratio, value: { ratioBp: 1 }, effectiveFrom: '2025-01-01', caller: wang, note: ' ' }))),
    ).toMatchObject({ fields: ['note'] });
    expect((await listProposals(pool, { subject: key, page: { size: 10, token: '' } })).items).toEqual([]);
  });

  it('records a delegated proposal as made by the person via the service', async () => {
    const key = newKey();
    const p = await proposeRatio(key, { ratioBp: 6000 }, '2025-01-01', liViaAdjustment);
    expect(p).toMatchObject({ proposedBy: 'li', proposedRole: 'clerk', proposedVia: 'adjustment' });
    // Maker ≠ checker applies to the person, not to the service that carried the proposal.
    expect(await refusal(approve(p.id, { subject: 'li', role: 'approver' }))).toMatchObject({ reason: 'OWN_PROPOSAL' });
    await approve(p.id);
    expect((await proposalAudit(pool, p.id)).map(({ action, actor, actorRole, via }) => ({ action, actor, actorRole, via }))).toEqual([
      { action: 'PROPOSED', actor: 'li', actorRole: 'clerk', via: 'adjustment' },
      { action: 'APPROVED', actor: 'zhao', actorRole: 'approver', via: null },
    ]);
    expect(await settingVersionAt(pool, key, ratio, '2025-01-01')).toMatchObject({ proposedBy: 'li', proposedVia: 'adjustment', approvedBy: 'zhao' });
  });
});
