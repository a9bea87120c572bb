/**
 * The gateway in front of a settlement stack (standards, persons, settlement on the real servers),
 * and a small HTTP client that sends what a hospital's system would: a body, headers, nothing else.
 */
import { startGatewayFromEnv } from '../../services/gateway/main';
import type { RunningGateway } from '../../services/gateway/server';
import type { SettlementStack } from '../settlement/support';
import { serviceEnv } from '../support/env';

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
