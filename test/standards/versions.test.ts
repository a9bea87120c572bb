import * as grpc from '@grpc/grpc-js';
import { Kafka, logLevel, type Consumer, type KafkaMessage } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Category, DisabilityCause } from '../../protos/gen/youfu/common/v1/entitlement';
import { IndexValuePublished, VersionPublished } from '../../protos/gen/youfu/standards/v1/events';
import {
  IndexKind,
  IndexValueStatus,
  RowComponent,
  StandardLevel,
  VersionStatus,
  type CreateDraftRequest,
  type IndexationRule,
  type StandardRow,
  type StandardVersion,
} from '../../protos/gen/youfu/standards/v1/standards';
import { eventually, testConfig, token } from '../support/env';
import { failure } from '../support/grpc';
import { LIMITS } from '../../services/lib/money';
import { attrs, CAUSE, date, DOMAIN_TABLES, halfUp, SURVIVOR, snapshot, startStandards, type Standards } from './support';

const NATIONAL_2021 = '5eed2021-0801-4000-8000-000000000000';
const NATIONAL_2022 = '5eed2022-0801-4000-8000-000000000000';
const LOCAL = StandardLevel.STANDARD_LEVEL_LOCAL;
const NATIONAL = StandardLevel.STANDARD_LEVEL_NATIONAL;

const key = (over: Partial<NonNullable<StandardRow['key']>>): NonNullable<StandardRow['key']> => ({
  category: Category.CATEGORY_DISABLED_SERVICEMAN,
  cause: DisabilityCause.DISABILITY_CAUSE_UNSPECIFIED,
  disabilityGrade: 0,
  enlistmentPeriod: 0,
  component: RowComponent.ROW_COMPONENT_PERIODIC_BENEFIT,
  ...over,
});
const amountRow = (k: Partial<NonNullable<StandardRow['key']>>, fen: bigint): StandardRow => ({ key: key(k), rule: { $case: 'annualAmount', value: { fen } } });
const martyr = (fen: bigint) => amountRow({ category: Category.CATEGORY_MARTYR_SURVIVOR }, fen);

