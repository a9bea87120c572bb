import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Phase, RunKind } from '../../protos/gen/youfu/adjustment/v1/adjustment';
import { DisabilityCause } from '../../protos/gen/youfu/common/v1/entitlement';
import { IndexKind, StandardLevel } from '../../protos/gen/youfu/standards/v1/standards';
import { disabled, idGenerator, movableClock, pbDate, pbMonth, registration, type Stack } from '../persons/support';
import { putIndexValue } from '../standards/support';
import { eventually, token } from '../support/env';
import { failure } from '../support/grpc';
import { startAdjustmentStack, type AdjustmentStack } from './support';

const run = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));

/**
 * The January roll-over (domain.md §2): a nursing fee uses the city's average monthly wage of the
 * previous year. Until 2022's is approved, 2023's months pay on 2021's (provisional); once it is,
 * the approval records a ROLLOVER_DUE item, and a NURSING_ROLLOVER run re-derives from 2023-01
 * with back pay for the months paid meanwhile — simulated, approved by another person, applied.
 */
describe('nursing-fee roll-over', () => {
  const { clock, set } = movableClock('2022-09-10');
  let a: AdjustmentStack;
  let stack: Stack;
  let clerk: string;
  let approver: string;
  let personId = '';
  const runId = 'adjustment:2023:rollover:440100';
  const grade1 = disabled(1, DisabilityCause.DISABILITY_CAUSE_WAR);
  const wage = (year: number, fen: bigint) => putIndexValue(a.standards, { kind: IndexKind.INDEX_KIND_AVERAGE_MONTHLY_WAGE, cityCode: '440100', year, fen });
  const nursingOn = async (day: string, districtCode: string) => (await a.standards.lookupBenefit({ attributes: grade1, districtCode, date: pbDate(day) }, clerk)).benefit!;

  beforeAll(async () => {
    a = await startAdjustmentStack('rollover', clock, { YOUFU_ADJUSTMENT_PAYROLL_POLL: '1 second' }, {});
    stack = a.stack;
    [clerk, approver] = await Promise.all([token('clerk', 'li'), token('approver', 'wang')]);
    await wage(2021, 1_000_000n);
    const g = idGenerator(8181)();
    const p = await stack.client.proposeRegistration({ origin: '', person: registration(g, { approvalDate: pbDate('2022-09-01'), identities: [{ attributes: grade1, effectiveFrom: pbDate('2020-05-01') }] }) }, clerk);
    personId = (await stack.client.approveChange({ changeId: p.change!.changeId, note: '' }, approver)).change!.personId;
    set('2023-02-10');
    for (const m of ['2023-01', '2023-02']) await stack.client.runPayroll({ month: pbMonth(m) }, approver);
  }, 180_000);
  afterAll(async () => {
    await a?.stop();
  });

  it('pays 2023 on the latest approved wage meanwhile (provisional), and refuses a roll-over before the wage is in force', async () => {
    const { person } = await stack.client.getPerson({ personId }, clerk);
    const before = await nursingOn('2023-01-01', person!.districtCode);
    expect(before.nursingFee).toMatchObject({ wageYear: 2021 });
    expect(before.provisional).toEqual([expect.objectContaining({ year: 2022, usedYear: 2021 })]);
    const start = { year: 2023, level: StandardLevel.STANDARD_LEVEL_LOCAL, regionCode: '440100', payrollMonth: { year: 2023, month: 3 }, source: { $case: 'nursingRollover' as const, value: { cityCode: '440100' } } };
    expect(await failure(a.client.startAdjustment(start, clerk))).toMatchObject({ reason: 'INDEX_VALUE_NOT_IN_FORCE' });
  });

  it('records the roll-over due when the wage is approved; the run simulates, is approved and applies from January', async () => {
    const { person } = await stack.client.getPerson({ personId }, clerk);
    const old = (await nursingOn('2023-01-01', person!.districtCode)).nursingFee!.monthlyAmount!.fen;
    await wage(2022, 1_100_000n);
    const now = (await nursingOn('2023-01-01', person!.districtCode)).nursingFee!.monthlyAmount!.fen;
    expect(now).toBeGreaterThan(old);
    await eventually(async () => {
      const { items } = await a.client.listPendingItems({ includeResolved: false, page: undefined }, clerk);
      return items.find((i) => i.kind === 'ROLLOVER_DUE' && i.subject === '440100:2023');
    }, 60_000, 'the roll-over due');

    // Started by a clerk with the staff CLI.
    const { stdout } = await run(process.execPath, ['--import', 'tsx', path.join(here, '../../services/adjustment/cli.ts'), 'start', '--rollover', '--year', '2023', '--region', '440100', '--payroll', '2023-03'], {
      env: { ...process.env, YOUFU_TOKEN: clerk, YOUFU_ADJUSTMENT_ADDR: `127.0.0.1:${a.svc.grpcPort}` },
    });
    expect(stdout).toContain(`started\n${runId}`);
    const started = await a.client.getAdjustment({ runId }, clerk);
    expect(started.adjustment).toMatchObject({ runId, kind: RunKind.RUN_KIND_NURSING_ROLLOVER, versionId: '', startedBy: 'li' });
    const all = await a.client.listPendingItems({ includeResolved: true, page: undefined }, clerk);
    expect(all.items.find((i) => i.subject === '440100:2023')).toMatchObject({ resolvedByRun: runId });

    const simulated = await a.phase(runId, Phase.PHASE_AWAITING_APPROVAL, clerk);
    expect(simulated.totals).toMatchObject({ persons: 1n, personsAffected: 1n, backPay: { fen: 2n * (now - old) } });
    await a.client.approveAdjustment({ runId, payrollMonth: { year: 2023, month: 3 }, note: 'wage 2022' }, approver);
    const done = await a.phase(runId, Phase.PHASE_COMPLETED, clerk);
    expect(done.applied).toMatchObject({ persons: 1n, backPay: { fen: 2n * (now - old) } });

    const { adjustments, periods } = await stack.client.getBenefits({ personId, includeSuperseded: false }, clerk);
    expect(adjustments.map((l) => [l.month?.month, l.source, l.amount?.fen])).toEqual([
      [1, 'index:AVERAGE_MONTHLY_WAGE:440100:2022', now - old],
      [2, 'index:AVERAGE_MONTHLY_WAGE:440100:2022', now - old],
    ]);
    expect(periods.find((p) => p.fromMonth?.year === 2023 && p.fromMonth.month === 1)).toMatchObject({ monthlyAmount: { fen: now } });
    // Payroll P pays the new fee and the back pay; the "recompute from 2023-01" exception is gone.
    set('2023-03-05');
    const p = (await stack.client.runPayroll({ month: pbMonth('2023-03') }, approver)).payroll!;
    expect(p.backPay?.fen).toBe(2n * (now - old));
    expect(p.exceptions.filter((e) => e.personId === personId)).toEqual([]);
  });
});
