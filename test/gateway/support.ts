/**
 * The gateway in front of a settlement stack (standards, persons, settlement on the real servers),
 * and a small HTTP client that sends what a hospital's system would: a body, headers, nothing else.
 */
import { startGatewayFromEnv } from '../../services/gateway/main';
import { Category, type EntitlementAttributes } from '../../protos/gen/youfu/common/v1/entitlement';
import type { RunningGateway } from '../../services/gateway/server';
import type { Clock } from '../../services/lib/civil';
import { pbDate, survivor, type GeneratedId } from '../persons/support';
import { designate, registerPerson, startSettlementStack, type SettlementStack } from '../settlement/support';
import { serviceEnv, uniqueId } from '../support/env';

/** The gateway's environment beside a settlement stack: its addresses and database; `env` overrides. */
export const gatewayEnvFor = (s: SettlementStack, env: Record<string, string> = {}) =>
    serviceEnv(s.persons.db.adminUrl, s.persons.prefix, {
      YOUFU_LOG_LEVEL: 'silent',
      YOUFU_GATEWAY_PORT: '0',
      YOUFU_SETTLEMENT_ADDR: s.address,
      YOUFU_PERSONS_ADDR: s.persons.address,
      YOUFU_STANDARDS_ADDR: `127.0.0.1:${s.persons.standards.grpcPort}`,
      YOUFU_GATEWAY_MAX_BODY_BYTES: String(64 * 1024),
      YOUFU_GATEWAY_RATE: '1000',
      YOUFU_GATEWAY_BURST: '1000',
      ...env,
    });

/** The gateway process's own start (services/gateway/main.ts) in this process, beside a settlement stack. */
export const gatewayFor = (s: SettlementStack, env: Record<string, string> = {}): Promise<RunningGateway> => startGatewayFromEnv(gatewayEnvFor(s, env));

export interface Answer {
  status: number;
  headers: Headers;
  json: any;
  text: string;
}

/** POSTs `body` (a string as is, else JSON) to the gateway. */
export async function post(gw: RunningGateway, path: string, body: unknown, o: { token?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
  const res = await fetch(`${gw.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(o.token ? { authorization: `Bearer ${o.token}` } : {}), ...o.headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, json, text };
}

/** A hospital code of its own for a test file. */
export const hospitalCode = (label: string) => `H${uniqueId(label).replace(/\W/g, '').slice(-10)}`;

/**
 * A settlement stack with hospital `H` designated (its token `his`), each patient registered
 * (martyr survivors unless `attributes`), and a gateway in front of it (`env` overrides).
 */
export async function startGatewayStack(label: string, clock: Clock, H: string, patients: GeneratedId[], o: { attributes?: EntitlementAttributes; env?: Record<string, string> } = {}) {
  const s = await startSettlementStack(label, clock);
  const his = await designate(s, H);
  for (const g of patients) await registerPerson(s, g, { identities: [{ attributes: o.attributes ?? survivor(Category.CATEGORY_MARTYR_SURVIVOR), effectiveFrom: pbDate('2021-01-10') }] });
  const gw = await gatewayFor(s, o.env);
  return {
    s,
    gw,
    his,
    async stop() {
      await gw.stop();
      await s.stop();
    },
  };
}

/** test/settlement/support's `bill` as a HIS would write it in the JSON mapping (amounts: int64 fen as strings). */
export const jsonBill = (hospitalCode: string, billNo: string, g: GeneratedId, extra: Record<string, unknown> = {}) => ({
  bill: {
    hospitalCode,
    billNo,
    visitType: 'VISIT_TYPE_INPATIENT',
    admissionDate: { year: 2026, month: 6, day: 1 },
    dischargeDate: { year: 2026, month: 6, day: 10 },
    nationalId: g.id,
    name: '张三',
    totalCost: { fen: '1000000' },
    inScopeCost: { fen: '900000' },
    basicInsurance: { fen: '500000' },
    seriousIllnessInsurance: { fen: '0' },
    largeExpenseSubsidy: { fen: '0' },
    civilServantSubsidy: { fen: '0' },
    enterpriseSupplementary: { fen: '0' },
    otherFunds: { fen: '0' },
    medicalAssistance: { fen: '0' },
    hospitalWaiver: { fen: '0' },
    items: [],
    ...extra,
  },
});
