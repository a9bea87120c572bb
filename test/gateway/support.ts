/**
 * The gateway in front of a settlement stack (standards, persons, settlement on the real servers),
 * and a small HTTP client that sends what a hospital's system would: a body, headers, nothing else.
 */
import * as grpc from '@grpc/grpc-js';
import { startGateway, type GatewayOptions, type RunningGateway } from '../../services/gateway/server';
import { loadContract } from '../../services/gateway/registry';
import { createLogger } from '../../services/lib/log';
import type { SettlementStack } from '../settlement/support';

export const contract = loadContract();

export function gatewayFor(s: SettlementStack, o: Partial<GatewayOptions> = {}): Promise<RunningGateway> {
  return startGateway({
    host: '127.0.0.1',
    port: 0,
    contract,
    backends: { settlement: s.address, persons: s.persons.address, standards: `127.0.0.1:${s.persons.standards.grpcPort}` },
    credentials: grpc.credentials.createInsecure(),
    maxBodyBytes: 64 * 1024,
    rate: { perSecond: 1000, burst: 1000 },
    timeoutMs: 30_000,
    log: createLogger('gateway', 'silent'),
    ...o,
  });
}

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
