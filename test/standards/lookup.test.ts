import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Category, DisabilityCause, EnlistmentPeriod } from '../../protos/gen/youfu/common/v1/entitlement';
import { IndexKind, RowComponent, StandardLevel, VersionStatus, type LookupBenefitRequest, type StandardRow } from '../../protos/gen/youfu/standards/v1/standards';
import { token } from '../support/env';
import { failure } from '../support/grpc';
import { attrs, CAUSE, date, domainRows, halfUp, nursingShareBp, putIndexValue, startStandards, type Standards } from './support';

const NATIONAL_2022 = '5eed2022-0801-4000-8000-000000000000';

describe('LookupBenefit and BatchLookupBenefits (seeded national tables, local top-ups, index values)', () => {
  let s: Standards;
  let clerk: string;
  let approver: string;
  let service: string;

  beforeAll(async () => {
    s = await startStandards('std_lookup');
    [clerk, approver, service] = await Promise.all([token('clerk', 'li'), token('approver', 'wang'), token('service', 'persons')]);
  });
  afterAll(async () => {
    await s?.stop();
  });

  const lookup = (attributes: LookupBenefitRequest['attributes'], day: string, districtCode = '440106') =>
    s.client.lookupBenefit({ attributes, districtCode, date: date(day) }, service);

  it('answers every seeded row with the 2021 amount on 2022-07-31 and the 2022 amount from 2022-08-01; monthly = annual / 12 half up; no wage → nursing fee missing, not invented', async () => {
    const rows = domainRows();
    expect(rows).toHaveLength(29);
    for (const row of rows) {
      for (const [day, year] of [['2022-07-31', 2021], ['2022-08-01', 2022]] as const) {
        const { benefit } = await lookup(row.attributes, day);
        const annual = row.fen[year];
        expect(benefit?.annualAmount?.fen, `${row.label} on ${day}`).toBe(annual);
        expect(benefit?.monthlyAmount?.fen, `${row.label} on ${day}`).toBe(halfUp(annual, 12n));
        expect(benefit?.layers.map((l) => l.annualAmount?.fen)).toEqual([annual]);
        expect(benefit?.versionsUsed.map((v) => v.effectiveFrom)).toEqual([date(`${year}-08-01`)]);
        const share = row.cause && nursingShareBp(row.cause, row.grade!);
        if (share) {
          expect(benefit?.nursingFee).toMatchObject({ shareBasisPoints: share, wageYear: 2021, monthlyAmount: { fen: 0n } });
          expect(benefit?.missing).toEqual([expect.objectContaining({ component: RowComponent.ROW_COMPONENT_NURSING_FEE, index: IndexKind.INDEX_KIND_AVERAGE_MONTHLY_WAGE, cityCode: '440100', year: 2021 })]);
        } else {
          expect(benefit?.nursingFee).toBeUndefined();
          expect(benefit?.missing).toEqual([]);
        }
      }
    }
  });

  it('gives the 25% nursing fee at grades 5–6 of any cause only with a recorded mental disorder, and none at grade 7', async () => {
    for (const [cause, grade] of [['WAR', 5], ['WAR', 6], ['DUTY', 5], ['DUTY', 6], ['ILLNESS', 5], ['ILLNESS', 6]] as const) {
      const label = `${cause} grade ${grade}`;
      const withDisorder = await lookup(attrs({ cause: CAUSE[cause], disabilityGrade: grade, mentalDisorder: true }), '2022-08-01');
      expect(withDisorder.benefit?.nursingFee?.shareBasisPoints, label).toBe(2500);
      const without = await lookup(attrs({ cause: CAUSE[cause], disabilityGrade: grade }), '2022-08-01');
      expect(without.benefit?.nursingFee, label).toBeUndefined();
    }
    const grade7 = await lookup(attrs({ cause: CAUSE.WAR, disabilityGrade: 7, mentalDisorder: true }), '2022-08-01');
    expect(grade7.benefit?.nursingFee).toBeUndefined();
    // grades 1–4 keep their own share with a mental disorder too
    const grade1 = await lookup(attrs({ cause: CAUSE.DUTY, disabilityGrade: 1, mentalDisorder: true }), '2022-08-01');
    expect(grade1.benefit?.nursingFee?.shareBasisPoints).toBe(5000);
  });

  it('answers a batch with one independent result per item, in order, failing items carrying their own error', async () => {
    const rows = domainRows();
    const good = rows.map((r) => ({ attributes: r.attributes, districtCode: '440106', date: date('2022-08-01') }));
    const bad = [
      { attributes: attrs({ disabilityGrade: 7, cause: CAUSE.ILLNESS }), districtCode: '440106', date: date('2022-08-01') },
      { attributes: attrs({ disabilityGrade: 1, cause: CAUSE.WAR }), districtCode: '440106', date: date('2021-07-31') },
      { attributes: attrs({ category: Category.CATEGORY_DEMOBILIZED_RURAL, enlistmentPeriod: EnlistmentPeriod.ENLISTMENT_PERIOD_EARLY_PRC }), districtCode: '440106', date: date('2022-08-01') },
      { attributes: attrs({ disabilityGrade: 1, cause: CAUSE.WAR }), districtCode: '4401', date: date('2022-08-01') },
    ];
    const { results } = await s.client.batchLookupBenefits({ items: [...bad.slice(0, 2), ...good, ...bad.slice(2)], candidateVersionId: '', beforeVersionId: '' }, service);
    expect(results).toHaveLength(good.length + bad.length);
    const errors = [results[0], results[1], results.at(-2), results.at(-1)].map((r) => (r?.outcome?.$case === 'error' ? r.outcome.value : undefined));
    expect(errors.map((e) => [e?.code, e?.reason])).toEqual([
      [grpc.status.INVALID_ARGUMENT, 'INVALID_FIELD'],
      [grpc.status.FAILED_PRECONDITION, 'NO_VERSION_IN_FORCE'],
      [grpc.status.FAILED_PRECONDITION, 'NO_STANDARD_FOR_KEY'],
      [grpc.status.INVALID_ARGUMENT, 'INVALID_FIELD'],
    ]);
    expect(errors[0]?.fields).toEqual(['attributes.disabilityGrade']);
    expect(errors[2]?.message).toContain('DEMOBILIZED_RURAL');
    expect(errors[3]?.fields).toEqual(['districtCode']);
    results.slice(2, -2).forEach((r, i) => {
      expect(r.outcome?.$case).toBe('benefit');
      if (r.outcome?.$case === 'benefit') expect(r.outcome.value.annualAmount?.fen).toBe(rows[i]!.fen[2022]);
    });
  });

  it('refuses a batch beyond 5,000 items as a whole', async () => {
    const item = { attributes: attrs({ disabilityGrade: 1, cause: CAUSE.WAR }), districtCode: '440106', date: date('2022-08-01') };
    const f = await failure(s.client.batchLookupBenefits({ items: Array.from({ length: 5001 }, () => item), candidateVersionId: '', beforeVersionId: '' }, service));
    expect([f.code, f.fields]).toEqual([grpc.status.INVALID_ARGUMENT, ['items']]);
  });

  it('refuses single lookups with the right status: ILLNESS grade 7, a key without a standard, a date before any version', async () => {
    const illness7 = await failure(lookup(attrs({ disabilityGrade: 7, cause: CAUSE.ILLNESS }), '2022-08-01'));
    expect([illness7.code, illness7.fields]).toEqual([grpc.status.INVALID_ARGUMENT, ['attributes.disabilityGrade']]);
    const uncovered = await failure(lookup(attrs({ category: Category.CATEGORY_RETURNED_WITH_ILLNESS }), '2022-08-01'));
    expect([uncovered.code, uncovered.reason]).toEqual([grpc.status.FAILED_PRECONDITION, 'NO_STANDARD_FOR_KEY']);
    expect(uncovered.message).toContain('RETURNED_WITH_ILLNESS');
    const early = await failure(lookup(attrs({ disabilityGrade: 1, cause: CAUSE.WAR }), '2021-07-31'));
    expect([early.code, early.reason]).toEqual([grpc.status.FAILED_PRECONDITION, 'NO_VERSION_IN_FORCE']);
  });

  it('lets staff and services look up, not hospitals', async () => {
    await expect(lookup(attrs({ disabilityGrade: 1, cause: CAUSE.WAR }), '2022-08-01')).resolves.toBeDefined();
    for (const role of ['clerk', 'approver', 'auditor'] as const) {
      await expect(s.client.lookupBenefit({ attributes: attrs({ disabilityGrade: 1, cause: CAUSE.WAR }), districtCode: '440106', date: date('2022-08-01') }, await token(role))).resolves.toBeDefined();
    }
    const hospital = await token('hospital', 'his-1', { hospital: 'H001' });
    const denied = await failure(s.client.lookupBenefit({ attributes: attrs({ disabilityGrade: 1, cause: CAUSE.WAR }), districtCode: '440106', date: date('2022-08-01') }, hospital));
    expect(denied.code).toBe(grpc.status.PERMISSION_DENIED);
  });

  describe('with local top-ups for Guangdong, Guangzhou and Tianhe and Guangzhou’s index values', () => {
    const amount = (category: Category, yuan: number, over: Partial<StandardRow['key']> = {}): StandardRow => ({
      key: { category, cause: DisabilityCause.DISABILITY_CAUSE_UNSPECIFIED, disabilityGrade: 0, enlistmentPeriod: 0, component: RowComponent.ROW_COMPONENT_PERIODIC_BENEFIT, ...over },
      rule: { $case: 'annualAmount', value: { fen: BigInt(yuan) * 100n } },
    });
    const war1 = { cause: CAUSE.WAR, disabilityGrade: 1 };
    // Tianhe (440106) raises the conscript family allowance to 50% of income.
    const conscriptShare: StandardRow = {
      key: { category: Category.CATEGORY_CONSCRIPT_FAMILY, cause: 0, disabilityGrade: 0, enlistmentPeriod: 0, component: RowComponent.ROW_COMPONENT_PERIODIC_BENEFIT },
      rule: { $case: 'incomeShareBasisPoints', value: 5000 },
    };
    const wageFen = 1_234_567n; // 12,345.67 yuan per month, Guangzhou 2022
    const incomeFen = 8_012_345n; // 80,123.45 yuan per year, Guangzhou 2022

    beforeAll(async () => {
      const publish = async (regionCode: string, rows: StandardRow[]) => {
        const { version } = await s.client.createDraft(
          { title: `top-up ${regionCode}`, documentNumber: '', source: 'test', level: StandardLevel.STANDARD_LEVEL_LOCAL, regionCode, effectiveFrom: date('2022-08-01'), baseVersionId: '' },
          clerk,
        );
        const edited = await s.client.upsertDraftRows({ versionId: version!.id, expectedRevision: version!.revision, rows }, clerk);
        const approved = await s.client.approveVersion({ versionId: version!.id, expectedRevision: edited.version!.revision }, approver);
        await s.client.publishVersion({ versionId: version!.id, expectedRevision: approved.version!.revision }, approver);
      };
      await publish('440000', [amount(Category.CATEGORY_MARTYR_SURVIVOR, 2_000)]);
      await publish('440100', [amount(Category.CATEGORY_DISABLED_SERVICEMAN, 1_200, war1), amount(Category.CATEGORY_MARTYR_SURVIVOR, 1_000)]);
      await publish('440106', [amount(Category.CATEGORY_DISABLED_SERVICEMAN, 600, war1), conscriptShare]);
      await putIndexValue(s.client, { kind: IndexKind.INDEX_KIND_AVERAGE_MONTHLY_WAGE, cityCode: '440100', year: 2022, fen: wageFen });
      await putIndexValue(s.client, { kind: IndexKind.INDEX_KIND_PER_CAPITA_DISPOSABLE_INCOME, cityCode: '440100', year: 2022, fen: incomeFen });
    });

    it('adds national + province + city + district amounts, then the nursing fee from the 2022 wage for a 2023 date', async () => {
      const { benefit } = await lookup(attrs(war1), '2023-03-15', '440106');
      const annual = (116_270n + 0n + 1_200n + 600n) * 100n;
      const nursing = halfUp(wageFen * 5000n, 10_000n); // 50% of 12,345.67 yuan = 6,172.835 → 6,172.84
      expect(benefit?.layers.map((l) => [l.version?.regionCode, l.annualAmount?.fen])).toEqual([
        ['', 11_627_000n],
        ['440000', 0n],
        ['440100', 120_000n],
        ['440106', 60_000n],
      ]);
      expect(benefit?.annualAmount?.fen).toBe(annual);
      expect(benefit?.nursingFee).toMatchObject({ shareBasisPoints: 5000, wageYear: 2022, monthlyWage: { fen: wageFen }, monthlyAmount: { fen: nursing } });
      expect(benefit?.monthlyAmount?.fen).toBe(halfUp(annual, 12n) + nursing);
      expect(benefit?.missing).toEqual([]);
      expect(benefit?.provisional).toEqual([]);
      expect(benefit?.versionsUsed.map((v) => v.id)[0]).toBe(NATIONAL_2022);
      // 2024 needs 2023's wage, not approved: 2022's is used meanwhile, flagged provisional — never 0.
      const later = (await lookup(attrs(war1), '2024-02-01', '440106')).benefit!;
      expect(later.nursingFee).toMatchObject({ wageYear: 2022, monthlyWage: { fen: wageFen }, monthlyAmount: { fen: nursing } });
      expect(later.missing).toEqual([]);
      expect(later.provisional).toEqual([expect.objectContaining({ component: RowComponent.ROW_COMPONENT_NURSING_FEE, index: IndexKind.INDEX_KIND_AVERAGE_MONTHLY_WAGE, cityCode: '440100', year: 2023, usedYear: 2022 })]);
    });

    it('applies only the layers of the person’s own district, and none before they take effect', async () => {
      const other = await lookup(attrs(war1), '2023-03-15', '440111');
      expect(other.benefit?.annualAmount?.fen).toBe((116_270n + 1_200n) * 100n);
      const martyr = await lookup(attrs({ category: Category.CATEGORY_MARTYR_SURVIVOR }), '2023-03-15', '440111');
      expect(martyr.benefit?.annualAmount?.fen).toBe((36_910n + 2_000n + 1_000n) * 100n);
      const before = await lookup(attrs(war1), '2022-07-31', '440106');
      expect(before.benefit?.annualAmount?.fen).toBe(10_667_000n);
      expect(before.benefit?.layers).toHaveLength(1);
    });

    it('pays a conscript family its district’s share of the previous year’s income, else the 45% default; missing income is named', async () => {
      const tianhe = await lookup(attrs({ category: Category.CATEGORY_CONSCRIPT_FAMILY }), '2023-01-01', '440106');
      expect(tianhe.benefit?.incomeShare).toMatchObject({ shareBasisPoints: 5000, incomeYear: 2022, annualAmount: { fen: halfUp(incomeFen * 5000n, 10_000n) } });
      const haizhu = await lookup(attrs({ category: Category.CATEGORY_CONSCRIPT_FAMILY }), '2023-01-01', '440105');
      const annual = halfUp(incomeFen * 4500n, 10_000n);
      expect(haizhu.benefit?.incomeShare).toMatchObject({ shareBasisPoints: 4500, shareVersion: undefined });
      expect(haizhu.benefit?.annualAmount?.fen).toBe(annual);
      expect(haizhu.benefit?.monthlyAmount?.fen).toBe(halfUp(annual, 12n));
      const early = await lookup(attrs({ category: Category.CATEGORY_CONSCRIPT_FAMILY }), '2022-12-01', '440105');
      expect(early.benefit?.annualAmount?.fen).toBe(0n);
      expect(early.benefit?.missing).toEqual([expect.objectContaining({ index: IndexKind.INDEX_KIND_PER_CAPITA_DISPOSABLE_INCOME, cityCode: '440100', year: 2021 })]);
    });
  });
  it('looks up as if a draft were published (candidate_version_id), and a discarded draft is no candidate', async () => {
    const martyr = attrs({ category: Category.CATEGORY_MARTYR_SURVIVOR });
    // Beijing: no local top-ups published by the tests above, so the national layer alone.
    const item = (day: string) => ({ attributes: martyr, districtCode: '110101', date: date(day) });
    const { version: draft } = await s.client.createDraft(
      { title: 'national 2023 (draft)', documentNumber: '退役军人部发〔2023〕1号', source: 'test', level: StandardLevel.STANDARD_LEVEL_NATIONAL, regionCode: '', effectiveFrom: date('2023-08-01'), baseVersionId: NATIONAL_2022 },
      clerk,
    );
    const edited = await s.client.upsertDraftRows(
      { versionId: draft!.id, expectedRevision: draft!.revision, rows: [{ key: { category: Category.CATEGORY_MARTYR_SURVIVOR, cause: 0, disabilityGrade: 0, enlistmentPeriod: 0, component: RowComponent.ROW_COMPONENT_PERIODIC_BENEFIT }, rule: { $case: 'annualAmount', value: { fen: 3_000_000n } } }] },
      clerk,
    );
    const fen = async (day: string, candidateVersionId = '', beforeVersionId = '') => {
      const { results } = await s.client.batchLookupBenefits({ items: [item(day)], candidateVersionId, beforeVersionId }, service);
      const r = results[0]!.outcome!;
      if (r.$case !== 'benefit') throw new Error(r.value.message);
      return [r.value.annualAmount!.fen, r.value.versionsUsed.map((v) => v.id)] as const;
    };
    const published = await fen('2023-09-01');
    expect(published[1]).toEqual([NATIONAL_2022]);
    expect(await fen('2023-09-01', draft!.id)).toEqual([3_000_000n, [draft!.id]]);
    expect(await fen('2023-07-31', draft!.id)).toEqual(published); // before its date: the published table
    expect(await fen('2023-09-01')).toEqual(published); // nothing cached from the candidate
    // before_version_id: as things stood before the 2022 version was published — the 2021 table.
    const before2022 = await fen('2023-09-01', '', NATIONAL_2022);
    expect(before2022).toEqual(await fen('2022-07-01'));
    expect(before2022[1]).not.toContain(NATIONAL_2022);
    expect(await failure(s.client.batchLookupBenefits({ items: [item('2023-09-01')], candidateVersionId: draft!.id, beforeVersionId: NATIONAL_2022 }, service))).toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      fields: ['beforeVersionId'],
    });
    expect(await failure(s.client.batchLookupBenefits({ items: [item('2023-09-01')], candidateVersionId: '', beforeVersionId: draft!.id }, service))).toMatchObject({ reason: 'VERSION_NOT_PUBLISHED' });

    expect(await failure(s.client.discardDraft({ versionId: draft!.id, expectedRevision: 1n, reason: 'rejected' }, clerk))).toMatchObject({ code: grpc.status.ABORTED, reason: 'STALE_REVISION' });
    expect(await failure(s.client.discardDraft({ versionId: draft!.id, expectedRevision: edited.version!.revision, reason: 'rejected' }, service))).toMatchObject({ code: grpc.status.PERMISSION_DENIED });
    const { version: gone } = await s.client.discardDraft({ versionId: draft!.id, expectedRevision: edited.version!.revision, reason: 'adjustment rejected' }, clerk);
    expect(gone).toMatchObject({ status: VersionStatus.VERSION_STATUS_DISCARDED, discardedBy: 'li', discardReason: 'adjustment rejected' });
    expect(await failure(s.client.batchLookupBenefits({ items: [item('2023-09-01')], candidateVersionId: draft!.id, beforeVersionId: '' }, service))).toMatchObject({ code: grpc.status.FAILED_PRECONDITION, reason: 'CANDIDATE_NOT_USABLE' });
    expect(await failure(s.client.discardDraft({ versionId: draft!.id, expectedRevision: gone!.revision, reason: 'again' }, clerk))).toMatchObject({ reason: 'VERSION_NOT_DISCARDABLE' });
    expect(await failure(s.client.discardDraft({ versionId: NATIONAL_2022, expectedRevision: 1n, reason: 'no' }, approver))).toMatchObject({ reason: 'VERSION_NOT_DISCARDABLE' });
    expect(await failure(s.client.approveVersion({ versionId: draft!.id, expectedRevision: gone!.revision }, approver))).toMatchObject({ reason: 'VERSION_NOT_DRAFT' });
  });
});
