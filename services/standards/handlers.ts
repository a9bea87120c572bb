/** gRPC handlers of youfu.standards.v1.SubsidyStandardService: parse, decide with the domain rules, store, record events. */
import { randomUUID } from 'node:crypto';
import { SubsidyStandardServiceService } from '../../protos/gen/youfu/standards/v1/standards';
import { assertNotOwnProposal, effective, policies, type Caller } from '../lib/auth';
import { decodeCursor, pageOf } from '../lib/paging';
import type { Clock } from '../lib/civil';
import { withTx, type Pool, type Tx } from '../lib/db';
import { aborted, alreadyExists, failedPrecondition, notFound, parseInput } from '../lib/errors';
import { bindService, classifyError, type CallContext, type Handlers } from '../lib/grpc';
import { diffRows } from './domain/diff';
import { indexRows } from './domain/indexation';
import { describeKey, keyString, type Row } from './domain/keys';
import type { LookupQuery, LookupSettings } from './domain/lookup';
import {
  assertApprovable,
  assertApproved,
  assertBaseNotSuperseded,
  assertCandidate,
  assertDiscardable,
  assertDraft,
  assertNoDuplicateDate,
  assertRevision,
  assertSameSeries,
  makersOf,
  type Version,
} from './domain/versions';
import { recordIndexValuePublished, recordPublished } from './events';
import { attempt, createLookups, type Before, type Candidate } from './lookups';
import * as s from './schemas';
import * as store from './store';
import { benefitToProto, indexValueToProto, keyToProto, ruleToProto, rowToProto, versionToProto } from './wire';

export interface StandardsSettings extends LookupSettings {
  /** Default rounding unit of indexed drafts, fen. */
  roundingUnitFen: bigint;
}

export interface StandardsDeps {
  pool: Pool;
  clock: Clock;
  settings: StandardsSettings;
}

type Service = typeof SubsidyStandardServiceService;

/** Who may call each RPC (architecture.md defaults). */
export const standardsPolicies = {
  createDraft: policies.propose,
  upsertDraftRows: policies.propose,
  deleteDraftRows: policies.propose,
  proposeIndexedDraft: policies.propose,
  correctPublishedVersion: policies.propose,
  setIndexValue: policies.propose,
  proposeIndexValue: policies.propose,
  approveIndexValue: policies.decide,
  approveVersion: policies.decide,
  publishVersion: policies.decide,
  diffVersions: policies.read,
  getVersion: policies.read,
  listVersions: policies.read,
  listIndexValues: policies.read,
  lookupBenefit: policies.read,
  batchLookupBenefits: policies.read,
  discardDraft: [...policies.propose, ...policies.decide],
} satisfies Record<keyof Service, unknown>;

/**
 * Who may act for a person here (README "Delegations"): the adjustment service drafts for the clerk
 * who started an annual adjustment. Approving and publishing are never delegated.
 */
const draftingForClerk = [{ service: 'adjustment', as: ['clerk'] }] as const;
export const standardsDelegations = {
  createDraft: draftingForClerk,
  upsertDraftRows: draftingForClerk,
  deleteDraftRows: draftingForClerk,
  proposeIndexedDraft: draftingForClerk,
  correctPublishedVersion: draftingForClerk,
  discardDraft: draftingForClerk,
};

async function mustGet(q: Tx | Pool, id: string, forUpdate = false): Promise<Version> {
  const v = await store.getVersion(q, id, forUpdate);
  if (!v) throw notFound(`standards version ${id}`, 'VERSION_NOT_FOUND');
  return v;
}

/** A unique-index violation on the published series means another publish won the race. */
function duplicateDateRace(err: unknown): never {
  if ((err as { code?: string }).code === '23505') throw alreadyExists('a published version of this level, region and effective date', 'DUPLICATE_EFFECTIVE_DATE');
  throw err;
}

const toQuery = (r: s.LookupRequest): LookupQuery => ({ identity: r.attributes, districtCode: r.districtCode, date: r.date });

/** The status a single call would have failed with, as a batch item's error. */
function itemError(err: unknown, ctx: CallContext) {
  const e = classifyError(err, ctx.log, ctx.requestId);
  return { code: e.code, reason: e.reason, message: e.message, fields: e.violations.map((v) => v.field) };
}

