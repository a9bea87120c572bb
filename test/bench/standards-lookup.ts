/**
 * Benchmark: BatchLookupBenefits for 10,000 persons against a real standards service (fresh database on
 * the local stack, seeded national tables plus local top-ups and index values for a realistic mix), in
 * calls of at most 5,000 items (the contract's limit per call) sent concurrently.
 * Run: npx tsx test/bench/standards-lookup.ts [persons=10000] [rounds=5]
 */
import { Category, DisabilityCause, type EntitlementAttributes } from '../../protos/gen/youfu/common/v1/entitlement';
import { putIndexValue } from '../standards/support';
import { BatchLookupBenefitsRequest, BatchLookupBenefitsResponse, IndexKind, RowComponent, StandardLevel, SubsidyStandardServiceService, type LookupBenefitRequest } from '../../protos/gen/youfu/standards/v1/standards';
import { createUnaryClient } from '../../services/lib/grpc';
import { startService } from '../../services/lib/runtime';
import { standardsModule } from '../../services/standards/index';
import { MAX_BATCH } from '../../services/standards/schemas';
import { freshDatabase, serviceEnv, token, topicPrefix } from '../support/env';

const persons = Number(process.argv[2] ?? 10_000);
const rounds = Number(process.argv[3] ?? 5);
const DISTRICTS = ['440103', '440104', '440105', '440106', '440111', '440112', '440303', '440304', '440604', '440605'];
const CAUSES = [DisabilityCause.DISABILITY_CAUSE_WAR, DisabilityCause.DISABILITY_CAUSE_DUTY, DisabilityCause.DISABILITY_CAUSE_ILLNESS];
const SURVIVORS = [Category.CATEGORY_MARTYR_SURVIVOR, Category.CATEGORY_DUTY_DEATH_SURVIVOR, Category.CATEGORY_ILLNESS_DEATH_SURVIVOR];

/** A deterministic mix: mostly disabled servicemen of every grade and cause, some survivors, dates over 2021-08..2023-12. */
function person(i: number): LookupBenefitRequest {
  const base = { category: Category.CATEGORY_DISABLED_SERVICEMAN, disabilityGrade: 0, cause: 0, enlistmentPeriod: 0, serviceYears: 0, mentalDisorder: i % 13 === 0 };
  let attributes: EntitlementAttributes;
  if (i % 4 === 3) attributes = { ...base, category: SURVIVORS[i % 3]! };
  else {
    const cause = CAUSES[i % 3]!;
    attributes = { ...base, cause, disabilityGrade: 1 + (i % (cause === DisabilityCause.DISABILITY_CAUSE_ILLNESS ? 6 : 10)) };
  }
  const month = i % 29; // 2021-08 .. 2023-12
  return { attributes, districtCode: DISTRICTS[i % DISTRICTS.length]!, date: { year: 2021 + Math.floor((7 + month) / 12), month: ((7 + month) % 12) + 1, day: 1 + (i % 28) } };
}

const db = await freshDatabase('bench_standards');
const svc = await startService(standardsModule, { env: serviceEnv(db.adminUrl, topicPrefix('bench'), { YOUFU_LOG_LEVEL: 'error' }) });
const client = createUnaryClient(SubsidyStandardServiceService, `127.0.0.1:${svc.grpcPort}`);
try {
  const [clerk, approver, reader] = await Promise.all([token('clerk', 'bench-clerk'), token('approver', 'bench-approver'), token('service', 'persons')]);
  for (const regionCode of ['440000', '440100', '440106', '440300']) {
    const { version } = await client.createDraft(
      { title: `bench top-up ${regionCode}`, documentNumber: '', source: 'bench', level: StandardLevel.STANDARD_LEVEL_LOCAL, regionCode, effectiveFrom: { year: 2022, month: 1, day: 1 }, baseVersionId: '' },
      clerk,
    );
    const rows = [1, 2, 3, 4, 5, 6].map((g) => ({
      key: { category: Category.CATEGORY_DISABLED_SERVICEMAN, cause: DisabilityCause.DISABILITY_CAUSE_WAR, disabilityGrade: g, enlistmentPeriod: 0, component: RowComponent.ROW_COMPONENT_PERIODIC_BENEFIT },
      rule: { $case: 'annualAmount' as const, value: { fen: 100_000n * BigInt(g) } },
    }));
    const edited = await client.upsertDraftRows({ versionId: version!.id, expectedRevision: 1n, rows }, clerk);
    const approved = await client.approveVersion({ versionId: version!.id, expectedRevision: edited.version!.revision }, approver);
    await client.publishVersion({ versionId: version!.id, expectedRevision: approved.version!.revision }, approver);
  }
  for (const cityCode of ['440100', '440300']) {
    for (const year of [2021, 2022]) {
      await putIndexValue(client, { kind: IndexKind.INDEX_KIND_AVERAGE_MONTHLY_WAGE, cityCode, year, fen: 1_200_000n + BigInt(year - 2021) * 60_000n });
    }
  }

  const items = Array.from({ length: persons }, (_, i) => person(i));
  const batches = Array.from({ length: Math.ceil(persons / MAX_BATCH) }, (_, b) => ({ items: items.slice(b * MAX_BATCH, (b + 1) * MAX_BATCH), candidateVersionId: '', beforeVersionId: '' }));
  const lookupAll = async () => (await Promise.all(batches.map((req) => client.batchLookupBenefits(req, reader, { deadlineMs: 120_000 })))).flatMap((r) => r.results);
  const warm = await client.batchLookupBenefits(batches[0]!, reader);
  const failed = warm.results.filter((r) => r.outcome?.$case !== 'benefit').length;
  const bytes = (n: number) => `${(n / 1024 / 1024).toFixed(2)} MiB`;
  console.log(
    `${batches.length} call(s) of ≤ ${MAX_BATCH}: first call request ${bytes(BatchLookupBenefitsRequest.encode(batches[0]!).finish().length)}, response ${bytes(BatchLookupBenefitsResponse.encode(warm).finish().length)}, ${failed} failed items`,
  );

  const times: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = process.hrtime.bigint();
    const results = await lookupAll();
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (results.length !== persons) throw new Error('wrong result count');
    times.push(ms);
    console.log(`round ${r + 1}: ${ms.toFixed(0)} ms, ${Math.round((persons / ms) * 1000)} lookups/s`);
  }
  const best = Math.min(...times);
  const median = [...times].sort((a, b) => a - b)[Math.floor(times.length / 2)]!;
  console.log(`BatchLookupBenefits, ${persons} persons: median ${median.toFixed(0)} ms (${Math.round((persons / median) * 1000)} lookups/s), best ${best.toFixed(0)} ms (${Math.round((persons / best) * 1000)} lookups/s), end to end over gRPC`);
} finally {
  client.close();
  await svc.stop();
  await db.drop();
}
