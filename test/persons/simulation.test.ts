import type { Client } from '@temporalio/client';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Category } from '../../protos/gen/youfu/common/v1/entitlement';
import { DeathCause } from '../../protos/gen/youfu/persons/v1/persons';
import { StandardLevel, SubsidyStandardServiceService } from '../../protos/gen/youfu/standards/v1/standards';
import { createUnaryClient } from '../../services/lib/grpc';
import { SEED_FILE, seedFileVersions } from '../../services/standards/seed';
import { rowToProto } from '../../services/standards/wire';
import { startWorkflowsWorker } from '../../workflows/worker';
import { temporalClient } from '../support/temporal';
import { serviceEnv, token, uniqueId } from '../support/env';
import { idGenerator, movableClock, pbDate, registration, startStack, survivor, type Stack } from './support';

/**
 * The annual adjustment's impact simulation (issue 10 scenario): the 2021 table in force, the seed
 * file's 2022 rows as a draft effective 2022-08-01, payroll month P = 2022-10.
 */
describe('adjustment impact simulation (persons activity, run by the adjustment workflow)', () => {
  const { clock, set } = movableClock('2022-07-15');
  const gen = idGenerator(4242);
  let stack: Stack;
  let temporal: Client;
  let worker: { stop(): Promise<void> };
  const personsQueue = uniqueId('persons');
  const workflowsQueue = uniqueId('workflows-adjustment');
  const people: Record<'allAlong' | 'september' | 'diedAugust' | 'suspended', string> = { allAlong: '', september: '', diedAugust: '', suspended: '' };

  /** Independent of the service's code: the seed file's yuan per year for martyrs' survivors, monthly, half up. */
  const seed = JSON.parse(readFileSync(SEED_FILE, 'utf8')) as { versions: { effectiveFrom: string; survivorYuanPerYear: Record<string, number> }[] };
  const monthly = (effective: string) => {
    const fen = BigInt(seed.versions.find((v) => v.effectiveFrom === effective)!.survivorYuanPerYear.MARTYR_SURVIVOR!) * 100n;
    return (fen * 2n + 12n) / 24n;
  };

  beforeAll(async () => {
    stack = await startStack('simulation', clock, { YOUFU_ACTIVITY_QUEUE: personsQueue }, { YOUFU_STANDARDS_SEED_UNTIL: '2021-12-31' });
    temporal = await temporalClient();
    worker = await startWorkflowsWorker({ taskQueue: workflowsQueue, env: serviceEnv(stack.db.adminUrl, stack.prefix), clock });
    const [clerk, approver] = await Promise.all([token('clerk', 'li'), token('approver', 'wang')]);
    const register = async (approvalDate: string) => {
      const g = gen();
      const p = await stack.client.proposeRegistration({ origin: '', person: registration(g, { approvalDate: pbDate(approvalDate), identities: [{ attributes: survivor(Category.CATEGORY_MARTYR_SURVIVOR), effectiveFrom: pbDate('2021-09-01') }] }) }, clerk);
      return (await stack.client.approveChange({ changeId: p.change!.changeId, note: '' }, approver)).person!;
    };
    // Registered in July 2022 (paid by Youfu from July), at the 2021 rate.
    people.allAlong = (await register('2021-09-01')).personId;
    const died = await register('2021-09-01');
    const suspended = await register('2021-09-01');
    people.diedAugust = died.personId;
    people.suspended = suspended.personId;
    const change = async (p: typeof died, c: Parameters<Stack['client']['proposeChange']>[0]['change']) => {
      const proposed = await stack.client.proposeChange({ personId: p.personId, expectedVersion: p.version, change: c }, clerk);
      await stack.client.approveChange({ changeId: proposed.change!.changeId, note: '' }, approver);
    };
    set('2022-09-20');
    await change(suspended, { $case: 'suspend', value: { effectiveDate: pbDate('2022-07-20'), reason: 'imprisonment' } });
    await change(died, { $case: 'recordDeath', value: { dateOfDeath: pbDate('2022-08-15'), cause: DeathCause.DEATH_CAUSE_ILLNESS, nextOfKin: { bank: '农业银行', accountNumber: '6228480000000000003', accountName: '张小三' } } });
    // Approved in September: paid from September.
    people.september = (await register('2022-09-05')).personId;
  }, 120_000);
  afterAll(async () => {
    await worker?.stop();
    await temporal?.connection.close();
    await stack?.stop();
  });

  it('costs the 2022 draft person by person, and its totals equal an independent recomputation', async () => {
    const [clerk, auditor] = await Promise.all([token('clerk', 'li'), token('auditor', 'sun')]);
    const standards = createUnaryClient(SubsidyStandardServiceService, `127.0.0.1:${stack.standards.grpcPort}`);
    let draftId: string;
    try {
      const rows = seedFileVersions().find((v) => v.effectiveFrom === '2022-08-01')!.rows.map(rowToProto);
      const { version } = await standards.createDraft({ title: '2022 national', documentNumber: '2022', source: 'seed file', level: StandardLevel.STANDARD_LEVEL_NATIONAL, regionCode: '', effectiveFrom: pbDate('2022-08-01'), baseVersionId: '' }, clerk);
      draftId = (await standards.upsertDraftRows({ versionId: version!.id, expectedRevision: version!.revision, rows }, clerk)).version!.id;
    } finally {
      standards.close();
    }
    const runId = `adjustment:2022:national:${uniqueId('run')}`;
    const result = await temporal.workflow.execute('adjustmentSimulation', {
      taskQueue: workflowsQueue,
      workflowId: runId,
      args: [{ runId, candidateVersionId: draftId, effectiveFrom: '2022-08-01', payrollMonth: '2022-10', regionCode: '', personsQueue, pageSize: 2 }],
    });
    const d = monthly('2022-08-01') - monthly('2021-08-01');
    expect(d).toBeGreaterThan(0n);
    expect(result).toEqual({ persons: 4, total: 4, backPayFen: String(4n * d), done: true });

    const impact = await stack.client.listAdjustmentImpact({ runId, page: { pageSize: 10, pageToken: '' }, changedSinceSimulation: false }, auditor);
    const of = (id: string) => impact.impacts.find((x) => x.personId === id)!;
    expect(of(people.allAlong)).toMatchObject({ backPay: { fen: 2n * d }, oldMonthly: { fen: monthly('2021-08-01') }, newMonthly: { fen: monthly('2022-08-01') }, budgetToDecember: { fen: 5n * d } });
    expect(of(people.september)).toMatchObject({ backPay: { fen: d }, budgetToDecember: { fen: 4n * d } });
    // Died in August: August's raise, and the funeral subsidy topped up by 6 × the raise (in the budget, beside the back pay).
    expect(of(people.diedAugust)).toMatchObject({ backPay: { fen: d }, oldMonthly: { fen: 0n }, newMonthly: { fen: 0n }, funeralTopUp: { fen: 6n * d }, budgetToDecember: { fen: 7n * d } });
    expect(of(people.suspended)).toMatchObject({ backPay: { fen: 0n }, oldMonthly: { fen: 0n }, budgetToDecember: { fen: 0n } });
    expect(impact.total).toMatchObject({ persons: 4n, personsAffected: 3n, backPay: { fen: 4n * d }, monthlyChange: { fen: 2n * d }, budgetToDecember: { fen: 16n * d }, funeralTopUp: { fen: 6n * d } });
    expect(impact.byCategory).toEqual([expect.objectContaining({ group: 'MARTYR_SURVIVOR', persons: 4n, backPay: { fen: 4n * d } })]);
    expect(impact.byDistrict.reduce((n, t) => n + t.persons, 0n)).toBe(4n);
  });
});
