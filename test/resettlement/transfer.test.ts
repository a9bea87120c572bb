/**
 * The registry transfer on the real stack: standards, persons and resettlement, each with its own
 * schema; the case workflow proposes the registration in persons acting for the officer, once per
 * attempt however often the officer asks; a persons approver decides; the case shows the outcome.
 */
import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DisabilityCause, Residence } from '../../protos/gen/youfu/common/v1/entitlement';
import { PlacementMode, RankType, VeteranResettlementServiceService, type ReceiveCaseRequest } from '../../protos/gen/youfu/resettlement/v1/resettlement';
import { createUnaryClient, type UnaryClient } from '../../services/lib/grpc';
import { startService, type RunningService } from '../../services/lib/runtime';
import { resettlementModule } from '../../services/resettlement/index';
import { movableClock, pbDate, startStack, type Stack } from '../persons/support';
import { eventually, serviceEnv, token, uniqueId } from '../support/env';
import { failure } from '../support/grpc';
import { idGenerator } from '../support/national-ids';

const TODAY = '2026-03-20';
const gen = idGenerator(43);

describe('registry transfer (real stack)', () => {
  const { clock } = movableClock(TODAY);
  let stack: Stack;
  let svc: RunningService;
  let client: UnaryClient<typeof VeteranResettlementServiceService>;
  let clerk: string, approver: string;

  beforeAll(async () => {
    stack = await startStack('resettlement_transfer', clock);
    svc = await startService(resettlementModule, { env: serviceEnv(stack.db.adminUrl, stack.prefix, { YOUFU_PERSONS_ADDR: stack.address, YOUFU_ACTIVITY_QUEUE: uniqueId('resettlement') }), clock });
    client = createUnaryClient(VeteranResettlementServiceService, `127.0.0.1:${svc.grpcPort}`);
    [clerk, approver] = await Promise.all([token('clerk', 'officer-zhao'), token('approver', 'chief-sun')]);
  }, 180_000);
  afterAll(async () => {
    client?.close();
    await svc?.stop();
    await stack?.stop();
  });

  const reported = async (o: Partial<ReceiveCaseRequest> = {}) => {
    const { case: c } = await client.receiveCase(
      {
        nationalId: gen({ birthDate: '2000-02-03', gender: 'MALE' }).id,
        name: '李卫国',
        serviceBranch: '陆军',
        rankType: RankType.RANK_TYPE_CONSCRIPT,
        ncoLevel: 0,
        enlistedOn: pbDate('2023-09-10'),
        dischargedOn: pbDate('2026-03-01'),
        dischargeApprovedOn: pbDate('2026-03-05'),
        honours: [],
        disability: { grade: 6, cause: DisabilityCause.DISABILITY_CAUSE_WAR, assessedOn: pbDate('2025-11-20'), mentalDisorder: false },
        martyrChild: false,
        district: '440106',
        residence: Residence.RESIDENCE_URBAN,
        collegeStudent: false,
        payee: { bank: '中国工商银行广州分行', accountNumber: '6222020200112233445', accountName: '李卫国' },
        phone: '13900000000',
        ...o,
      },
      clerk,
    );
    await client.recordReport({ caseId: c!.caseId, reportedOn: pbDate('2026-03-10'), lateReason: '' }, clerk);
    return c!.caseId;
  };
  const transfer = async (id: string) =>
    eventually(async () => {
      const t = (await client.getCase({ caseId: id }, clerk)).case!.registryTransfer;
      return t && t.status !== 'REQUESTED' ? t : undefined;
    }, 30_000, 'the registration proposed');
  const changesOf = async (id: string) =>
    (await stack.persons.pool.query<{ origin: string; status: string; proposed_by: string; proposed_via: string }>("SELECT origin, status, proposed_by, proposed_via FROM change_requests WHERE origin LIKE $1 ORDER BY proposed_at", [`resettlement:${id}:%`])).rows;

  it('asked three times at once, proposes one registration in persons, acting for the officer; approved there, the case shows it', async () => {
    const id = await reported();
    await Promise.all([1, 2, 3].map(() => client.transferToRegistry({ caseId: id }, clerk)));
    const t = await transfer(id);
    expect(t).toMatchObject({ attempt: 1, origin: `resettlement:${id}:1`, status: 'PROPOSED', requestedBy: 'officer-zhao' });
    await client.transferToRegistry({ caseId: id }, clerk); // again: nothing new
    expect(await changesOf(id)).toEqual([{ origin: `resettlement:${id}:1`, status: 'PROPOSED', proposed_by: 'officer-zhao', proposed_via: 'resettlement' }]);

    const { change } = await stack.client.getChangeRequest({ changeId: t.changeId }, approver);
    expect(change).toMatchObject({ origin: `resettlement:${id}:1`, summary: expect.stringContaining('DISABLED_SERVICEMAN') });
    await stack.client.approveChange({ changeId: t.changeId, note: 'files checked' }, approver);
    expect((await client.getCase({ caseId: id }, clerk)).case!.registryTransfer!.status).toBe('APPROVED');
    // The registered person: from the case's details, an identity from the assessment date, paid from the transfer date.
    const reg = await stack.persons.pool.query<{ approval_date: string; district: string; origin: string }>(
      "SELECT p.approval_date::text, p.district, c.origin FROM persons p JOIN change_requests c ON c.id = p.registered_by WHERE c.origin = $1",
      [`resettlement:${id}:1`],
    );
    expect(reg.rows).toEqual([{ approval_date: TODAY, district: '440106', origin: `resettlement:${id}:1` }]);
    const event = await stack.persons.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM outbox WHERE event_type = 'youfu.persons.v1.PersonRegistered'");
    expect(event.rows[0]!.n).toBeGreaterThanOrEqual(1);
  });

  it('after a rejection in persons, a new request makes a second attempt (a new origin)', async () => {
    const id = await reported();
    await client.transferToRegistry({ caseId: id }, clerk);
    const first = await transfer(id);
    await stack.client.rejectChange({ changeId: first.changeId, reason: 'assessment certificate missing' }, approver);
    expect((await client.getCase({ caseId: id }, clerk)).case!.registryTransfer!.status).toBe('REJECTED');
    await client.transferToRegistry({ caseId: id }, clerk);
    const second = await eventually(async () => {
      const t = (await client.getCase({ caseId: id }, clerk)).case!.registryTransfer!;
      return t.attempt === 2 && t.status === 'PROPOSED' ? t : undefined;
    }, 30_000, 'the second attempt');
    expect(second.origin).toBe(`resettlement:${id}:2`);
    expect((await changesOf(id)).map((c) => [c.origin.split(':').at(-1), c.status])).toEqual([
      ['1', 'REJECTED'],
      ['2', 'PROPOSED'],
    ]);
  });

  it('a veteran already registered is recorded as DUPLICATE_PERSON', async () => {
    const nationalId = gen({ birthDate: '2001-07-08', gender: 'MALE' }).id;
    const supported = { nationalId, disability: { grade: 3, cause: DisabilityCause.DISABILITY_CAUSE_WAR, assessedOn: pbDate('2025-11-20'), mentalDisorder: false } };
    const first = await reported(supported);
    await client.transferToRegistry({ caseId: first }, clerk);
    await stack.client.approveChange({ changeId: (await transfer(first)).changeId, note: 'ok' }, approver);
    await client.choosePlacement({ caseId: first, mode: PlacementMode.PLACEMENT_MODE_SUPPORT }, clerk);
    await client.closeCase({ caseId: first, note: 'handed to the care home' }, clerk);
    const second = await reported(supported); // the same person again, a new case
    await client.transferToRegistry({ caseId: second }, clerk);
    expect(await transfer(second)).toMatchObject({ status: 'DUPLICATE_PERSON', changeId: '' });
    expect(await changesOf(second)).toEqual([]);
  });

  it('refuses what cannot be transferred, and writes nothing', async () => {
    const illness = await reported({ disability: { grade: 7, cause: DisabilityCause.DISABILITY_CAUSE_ILLNESS, assessedOn: pbDate('2025-11-20'), mentalDisorder: false } });
    const f = await failure(client.transferToRegistry({ caseId: illness }, clerk));
    expect([f.code, f.reason]).toEqual([status.FAILED_PRECONDITION, 'NOT_TRANSFERABLE']);
    const none = await reported({ disability: undefined });
    expect((await failure(client.transferToRegistry({ caseId: none }, clerk))).reason).toBe('NO_PENSIONED_DISABILITY');
    const unpaid = await reported({ payee: undefined });
    expect((await failure(client.transferToRegistry({ caseId: unpaid }, clerk))).reason).toBe('PAYEE_REQUIRED');
    for (const id of [illness, none, unpaid]) {
      expect((await client.getCase({ caseId: id }, clerk)).case!.registryTransfer).toBeUndefined();
      expect(await changesOf(id)).toEqual([]);
    }
  });
});