export function createStandardsHandlers({ pool, clock, settings }: StandardsDeps): Handlers<Service> {
  const lookupAll = createLookups(pool, settings);

  /** ProposeIndexValue, and the deprecated SetIndexValue that behaves as it. */
  async function proposeIndex(req: unknown, ctx: CallContext) {
    const r = parseInput(s.setIndexValueRequest, req);
    const stored = await store.proposeIndexValue(pool, { kind: r.kind, cityCode: r.cityCode, year: r.year, valueFen: r.value, by: effective(ctx.caller).subject, at: clock.now() }, r.expectedRevision);
    if (!stored)
      throw aborted(
        'STALE_REVISION',
        r.expectedRevision === 0n
          ? `${r.kind} of ${r.cityCode} for ${r.year} already exists; send its revision to replace it`
          : `${r.kind} of ${r.cityCode} for ${r.year} is not at revision ${r.expectedRevision}; re-read it and retry`,
      );
    return { value: indexValueToProto(stored) };
  }

  /** Creates a DRAFT with `rows` in `tx` and returns it. */
  async function newDraft(tx: Tx, v: Omit<store.NewVersion, 'id' | 'createdAt'>, rows: Row[]): Promise<Version> {
    if (!v.correctsVersionId) assertNoDuplicateDate(v, await store.publishedOn(tx, v.level, v.regionCode, v.effectiveFrom));
    const id = randomUUID();
    await store.insertDraft(tx, { ...v, id, createdAt: clock.now() });
    await store.upsertRows(tx, id, rows);
    return mustGet(tx, id);
  }

  /** Runs `change` on a DRAFT at the expected revision, then bumps its revision and records the editor. */
  async function editDraft(id: string, expected: bigint, caller: Caller, change: (tx: Tx, v: Version) => Promise<void>) {
    return withTx(pool, async (tx) => {
      const v = await mustGet(tx, id, true);
      assertDraft(v);
      assertRevision(v, expected);
      await change(tx, v);
      await store.updateVersion(tx, id, { editedBy: effective(caller).subject, at: clock.now() });
      return { version: versionToProto(await mustGet(tx, id)) };
    });
  }

  return {
    async createDraft(req, ctx) {
      const r = parseInput(s.createDraftRequest, req);
      return withTx(pool, async (tx) => {
        let rows: Row[] = [];
        if (r.baseVersionId) {
          const base = await mustGet(tx, r.baseVersionId);
          assertSameSeries(r, base);
          assertBaseNotSuperseded(base);
          rows = await store.rowsOfVersion(tx, base.id);
        }
        const v = await newDraft(tx, { ...r, correctsVersionId: null, createdBy: effective(ctx.caller).subject }, rows);
        return { version: versionToProto(v) };
      });
    },

    async upsertDraftRows(req, ctx) {
      const r = parseInput(s.upsertDraftRowsRequest, req);
      return editDraft(r.versionId, r.expectedRevision, ctx.caller, (tx) => store.upsertRows(tx, r.versionId, r.rows));
    },

    async deleteDraftRows(req, ctx) {
      const r = parseInput(s.deleteDraftRowsRequest, req);
      return editDraft(r.versionId, r.expectedRevision, ctx.caller, async (tx) => {
        const have = new Set((await store.rowsOfVersion(tx, r.versionId)).map((row) => keyString(row.key)));
        const absent = r.keys.find((k) => !have.has(keyString(k)));
        if (absent) throw notFound(`row ${describeKey(absent)} in version ${r.versionId}`, 'ROW_NOT_FOUND');
        await store.deleteRows(tx, r.versionId, r.keys);
      });
    },

    async proposeIndexedDraft(req, ctx) {
      const r = parseInput(s.proposeIndexedDraftRequest(settings.roundingUnitFen), req);
      return withTx(pool, async (tx) => {
        const base = await mustGet(tx, r.baseVersionId);
        if (base.status !== 'PUBLISHED') throw failedPrecondition('BASE_NOT_PUBLISHED', `base version ${base.id} is ${base.status}; index a PUBLISHED version`);
        if (r.effectiveFrom <= base.effectiveFrom)
          throw failedPrecondition('EFFECTIVE_DATE_NOT_AFTER_BASE', `an indexed draft must take effect after its base (${base.effectiveFrom}), not ${r.effectiveFrom}`);
        const rows = indexRows(await store.rowsOfVersion(tx, base.id), r.rules, r.roundingUnit);
        const v = await newDraft(
          tx,
          { title: r.title, documentNumber: r.documentNumber, source: r.source, level: base.level, regionCode: base.regionCode, effectiveFrom: r.effectiveFrom, baseVersionId: base.id, correctsVersionId: null, createdBy: effective(ctx.caller).subject },
          rows,
        );
        return { version: versionToProto(v) };
      });
    },

    async correctPublishedVersion(req, ctx) {
      const r = parseInput(s.correctPublishedVersionRequest, req);
      return withTx(pool, async (tx) => {
        const old = await mustGet(tx, r.versionId);
        if (old.status !== 'PUBLISHED') throw failedPrecondition('VERSION_NOT_PUBLISHED', `version ${old.id} is ${old.status}; only a PUBLISHED version can be corrected`);
        const v = await newDraft(
          tx,
          {
            title: r.title || old.title,
            documentNumber: r.documentNumber || old.documentNumber,
            source: r.source || old.source,
            level: old.level,
            regionCode: old.regionCode,
            effectiveFrom: old.effectiveFrom,
            baseVersionId: old.id,
            correctsVersionId: old.id,
            createdBy: effective(ctx.caller).subject,
          },
          await store.rowsOfVersion(tx, old.id),
        );
        return { version: versionToProto(v) };
      });
    },

    async diffVersions(req) {
      const r = parseInput(s.diffVersionsRequest, req);
      await Promise.all([mustGet(pool, r.fromVersionId), mustGet(pool, r.toVersionId)]);
      const rows = await store.rowsOf(pool, [r.fromVersionId, r.toVersionId]);
      const d = diffRows(rows.get(r.fromVersionId)!, rows.get(r.toVersionId)!);
      return {
        added: d.added.map(rowToProto),
        changed: d.changed.map((c) => ({ key: keyToProto(c.key), from: { key: keyToProto(c.key), rule: ruleToProto(c.from) }, to: { key: keyToProto(c.key), rule: ruleToProto(c.to) } })),
        removed: d.removed.map(rowToProto),
        unchangedCount: d.unchanged,
      };
    },

    async discardDraft(req, ctx) {
      const r = parseInput(s.discardRequest, req);
      return withTx(pool, async (tx) => {
        const v = await mustGet(tx, r.versionId, true);
        assertDiscardable(v);
        assertRevision(v, r.expectedRevision);
        await store.discardVersion(tx, v.id, effective(ctx.caller).subject, r.reason, clock.now());
        return { version: versionToProto(await mustGet(tx, v.id)) };
      });
    },

    async approveVersion(req, ctx) {
      const r = parseInput(s.decideRequest, req);
      return withTx(pool, async (tx) => {
        const v = await mustGet(tx, r.versionId, true);
        assertDraft(v);
        assertRevision(v, r.expectedRevision);
        assertNotMaker(ctx.caller, v);
        const rows = await store.rowsOf(tx, v.baseVersionId ? [v.id, v.baseVersionId] : [v.id]);
        assertApprovable(v, rows.get(v.id)!, v.baseVersionId ? rows.get(v.baseVersionId) : undefined);
        await assertBaseCurrent(tx, v);
        await assertSeriesFree(tx, v);
        await store.updateVersion(tx, v.id, { status: 'APPROVED', approvedBy: effective(ctx.caller).subject, at: clock.now() });
        return { version: versionToProto(await mustGet(tx, v.id)) };
      });
    },

    async publishVersion(req, ctx) {
      const r = parseInput(s.decideRequest, req);
      return withTx(pool, async (tx) => {
        const v = await mustGet(tx, r.versionId, true);
        assertApproved(v);
        assertRevision(v, r.expectedRevision);
        assertNotMaker(ctx.caller, v);
        await assertBaseCurrent(tx, v);
        await assertSeriesFree(tx, v);
        const at = clock.now();
        if (v.correctsVersionId) await store.updateVersion(tx, v.correctsVersionId, { status: 'SUPERSEDED', supersededByVersionId: v.id, at });
        await store.updateVersion(tx, v.id, { status: 'PUBLISHED', publishedBy: effective(ctx.caller).subject, at }).catch(duplicateDateRace);
        const published = await mustGet(tx, v.id);
        await recordPublished(tx, published);
        return { version: versionToProto(published) };
      });
    },

    async getVersion(req) {
      const r = parseInput(s.getVersionRequest, req);
      const v = await mustGet(pool, r.versionId);
      return { version: versionToProto(v), rows: (await store.rowsOfVersion(pool, v.id)).map(rowToProto) };
    },

    async listVersions(req) {
      const r = parseInput(s.listVersionsRequest, req);
      const after = decodeCursor(s.versionCursor, r.page.token);
      const filter = { level: r.level ?? undefined, regionCode: r.regionCode || undefined, status: r.status ?? undefined };
      const found = await store.listVersions(pool, filter, after, r.page.size + 1);
      const { items, nextPageToken } = pageOf(found, r.page.size, (v) => ({ effectiveFrom: v.effectiveFrom, id: v.id }));
      return { versions: items.map(versionToProto), page: { nextPageToken } };
    },

    // Deprecated (README): a proposal, like ProposeIndexValue.
    async setIndexValue(req, ctx) {
      return proposeIndex(req, ctx);
    },

    async proposeIndexValue(req, ctx) {
      return proposeIndex(req, ctx);
    },

    async approveIndexValue(req, ctx) {
      const r = parseInput(s.approveIndexValueRequest, req);
      return withTx(pool, async (tx) => {
        const v = await store.indexValue(tx, r, true);
        if (!v) throw notFound(`${r.kind} of ${r.cityCode} for ${r.year}`, 'INDEX_VALUE_NOT_FOUND');
        if (v.proposedFen === null) throw failedPrecondition('NO_PROPOSED_VALUE', `${r.kind} of ${r.cityCode} for ${r.year} has no proposal waiting`);
        if (v.revision !== r.expectedRevision) throw aborted('STALE_REVISION', `${r.kind} of ${r.cityCode} for ${r.year} is at revision ${v.revision}, not ${r.expectedRevision}; re-read it and retry`);
        assertNotOwnProposal(ctx.caller, v.proposedBy ?? '');
        const approved = await store.approveIndexValue(tx, r, effective(ctx.caller).subject, clock.now());
        await recordIndexValuePublished(tx, approved, v.valueFen);
        return { value: indexValueToProto(approved) };
      });
    },

    async listIndexValues(req) {
      const r = parseInput(s.listIndexValuesRequest, req);
      const after = decodeCursor(s.indexCursor, r.page.token);
      const found = await store.listIndexValues(pool, { kind: r.kind ?? undefined, cityCode: r.cityCode || undefined }, after, r.page.size + 1);
      const { items, nextPageToken } = pageOf(found, r.page.size, (v) => ({ kind: v.kind, cityCode: v.cityCode, year: v.year }));
      return { values: items.map(indexValueToProto), page: { nextPageToken } };
    },

    async lookupBenefit(req) {
      const [res] = await lookupAll([toQuery(parseInput(s.lookupRequest, req))]);
      if (!res || 'err' in res) throw res?.err;
      return { benefit: benefitToProto(res.ok) };
    },

    async batchLookupBenefits(req, ctx) {
      const { items, candidateVersionId, beforeVersionId } = parseInput(s.batchLookupRequest, req);
      let candidate: Candidate | undefined;
      if (candidateVersionId) {
        const version = await mustGet(pool, candidateVersionId);
        assertCandidate(version);
        candidate = { version, rows: (await store.rowsOf(pool, [version.id])).get(version.id) ?? [] };
      }
      let before: Before | undefined;
      if (beforeVersionId) {
        const version = await mustGet(pool, beforeVersionId);
        if (version.status !== 'PUBLISHED') throw failedPrecondition('VERSION_NOT_PUBLISHED', `version ${version.id} is ${version.status}, not PUBLISHED`);
        before = { version, corrected: version.correctsVersionId ? await mustGet(pool, version.correctsVersionId) : undefined };
      }
      const parsed = items.map((it) => attempt(() => toQuery(parseInput(s.lookupRequest, it))));
      const valid = parsed.flatMap((p) => ('ok' in p ? [p.ok] : []));
      const done = (await lookupAll(valid, candidate, before))[Symbol.iterator]();
      return {
        results: parsed.map((p) => {
          const res = 'ok' in p ? done.next().value! : p;
          return 'ok' in res ? { outcome: { $case: 'benefit', value: benefitToProto(res.ok) } } : { outcome: { $case: 'error', value: itemError(res.err, ctx) } };
        }),
      };
    },
  };

  /** The base a draft was copied or indexed from has not been replaced by a correction since (locked until commit). */
  async function assertBaseCurrent(tx: Tx, v: Version): Promise<void> {
    if (v.baseVersionId && v.baseVersionId !== v.correctsVersionId) assertBaseNotSuperseded(await mustGet(tx, v.baseVersionId, true));
  }

  /** No other PUBLISHED version of the series on this date, and a correction's target still PUBLISHED. */
  async function assertSeriesFree(tx: Tx, v: Version): Promise<void> {
    if (v.correctsVersionId) {
      const old = await mustGet(tx, v.correctsVersionId, true);
      if (old.status !== 'PUBLISHED')
        throw failedPrecondition('CORRECTED_VERSION_NOT_PUBLISHED', `version ${old.id} that this correction replaces is ${old.status}, no longer PUBLISHED`);
    } else {
      assertNoDuplicateDate(v, await store.publishedOn(tx, v.level, v.regionCode, v.effectiveFrom));
    }
  }
}

/** Maker–checker: the decider is neither the draft's creator nor anyone who changed its rows. */
function assertNotMaker(caller: Caller, v: Version): void {
  for (const maker of makersOf(v)) assertNotOwnProposal(caller, maker);
}

export const standardsBinding = (deps: StandardsDeps) =>
  bindService({ definition: SubsidyStandardServiceService, handlers: createStandardsHandlers(deps), policies: standardsPolicies, delegations: standardsDelegations });
