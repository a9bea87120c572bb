/**
 * The settlement service on the real stack for tests: standards and persons (test/persons/support),
 * the settlement service with its activities on a queue of its own, and a workflows worker on a
 * queue of its own; helpers to designate hospitals, register their tokens and build bills.
 */
import { decodeJwt } from 'jose';
import type { Bill } from '../../protos/gen/youfu/settlement/v1/settlement';
import { HospitalStatus, MedicalSettlementServiceService, VisitType } from '../../protos/gen/youfu/settlement/v1/settlement';
import type { Clock } from '../../services/lib/civil';
import { createUnaryClient, type UnaryClient } from '../../services/lib/grpc';
import { startService, type RunningService } from '../../services/lib/runtime';
import { settlementModule, statementScheduleId } from '../../services/settlement/index';
import { startWorkflowsWorker } from '../../workflows/worker';
import { pbDate, registration, startStack, type GeneratedId, type Stack } from '../persons/support';
import { serviceEnv, token, uniqueId } from '../support/env';
import { deleteSchedule } from '../support/temporal';

export interface SettlementStack {
  persons: Stack;
  settlement: RunningService;
  client: UnaryClient<typeof MedicalSettlementServiceService>;
  address: string;
  env: NodeJS.ProcessEnv;
  workflowsQueue: string;
  /** Restartable: the workflows worker of this stack (the statement cut-off runs there). */
  startWorker(): Promise<void>;
  stopWorker(): Promise<void>;
  stop(): Promise<void>;
}

/** The settlement service's environment beside a persons stack: its own queues, the run's prefix. */
export function settlementEnv(persons: Stack, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return serviceEnv(persons.db.adminUrl, persons.prefix, {
    YOUFU_PERSONS_ADDR: persons.address,
    YOUFU_WORKFLOWS_QUEUE: uniqueId('workflows-settlement'),
    YOUFU_ACTIVITY_QUEUE: uniqueId('settlement'),
    // The schedule's id carries the run's topic prefix; stop() deletes it.
    YOUFU_STATEMENT_CRON: '5 0 1 * *',
    ...extra,
  });
}

export async function startSettlementStack(label: string, clock: Clock, o: { worker?: boolean } = {}): Promise<SettlementStack> {
  const persons = await startStack(label, clock);
  const env = settlementEnv(persons);
  const workflowsQueue = env.YOUFU_WORKFLOWS_QUEUE!;
  const settlement = await startService(settlementModule, { env, clock });
  const address = `127.0.0.1:${settlement.grpcPort}`;
  const client = createUnaryClient(MedicalSettlementServiceService, address);
  let worker: { stop(): Promise<void> } | undefined;
  const stack: SettlementStack = {
    persons,
    settlement,
    client,
    address,
    env,
    workflowsQueue,
    async startWorker() {
      worker ??= await startWorkflowsWorker({ taskQueue: workflowsQueue, env, clock });
    },
    async stopWorker() {
      await worker?.stop();
      worker = undefined;
    },
    async stop() {
      client.close();
      await stack.stopWorker();
      await deleteSchedule(statementScheduleId(persons.prefix));
      await settlement.stop();
      await persons.stop();
    },
  };
  if (o.worker ?? true) await stack.startWorker();
  return stack;
}

/** Designates a hospital (a clerk proposes, an approver approves) and returns a registered token for it. */
export async function designate(s: Pick<SettlementStack, 'client'>, code: string, status = HospitalStatus.HOSPITAL_STATUS_ACTIVE): Promise<string> {
  const clerk = await token('clerk', 'clerk-li');
  const approver = await token('approver', 'approver-wang');
  const p = await s.client.proposeHospital({ hospitalCode: code, name: `Hospital ${code}`, status, note: 'designation notice 2026-1' }, clerk);
  await s.client.decideProposal({ proposalId: p.proposal!.proposalId, approve: true, note: 'checked', expectedVersion: 1n }, approver);
  return hospitalToken(s, code);
}

/** A new token for a hospital, its jti registered. */
export async function hospitalToken(s: Pick<SettlementStack, 'client'>, code: string): Promise<string> {
  const t = await token('hospital', `his-${code}`, { hospital: code });
  await s.client.registerCredential(
    { hospitalCode: code, credential: { $case: 'tokenId', value: decodeJwt(t).jti! }, expiresAt: new Date(Date.now() + 3600_000), note: 'HIS token' },
    await token('approver', 'approver-wang'),
  );
  return t;
}

/** Registers and approves a person with `identities` (persons' registration builder). */
export async function registerPerson(s: Pick<SettlementStack, 'persons'>, g: GeneratedId, o: Parameters<typeof registration>[1] = {}) {
  const clerk = await token('clerk', 'clerk-li');
  const approver = await token('approver', 'approver-wang');
  const proposed = await s.persons.client.proposeRegistration({ origin: '', person: registration(g, o) }, clerk);
  return (await s.persons.client.approveChange({ changeId: proposed.change!.changeId, note: '' }, approver)).person!;
}

const fen = (n: number | bigint) => ({ fen: BigInt(n) });

/**
 * A bill of `code` for patient `g` (name 张三, the registration default): total 10,000 yuan, in
 * scope 9,000, basic insurance 5,000 → remaining 4,000 yuan. Amounts in fen.
 */
export function bill(code: string, billNo: string, g: GeneratedId, o: Partial<Record<keyof Bill, unknown>> = {}): { bill: Bill } {
  return {
    bill: {
      hospitalCode: code,
      billNo,
      visitType: VisitType.VISIT_TYPE_INPATIENT,
      admissionDate: pbDate('2026-06-01'),
      dischargeDate: pbDate('2026-06-10'),
      nationalId: g.id,
      name: '张三',
      totalCost: fen(1_000_000),
      inScopeCost: fen(900_000),
      basicInsurance: fen(500_000),
      seriousIllnessInsurance: fen(0),
      largeExpenseSubsidy: fen(0),
      civilServantSubsidy: fen(0),
      enterpriseSupplementary: fen(0),
      otherFunds: fen(0),
      medicalAssistance: fen(0),
      hospitalWaiver: fen(0),
      items: [],
      ...o,
    } as Bill,
  };
}

export { fen };