describe('SubsidyStandardService: drafts, approval, publication, corrections, indexation, events', () => {
  let s: Standards;
  let clerk: string;
  let approver: string;
  let kafkaConsumer: Consumer;
  const messages: KafkaMessage[] = [];

  beforeAll(async () => {
    s = await startStandards('std_versions');
    [clerk, approver] = await Promise.all([token('clerk', 'li'), token('approver', 'wang')]);
    const kafka = new Kafka({ clientId: 'test-standards', brokers: testConfig.YOUFU_KAFKA_BROKERS, logLevel: logLevel.NOTHING });
    kafkaConsumer = kafka.consumer({ groupId: `${s.prefix}test` });
    await kafkaConsumer.connect();
    await kafkaConsumer.subscribe({ topic: `${s.prefix}youfu.standards.v1`, fromBeginning: true });
    await kafkaConsumer.run({ eachMessage: async ({ message }) => void messages.push(message) });
  });
  afterAll(async () => {
    await kafkaConsumer?.disconnect();
    await s?.stop();
  });

  const header = (v: KafkaMessage, name: string) => v.headers?.[name]?.toString();
  const eventFor = (versionId: string) =>
    eventually(async () => messages.find((m) => header(m, 'ce_subject') === versionId), 30_000, `VersionPublished for ${versionId}`);

  const draftRequest = (over: Partial<CreateDraftRequest> = {}): CreateDraftRequest => ({
    title: 'Guangzhou top-up 2023',
    documentNumber: '穗退役军人〔2023〕1号',
    source: 'test',
    level: LOCAL,
    regionCode: '440100',
    effectiveFrom: date('2023-01-01'),
    baseVersionId: '',
    ...over,
  });

  /** clerk drafts, approver approves and publishes. */
  async function publishDraft(v: StandardVersion): Promise<StandardVersion> {
    const approved = await s.client.approveVersion({ versionId: v.id, expectedRevision: v.revision }, approver);
    return (await s.client.publishVersion({ versionId: v.id, expectedRevision: approved.version!.revision }, approver)).version!;
  }

  it('seeds the 2021 and 2022 national tables as published versions by "seed", and publishes their events', async () => {
    const { versions } = await s.client.listVersions({ level: NATIONAL, regionCode: '', status: VersionStatus.VERSION_STATUS_PUBLISHED }, clerk);
    expect(versions.map((v) => [v.id, v.effectiveFrom, v.createdBy, v.approvedBy, v.documentNumber, v.source, v.rowCount])).toEqual([
      [NATIONAL_2022, date('2022-08-01'), 'seed', 'seed', '', 'national notice as reprinted (see domain.md)', 47],
      [NATIONAL_2021, date('2021-08-01'), 'seed', 'seed', '', 'national notice as reprinted (see domain.md)', 47],
    ]);
    const e = VersionPublished.decode((await eventFor(NATIONAL_2022)).value!);
    expect(e).toMatchObject({ previousVersionId: NATIONAL_2021, summary: { rowsAdded: 0, rowsChanged: 29, rowsRemoved: 0 } });
  });

  it('lets a clerk draft and an approver approve and publish, recording both, and publishes VersionPublished with CloudEvents headers', async () => {
    const { version: draft } = await s.client.createDraft(draftRequest(), clerk);
    expect(draft).toMatchObject({ status: VersionStatus.VERSION_STATUS_DRAFT, createdBy: 'li', revision: 1n, rowCount: 0 });
    const edited = await s.client.upsertDraftRows(
      { versionId: draft!.id, expectedRevision: 1n, rows: [martyr(100_000n), amountRow({ cause: CAUSE.WAR, disabilityGrade: 1 }, 120_000n)] },
      clerk,
    );
    expect(edited.version).toMatchObject({ revision: 2n, rowCount: 2 });
    const trimmed = await s.client.deleteDraftRows({ versionId: draft!.id, expectedRevision: 2n, keys: [key({ cause: CAUSE.WAR, disabilityGrade: 1 })] }, clerk);
    const published = await publishDraft(trimmed.version!);
    expect(published).toMatchObject({ status: VersionStatus.VERSION_STATUS_PUBLISHED, createdBy: 'li', approvedBy: 'wang', publishedBy: 'wang', rowCount: 1 });

    const m = await eventFor(published.id);
    expect(m.key?.toString()).toBe(published.id);
    expect(header(m, 'ce_type')).toBe('youfu.standards.v1.VersionPublished');
    expect(header(m, 'ce_source')).toBe('/youfu/standards');
    expect(header(m, 'ce_specversion')).toBe('1.0');
    expect(header(m, 'content-type')).toBe('application/protobuf');
    expect(header(m, 'ce_id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(Number.isNaN(Date.parse(header(m, 'ce_time') ?? ''))).toBe(false);
    expect(VersionPublished.decode(m.value!)).toMatchObject({
      versionId: published.id,
      effectiveFrom: date('2023-01-01'),
      level: LOCAL,
      regionCode: '440100',
      supersededVersionId: '',
      previousVersionId: '',
      summary: { rowsAdded: 1, rowsChanged: 0, rowsRemoved: 0 },
    });
  });

  it('indexes the 2022 table by +6% (grades 7–10: +5%), each amount rounded half up to 10 yuan, copying the nursing-fee shares', async () => {
    const raise = (over: Partial<IndexationRule>, bp: number): IndexationRule => ({
      category: Category.CATEGORY_DISABLED_SERVICEMAN,
      cause: DisabilityCause.DISABILITY_CAUSE_UNSPECIFIED,
      gradeFrom: 0,
      gradeTo: 0,
      change: { $case: 'raiseBasisPoints', value: bp },
      ...over,
    });
    const rules = [
      raise({ gradeFrom: 1, gradeTo: 6 }, 600),
      raise({ gradeFrom: 7, gradeTo: 10 }, 500),
      ...Object.values(SURVIVOR).map((category) => raise({ category }, 600)),
    ];
    const { version } = await s.client.proposeIndexedDraft(
      { baseVersionId: NATIONAL_2022, effectiveFrom: date('2023-08-01'), title: 'National 2023 (indexed)', documentNumber: '', source: 'test', rules },
      clerk,
    );
    expect(version).toMatchObject({ level: NATIONAL, baseVersionId: NATIONAL_2022, status: VersionStatus.VERSION_STATUS_DRAFT, rowCount: 47 });

    // Expected values from domain.md: yuan × (1 + rate), half up to a multiple of 10 yuan, in fen.
    const indexed = (yuan: number, pct: number) => halfUp(BigInt(yuan) * BigInt(100 + pct), 1000n) * 1000n;
    const expected = new Map<string, bigint>();
    for (const cause of ['WAR', 'DUTY', 'ILLNESS'] as const)
      DOMAIN_TABLES[2022][cause].forEach((y, i) => expected.set(`${CAUSE[cause]}/${i + 1}`, indexed(y, i + 1 <= 6 ? 6 : 5)));
    for (const [name, category] of Object.entries(SURVIVOR)) expected.set(`${category}`, indexed(DOMAIN_TABLES[2022][name as keyof typeof SURVIVOR], 6));
    expect(indexed(116_270, 6)).toBe(12_325_000n); // 123,246.2 → 123,250 yuan

    const { rows } = await s.client.getVersion({ versionId: version!.id }, clerk);
    const amounts = rows.filter((r) => r.rule?.$case === 'annualAmount');
    expect(amounts).toHaveLength(29);
    for (const r of amounts) {
      const k = r.key!;
      const id = k.category === Category.CATEGORY_DISABLED_SERVICEMAN ? `${k.cause}/${k.disabilityGrade}` : `${k.category}`;
      expect(r.rule?.$case === 'annualAmount' && r.rule.value.fen, id).toBe(expected.get(id));
    }
    const shares = rows.filter((r) => r.rule?.$case === 'nursingFeeShare');
    expect(shares).toHaveLength(18);

    const diff = await s.client.diffVersions({ fromVersionId: NATIONAL_2022, toVersionId: version!.id }, approver);
    expect([diff.added.length, diff.changed.length, diff.removed.length, diff.unchangedCount]).toEqual([0, 29, 0, 18]);

    const published = await publishDraft(version!);
    const { benefit } = await s.client.lookupBenefit({ attributes: attrs({ cause: CAUSE.WAR, disabilityGrade: 1 }), districtCode: '440106', date: date('2023-08-01') }, approver);
    expect(benefit?.annualAmount?.fen).toBe(12_325_000n);
    expect(benefit?.versionsUsed.map((v) => v.id)).toContain(published.id);
    const { benefit: before } = await s.client.lookupBenefit({ attributes: attrs({ cause: CAUSE.WAR, disabilityGrade: 1 }), districtCode: '440106', date: date('2023-07-31') }, approver);
    expect(before?.annualAmount?.fen).toBe(11_627_000n);
  });

  it('replaces a published version by a correction with the same effective date, keeping the old one as SUPERSEDED', async () => {
    const { version: first } = await s.client.createDraft(draftRequest({ regionCode: '440300', title: 'Shenzhen top-up' }), clerk);
    const edited = await s.client.upsertDraftRows({ versionId: first!.id, expectedRevision: 1n, rows: [martyr(100_000n)] }, clerk);
    const old = await publishDraft(edited.version!);

    const { version: fix } = await s.client.correctPublishedVersion({ versionId: old.id, title: '', documentNumber: '深退役军人〔2023〕2号', source: '' }, clerk);
    expect(fix).toMatchObject({ correctsVersionId: old.id, effectiveFrom: date('2023-01-01'), regionCode: '440300', status: VersionStatus.VERSION_STATUS_DRAFT, rowCount: 1 });
    const fixed = await s.client.upsertDraftRows({ versionId: fix!.id, expectedRevision: fix!.revision, rows: [martyr(150_000n)] }, clerk);
    const corrected = await publishDraft(fixed.version!);

    const { version: superseded } = await s.client.getVersion({ versionId: old.id }, clerk);
    expect(superseded).toMatchObject({ status: VersionStatus.VERSION_STATUS_SUPERSEDED, supersededByVersionId: corrected.id });
    const { benefit } = await s.client.lookupBenefit({ attributes: attrs({ category: Category.CATEGORY_MARTYR_SURVIVOR }), districtCode: '440304', date: date('2023-02-01') }, clerk);
    expect(benefit?.layers.map((l) => [l.version?.id, l.annualAmount?.fen])).toEqual([
      [NATIONAL_2022, 3_691_000n],
      [corrected.id, 150_000n],
    ]);
    expect(VersionPublished.decode((await eventFor(corrected.id)).value!)).toMatchObject({
      supersededVersionId: old.id,
      previousVersionId: old.id,
      summary: { rowsAdded: 0, rowsChanged: 1, rowsRemoved: 0 },
    });
  });

  it('lists versions page by page with filters', async () => {
    const seen: string[] = [];
    let pageToken = '';
    do {
      const res = await s.client.listVersions({ level: 0, regionCode: '', status: 0, page: { pageSize: 2, pageToken } }, clerk);
      expect(res.versions.length).toBeLessThanOrEqual(2);
      seen.push(...res.versions.map((v) => v.id));
      pageToken = res.page?.nextPageToken ?? '';
    } while (pageToken);
    const all = await s.client.listVersions({ level: 0, regionCode: '', status: 0, page: { pageSize: 500, pageToken: '' } }, clerk);
    expect(seen).toEqual(all.versions.map((v) => v.id));
    expect(new Set(seen).size).toBe(seen.length);
    const superseded = await s.client.listVersions({ level: 0, regionCode: '440300', status: VersionStatus.VERSION_STATUS_SUPERSEDED }, clerk);
    expect(superseded.versions).toHaveLength(1);
    const bad = await failure(s.client.listVersions({ level: 0, regionCode: '', status: 0, page: { pageSize: 2, pageToken: 'garbage' } }, clerk));
    expect([bad.code, bad.fields]).toEqual([grpc.status.INVALID_ARGUMENT, ['page.pageToken']]);
    // a well-formed token whose date is not a date is refused too, not passed on to SQL (INTERNAL)
    const forged = Buffer.from(JSON.stringify({ effectiveFrom: 'garbage', id: crypto.randomUUID() })).toString('base64url');
    const tampered = await failure(s.client.listVersions({ level: 0, regionCode: '', status: 0, page: { pageSize: 2, pageToken: forged } }, clerk));
    expect([tampered.code, tampered.fields]).toEqual([grpc.status.INVALID_ARGUMENT, ['page.pageToken']]);
  });

  it('keeps index series under maker–checker with optimistic concurrency, and lists them', async () => {
    const key = { kind: IndexKind.INDEX_KIND_AVERAGE_MONTHLY_WAGE, cityCode: '440300', year: 2022 };
    const propose = (fen: bigint, expectedRevision: bigint) => s.client.proposeIndexValue({ ...key, value: { fen }, expectedRevision }, clerk);
    const approve = (expectedRevision: bigint, who = approver) => s.client.approveIndexValue({ ...key, expectedRevision }, who);
    const wage = () => s.client.lookupBenefit({ attributes: { category: Category.CATEGORY_DISABLED_SERVICEMAN, cause: DisabilityCause.DISABILITY_CAUSE_WAR, disabilityGrade: 1, enlistmentPeriod: 0, serviceYears: 0, mentalDisorder: false }, districtCode: '440304', date: date('2023-03-01') }, clerk);
    const first = (await propose(1_300_000n, 0n)).value!;
    expect(first).toMatchObject({ revision: 1n, status: IndexValueStatus.INDEX_VALUE_STATUS_PROPOSED, proposedValue: { fen: 1_300_000n }, proposedBy: 'li' });
    expect(first.value).toBeUndefined();
    expect((await wage()).benefit?.nursingFee?.monthlyAmount?.fen).toBe(0n); // proposed only: not in force
    expect((await failure(propose(1_400_000n, 0n))).code).toBe(grpc.status.ABORTED);
    expect(await failure(approve(1n, await token('approver', 'li')))).toMatchObject({ reason: 'OWN_PROPOSAL' });
    expect(await failure(approve(1n, clerk))).toMatchObject({ code: grpc.status.PERMISSION_DENIED });
    const inForce = (await approve(1n)).value!;
    expect(inForce).toMatchObject({ revision: 2n, status: IndexValueStatus.INDEX_VALUE_STATUS_IN_FORCE, value: { fen: 1_300_000n }, approvedBy: 'wang' });
    expect((await wage()).benefit?.nursingFee?.monthlyAmount?.fen).toBe(650_000n); // WAR grade 1: 50% of the 2022 wage
    expect(await failure(approve(2n))).toMatchObject({ reason: 'NO_PROPOSED_VALUE' });
    // A new proposal leaves the value in force until it is approved; SetIndexValue (deprecated) is the same proposal.
    expect((await s.client.setIndexValue({ ...key, value: { fen: 1_400_000n }, expectedRevision: 2n }, clerk)).value).toMatchObject({ revision: 3n, value: { fen: 1_300_000n }, proposedValue: { fen: 1_400_000n } });
    expect((await failure(propose(1_500_000n, 2n))).code).toBe(grpc.status.ABORTED);
    expect((await approve(3n)).value).toMatchObject({ value: { fen: 1_400_000n }, status: IndexValueStatus.INDEX_VALUE_STATUS_IN_FORCE });
    const published = await eventually(async () => messages.find((m) => header(m, 'ce_type') === 'youfu.standards.v1.IndexValuePublished' && header(m, 'ce_subject') === 'AVERAGE_MONTHLY_WAGE:440300:2022' && IndexValuePublished.decode(m.value!).value?.fen === 1_400_000n), 30_000, 'IndexValuePublished');
    expect(IndexValuePublished.decode(published.value!)).toMatchObject({ year: 2022, previousValue: { fen: 1_300_000n }, approvedBy: 'wang' });
    const { values } = await s.client.listIndexValues({ kind: IndexKind.INDEX_KIND_AVERAGE_MONTHLY_WAGE, cityCode: '440300' }, approver);
    expect(values.map((v) => [v.year, v.value?.fen])).toEqual([[2022, 1_400_000n]]);
    const notCity = await failure(s.client.setIndexValue({ kind: IndexKind.INDEX_KIND_AVERAGE_MONTHLY_WAGE, cityCode: '440000', year: 2022, value: { fen: 1n }, expectedRevision: 0n }, clerk));
    expect([notCity.code, notCity.fields]).toEqual([grpc.status.INVALID_ARGUMENT, ['cityCode']]);
  });

  describe('refuses bad input with a clear status and writes nothing', () => {
    /** Runs `call`, expects the failure, and checks the stored state did not change. */
    async function refused(call: () => Promise<unknown>, code: grpc.status, reason?: string, fields?: string[]) {
      const before = await snapshot(s);
      const f = await failure(call());
      expect(f.code, f.message).toBe(code);
      if (reason) expect(f.reason).toBe(reason);
      if (fields) expect(f.fields).toEqual(fields);
      expect(await snapshot(s)).toBe(before);
      return f;
    }
    let draft: StandardVersion;

    beforeAll(async () => {
      draft = (await s.client.createDraft(draftRequest({ regionCode: '440600', title: 'Foshan top-up' }), clerk)).version!;
    });

    it('effective date not the first of a month', async () => {
      await refused(() => s.client.createDraft(draftRequest({ effectiveFrom: date('2023-01-15') }), clerk), grpc.status.INVALID_ARGUMENT, 'INVALID_FIELD', ['effectiveFrom']);
    });

    it('a second published version of the same level, region and effective date', async () => {
      const f = await refused(
        () => s.client.createDraft(draftRequest({ level: NATIONAL, regionCode: '', effectiveFrom: date('2022-08-01') }), clerk),
        grpc.status.ALREADY_EXISTS,
        'DUPLICATE_EFFECTIVE_DATE',
      );
      expect(f.message).toContain(NATIONAL_2022);
      // …also when two drafts for one date race to publication
      const a = (await s.client.createDraft(draftRequest({ regionCode: '440700' }), clerk)).version!;
      const b = (await s.client.createDraft(draftRequest({ regionCode: '440700' }), clerk)).version!;
      const ra = await s.client.upsertDraftRows({ versionId: a.id, expectedRevision: 1n, rows: [martyr(1_000n)] }, clerk);
      const rb = await s.client.upsertDraftRows({ versionId: b.id, expectedRevision: 1n, rows: [martyr(2_000n)] }, clerk);
      const approvedB = await s.client.approveVersion({ versionId: b.id, expectedRevision: rb.version!.revision }, approver);
      await publishDraft(ra.version!);
      await refused(() => s.client.publishVersion({ versionId: b.id, expectedRevision: approvedB.version!.revision }, approver), grpc.status.ALREADY_EXISTS, 'DUPLICATE_EFFECTIVE_DATE');
    });

    it('amounts ≤ 0', async () => {
      await refused(() => s.client.upsertDraftRows({ versionId: draft.id, expectedRevision: draft.revision, rows: [martyr(0n)] }, clerk), grpc.status.INVALID_ARGUMENT, 'INVALID_FIELD', [
        'rows[0].annualAmount.fen',
      ]);
      await refused(
        () => s.client.upsertDraftRows({ versionId: draft.id, expectedRevision: draft.revision, rows: [martyr(5n), amountRow({ cause: CAUSE.WAR, disabilityGrade: 2 }, -100n)] }, clerk),
        grpc.status.INVALID_ARGUMENT,
        'INVALID_FIELD',
        ['rows[1].annualAmount.fen'],
      );
    });

    it('cause ILLNESS at grades 7–10, naming the field', async () => {
      for (const grade of [7, 8, 9, 10])
        await refused(
          () => s.client.upsertDraftRows({ versionId: draft.id, expectedRevision: draft.revision, rows: [amountRow({ cause: CAUSE.ILLNESS, disabilityGrade: grade }, 100n)] }, clerk),
          grpc.status.INVALID_ARGUMENT,
          'INVALID_FIELD',
          ['rows[0].key.disabilityGrade'],
        );
    });

    it('a draft missing a key its base version had, on approval, naming the key', async () => {
      const { version } = await s.client.createDraft(draftRequest({ level: NATIONAL, regionCode: '', effectiveFrom: date('2024-08-01'), baseVersionId: NATIONAL_2022 }), clerk);
      const trimmed = await s.client.deleteDraftRows(
        { versionId: version!.id, expectedRevision: 1n, keys: [key({ cause: CAUSE.DUTY, disabilityGrade: 9 })] },
        clerk,
      );
      const f = await refused(
        () => s.client.approveVersion({ versionId: version!.id, expectedRevision: trimmed.version!.revision }, approver),
        grpc.status.FAILED_PRECONDITION,
        'MISSING_BASE_KEY',
      );
      expect(f.message).toContain('DISABLED_SERVICEMAN DUTY grade 9');
    });

    it('publishing a version that is not approved', async () => {
      await refused(() => s.client.publishVersion({ versionId: draft.id, expectedRevision: draft.revision }, approver), grpc.status.FAILED_PRECONDITION, 'VERSION_NOT_APPROVED');
    });

    it('approving one’s own draft', async () => {
      const { version } = await s.client.createDraft(draftRequest({ regionCode: '440800' }), clerk);
      const edited = await s.client.upsertDraftRows({ versionId: version!.id, expectedRevision: 1n, rows: [martyr(1_000n)] }, clerk);
      const sameperson = await token('approver', 'li');
      await refused(() => s.client.approveVersion({ versionId: version!.id, expectedRevision: edited.version!.revision }, sameperson), grpc.status.PERMISSION_DENIED, 'OWN_PROPOSAL');
      const actingForLi = await token('service', 'adjustment', { actor: { subject: 'li', role: 'clerk' } });
      await refused(() => s.client.approveVersion({ versionId: version!.id, expectedRevision: edited.version!.revision }, actingForLi), grpc.status.PERMISSION_DENIED, 'DELEGATION_NOT_ALLOWED');
    });

    it('editing a published version', async () => {
      const { version } = await s.client.getVersion({ versionId: NATIONAL_2022 }, clerk);
      await refused(() => s.client.upsertDraftRows({ versionId: NATIONAL_2022, expectedRevision: version!.revision, rows: [martyr(1_000n)] }, clerk), grpc.status.FAILED_PRECONDITION, 'VERSION_NOT_DRAFT');
      await refused(() => s.client.deleteDraftRows({ versionId: NATIONAL_2022, expectedRevision: version!.revision, keys: [key({ category: Category.CATEGORY_MARTYR_SURVIVOR })] }, clerk), grpc.status.FAILED_PRECONDITION, 'VERSION_NOT_DRAFT');
    });

    it('approving or publishing a draft one has edited, or publishing one’s own draft (maker–checker counts every editor)', async () => {
      const { version } = await s.client.createDraft(draftRequest({ regionCode: '440900' }), clerk);
      // another clerk sets the amounts, a third acts through the adjustment service (a service token acting for a person)
      const zhao = await token('clerk', 'zhao');
      const sunViaWorkflow = await token('service', 'adjustment', { actor: { subject: 'sun', role: 'clerk' } });
      const e1 = await s.client.upsertDraftRows({ versionId: version!.id, expectedRevision: 1n, rows: [martyr(1_000n), amountRow({ cause: CAUSE.WAR, disabilityGrade: 3 }, 2_000n)] }, zhao);
      const e2 = await s.client.deleteDraftRows({ versionId: version!.id, expectedRevision: e1.version!.revision, keys: [key({ cause: CAUSE.WAR, disabilityGrade: 3 })] }, sunViaWorkflow);
      const rev = e2.version!.revision;
      const asApprover = await Promise.all(['zhao', 'sun', 'li'].map((who) => token('approver', who)));
      for (const t of asApprover)
        await refused(() => s.client.approveVersion({ versionId: version!.id, expectedRevision: rev }, t), grpc.status.PERMISSION_DENIED, 'OWN_PROPOSAL');
      const approved = await s.client.approveVersion({ versionId: version!.id, expectedRevision: rev }, approver);
      for (const t of asApprover)
        await refused(
          () => s.client.publishVersion({ versionId: version!.id, expectedRevision: approved.version!.revision }, t),
          grpc.status.PERMISSION_DENIED,
          'OWN_PROPOSAL',
        );
      const published = await s.client.publishVersion({ versionId: version!.id, expectedRevision: approved.version!.revision }, approver);
      expect(published.version).toMatchObject({ status: VersionStatus.VERSION_STATUS_PUBLISHED, createdBy: 'li', approvedBy: 'wang', publishedBy: 'wang' });
    });

    it('approving, publishing or copying a draft whose base a correction has replaced since', async () => {
      const first = (await s.client.createDraft(draftRequest({ regionCode: '441000', effectiveFrom: date('2023-01-01') }), clerk)).version!;
      const filled = await s.client.upsertDraftRows({ versionId: first.id, expectedRevision: 1n, rows: [martyr(100_000n)] }, clerk);
      const base = await publishDraft(filled.version!);
      const index = (effective: string) =>
        s.client.proposeIndexedDraft(
          {
            baseVersionId: base.id,
            effectiveFrom: date(effective),
            title: 'indexed',
            documentNumber: '',
            source: 'test',
            rules: [{ category: Category.CATEGORY_MARTYR_SURVIVOR, cause: 0, gradeFrom: 0, gradeTo: 0, change: { $case: 'raiseBasisPoints', value: 600 } }],
          },
          clerk,
        );
      const draft2024 = (await index('2024-01-01')).version!;
      const draft2025 = (await index('2025-01-01')).version!;
      const approved2025 = (await s.client.approveVersion({ versionId: draft2025.id, expectedRevision: draft2025.revision }, approver)).version!;
      // the base's amount was wrong: a correction replaces it
      const fix = (await s.client.correctPublishedVersion({ versionId: base.id, title: '', documentNumber: '', source: '' }, clerk)).version!;
      const fixed = await s.client.upsertDraftRows({ versionId: fix.id, expectedRevision: fix.revision, rows: [martyr(120_000n)] }, clerk);
      const correction = await publishDraft(fixed.version!);

      const f = await refused(() => s.client.approveVersion({ versionId: draft2024.id, expectedRevision: draft2024.revision }, approver), grpc.status.FAILED_PRECONDITION, 'BASE_SUPERSEDED');
      expect(f.message).toContain(correction.id);
      await refused(() => s.client.publishVersion({ versionId: approved2025.id, expectedRevision: approved2025.revision }, approver), grpc.status.FAILED_PRECONDITION, 'BASE_SUPERSEDED');
      await refused(
        () => s.client.createDraft(draftRequest({ regionCode: '441000', effectiveFrom: date('2026-01-01'), baseVersionId: base.id }), clerk),
        grpc.status.FAILED_PRECONDITION,
        'BASE_SUPERSEDED',
      );
      // starting again from the correction works
      const again = (await s.client.createDraft(draftRequest({ regionCode: '441000', effectiveFrom: date('2026-01-01'), baseVersionId: correction.id }), clerk)).version!;
      expect(again.rowCount).toBe(1);
    });

    it('a stale revision', async () => {
      await refused(() => s.client.upsertDraftRows({ versionId: draft.id, expectedRevision: draft.revision + 1n, rows: [martyr(1_000n)] }, clerk), grpc.status.ABORTED, 'STALE_REVISION');
    });

    it('a role the RPC does not allow', async () => {
      await refused(() => s.client.createDraft(draftRequest(), approver), grpc.status.PERMISSION_DENIED, 'ROLE_NOT_ALLOWED');
      await refused(() => s.client.approveVersion({ versionId: draft.id, expectedRevision: draft.revision }, clerk), grpc.status.PERMISSION_DENIED, 'ROLE_NOT_ALLOWED');
      await refused(() => s.client.setIndexValue({ kind: IndexKind.INDEX_KIND_AVERAGE_MONTHLY_WAGE, cityCode: '440100', year: 2022, value: { fen: 1n }, expectedRevision: 0n }, approver), grpc.status.PERMISSION_DENIED);
    });

    it('implausible amounts: beyond the documented ranges at the edge, and an indexed result beyond them as OUT_OF_RANGE', async () => {
      const INT64_MAX = 2n ** 63n - 1n;
      await refused(() => s.client.upsertDraftRows({ versionId: draft.id, expectedRevision: draft.revision, rows: [martyr(LIMITS.annualFen + 1n)] }, clerk), grpc.status.INVALID_ARGUMENT, 'INVALID_FIELD', [
        'rows[0].annualAmount.fen',
      ]);
      await refused(() => s.client.setIndexValue({ kind: IndexKind.INDEX_KIND_AVERAGE_MONTHLY_WAGE, cityCode: '440100', year: 2022, value: { fen: INT64_MAX }, expectedRevision: 0n }, clerk), grpc.status.INVALID_ARGUMENT, 'INVALID_FIELD', ['value']);
      const all = (change: IndexationRule['change']): IndexationRule[] => [{ category: Category.CATEGORY_MARTYR_SURVIVOR, cause: 0, gradeFrom: 0, gradeTo: 0, change }];
      const indexed = (change: IndexationRule['change']) => s.client.proposeIndexedDraft({ baseVersionId: NATIONAL_2022, effectiveFrom: date('2025-08-01'), title: 't', documentNumber: '', source: 's', rules: all(change) }, clerk);
      await refused(() => indexed({ $case: 'increment', value: { fen: INT64_MAX - 5n } }), grpc.status.INVALID_ARGUMENT, 'INVALID_FIELD', ['rules[0].change.value']);
      await refused(() => indexed({ $case: 'raiseBasisPoints', value: 2_000_000 }), grpc.status.INVALID_ARGUMENT, 'INVALID_FIELD', ['rules[0].change.value']);
      await refused(() => indexed({ $case: 'increment', value: { fen: LIMITS.annualFen } }), grpc.status.INVALID_ARGUMENT, 'OUT_OF_RANGE', ['rules[0]']);
    });

    it('other malformed requests: unknown version, duplicate keys, overlapping indexation rules, a row of the wrong kind', async () => {
      await refused(() => s.client.getVersion({ versionId: crypto.randomUUID() }, clerk), grpc.status.NOT_FOUND, 'VERSION_NOT_FOUND');
      await refused(() => s.client.upsertDraftRows({ versionId: draft.id, expectedRevision: draft.revision, rows: [martyr(1n), martyr(2n)] }, clerk), grpc.status.INVALID_ARGUMENT, 'INVALID_FIELD', ['rows[1].key']);
      const overlapping: IndexationRule[] = [
        { category: Category.CATEGORY_DISABLED_SERVICEMAN, cause: 0, gradeFrom: 0, gradeTo: 0, change: { $case: 'raiseBasisPoints', value: 600 } },
        { category: Category.CATEGORY_DISABLED_SERVICEMAN, cause: CAUSE.WAR, gradeFrom: 7, gradeTo: 10, change: { $case: 'raiseBasisPoints', value: 500 } },
      ];
      await refused(
        () => s.client.proposeIndexedDraft({ baseVersionId: NATIONAL_2022, effectiveFrom: date('2025-08-01'), title: 't', documentNumber: '', source: 's', rules: overlapping }, clerk),
        grpc.status.INVALID_ARGUMENT,
        'INVALID_FIELD',
        ['rules[1]'],
      );
      const wrongKind: StandardRow = { key: key({ category: Category.CATEGORY_CONSCRIPT_FAMILY }), rule: { $case: 'annualAmount', value: { fen: 100n } } };
      await refused(() => s.client.upsertDraftRows({ versionId: draft.id, expectedRevision: draft.revision, rows: [wrongKind] }, clerk), grpc.status.INVALID_ARGUMENT, 'INVALID_FIELD', ['rows[0].rule']);
    });
  });

  describe('concurrent decisions', () => {
    const approver2 = () => token('approver', 'zhou');
    async function approvedDraft(regionCode: string, fen = 1_000n): Promise<StandardVersion> {
      const { version } = await s.client.createDraft(draftRequest({ regionCode, effectiveFrom: date('2024-01-01') }), clerk);
      const edited = await s.client.upsertDraftRows({ versionId: version!.id, expectedRevision: 1n, rows: [martyr(fen)] }, clerk);
      return (await s.client.approveVersion({ versionId: version!.id, expectedRevision: edited.version!.revision }, approver)).version!;
    }
    const outboxRows = async (ids: string[]) =>
      Number((await s.svc.pool.query<{ n: string }>('SELECT count(*) AS n FROM outbox WHERE aggregate_id = ANY($1::text[])', [ids])).rows[0]!.n);

    it('two approvers approving one draft at once: exactly one approval', async () => {
      const { version } = await s.client.createDraft(draftRequest({ regionCode: '441200', effectiveFrom: date('2024-01-01') }), clerk);
      const edited = await s.client.upsertDraftRows({ versionId: version!.id, expectedRevision: 1n, rows: [martyr(1_000n)] }, clerk);
      const req = { versionId: version!.id, expectedRevision: edited.version!.revision };
      const [a, b] = await Promise.allSettled([s.client.approveVersion(req, approver), s.client.approveVersion(req, await approver2())]);
      const won = [a, b].filter((r) => r.status === 'fulfilled');
      expect(won).toHaveLength(1);
      const lost = await failure(Promise.reject(([a, b].find((r) => r.status === 'rejected') as PromiseRejectedResult).reason));
      expect([grpc.status.FAILED_PRECONDITION, grpc.status.ABORTED]).toContain(lost.code);
      const { version: after } = await s.client.getVersion({ versionId: version!.id }, clerk);
      expect(after).toMatchObject({ status: VersionStatus.VERSION_STATUS_APPROVED, revision: req.expectedRevision + 1n });
      expect(['wang', 'zhou']).toContain(after!.approvedBy);
    });

    it('two approvers publishing one version at once: one publication, one event', async () => {
      const v = await approvedDraft('441300');
      const req = { versionId: v.id, expectedRevision: v.revision };
      const results = await Promise.allSettled([s.client.publishVersion(req, approver), s.client.publishVersion(req, await approver2())]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      expect(await outboxRows([v.id])).toBe(1);
    });

    it('two versions of one level, region and date published at once: exactly one is, guarded by a unique index', async () => {
      for (const regionCode of ['441400', '441500', '441600']) {
        const [x, y] = await Promise.all([approvedDraft(regionCode, 1_000n), approvedDraft(regionCode, 2_000n)]);
        const results = await Promise.allSettled([
          s.client.publishVersion({ versionId: x.id, expectedRevision: x.revision }, approver),
          s.client.publishVersion({ versionId: y.id, expectedRevision: y.revision }, await approver2()),
        ]);
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')!;
        const f = await failure(Promise.reject(rejected.reason));
        expect([f.code, f.reason]).toEqual([grpc.status.ALREADY_EXISTS, 'DUPLICATE_EFFECTIVE_DATE']);
        const { versions } = await s.client.listVersions({ level: LOCAL, regionCode, status: VersionStatus.VERSION_STATUS_PUBLISHED }, clerk);
        expect(versions).toHaveLength(1);
        expect(await outboxRows([x.id, y.id])).toBe(1);
        // the database itself refuses a second published version of the series and date
        const loser = versions[0]!.id === x.id ? y.id : x.id;
        await expect(s.svc.pool.query(`UPDATE versions SET status = 'PUBLISHED' WHERE id = $1`, [loser])).rejects.toMatchObject({ code: '23505' });
      }
    });
  });
});
