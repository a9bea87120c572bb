import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { protoPath as healthProto } from 'grpc-health-check';
import { createRequire } from 'node:module';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProbeServiceClient, ProbeServiceService, type EchoResponse } from '../../protos/gen/youfu/devtest/v1/probe';
import { signToken } from '../../services/lib/auth';
import { devToken } from '../../services/lib/dev-issuer';
import { bearerMetadata, createUnaryClient, errorDetails, type UnaryClient } from '../../services/lib/grpc';
import { devPrivateKey } from '../../services/lib/keys';
import { startService, type RunningService } from '../../services/lib/runtime';
import { probeModule } from '../fixtures/probe';
import { freshDatabase, serviceEnv, token, topicPrefix } from '../support/env';
import { failure } from '../support/grpc';

const require = createRequire(import.meta.url);
const reflectionProto = path.join(path.dirname(require.resolve('@grpc/reflection/package.json')), 'build/proto/grpc/reflection/v1/reflection.proto');

describe('gRPC runtime: health, reflection, auth, error boundary', () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let svc: RunningService;
  let client: UnaryClient<typeof ProbeServiceService>;
  let address: string;

  beforeAll(async () => {
    db = await freshDatabase('grpc');
    svc = await startService(probeModule, { env: serviceEnv(db.adminUrl, topicPrefix('grpc')) });
    address = `127.0.0.1:${svc.grpcPort}`;
    client = createUnaryClient(ProbeServiceService, address);
  });
  afterAll(async () => {
    client?.close();
    await svc?.stop();
    await db?.drop();
  });

  it('answers the standard health check with SERVING while its database is reachable', async () => {
    const def = grpc.loadPackageDefinition(protoLoader.loadSync(healthProto, { enums: String })) as any;
    const health = new def.grpc.health.v1.Health(address, grpc.credentials.createInsecure());
    const res = await new Promise<{ status: string }>((resolve, reject) =>
      health.check({ service: 'youfu.devtest.v1.ProbeService' }, (err: Error | null, r: { status: string }) => (err ? reject(err) : resolve(r))),
    );
    expect(res.status).toBe('SERVING');
    health.close();
  });

  it('lists its services through server reflection', async () => {
    const def = grpc.loadPackageDefinition(protoLoader.loadSync(reflectionProto, { keepCase: true })) as any;
    const refl = new def.grpc.reflection.v1.ServerReflection(address, grpc.credentials.createInsecure());
    const names = await new Promise<string[]>((resolve, reject) => {
      const stream = refl.ServerReflectionInfo();
      stream.on('data', (r: { list_services_response?: { service: { name: string }[] } }) => {
        resolve((r.list_services_response?.service ?? []).map((s) => s.name));
        stream.end();
      });
      stream.on('error', reject);
      stream.write({ list_services: '' });
    });
    expect(names).toEqual(expect.arrayContaining(['youfu.devtest.v1.ProbeService', 'grpc.health.v1.Health']));
    refl.close();
  });

  it('refuses a call without a token, with a forged or an expired one (UNAUTHENTICATED), each with its own reason', async () => {
    expect(await failure(client.whoAmI({}))).toMatchObject({ code: grpc.status.UNAUTHENTICATED, reason: 'TOKEN_MISSING' });
    const forged = (await token('clerk')).slice(0, -4) + 'AAAA';
    expect(await failure(client.whoAmI({}, forged))).toMatchObject({ code: grpc.status.UNAUTHENTICATED, reason: 'TOKEN_INVALID' });
    const expired = await devToken({ subject: 'li', role: 'clerk' }, -60);
    expect(await failure(client.whoAmI({}, expired))).toMatchObject({ code: grpc.status.UNAUTHENTICATED, reason: 'TOKEN_EXPIRED' });
    // A token signed by the persons service's own key that claims to be an approver.
    const kid = 'service:persons';
    const asApprover = await signToken(await devPrivateKey(kid), kid, { subject: 'persons', role: 'approver' }, 60);
    expect(await failure(client.whoAmI({}, asApprover))).toMatchObject({ code: grpc.status.UNAUTHENTICATED, reason: 'TOKEN_INVALID' });
  });

  it('refuses a role the RPC does not allow (PERMISSION_DENIED) and names the reason', async () => {
    const f = await failure(client.record({ aggregateId: crypto.randomUUID(), seq: 1n }, await token('auditor')));
    expect(f.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(f.reason).toBe('ROLE_NOT_ALLOWED');
    const hospital = await token('hospital', 'his-1', { hospital: 'H001' });
    expect((await failure(client.record({ aggregateId: crypto.randomUUID(), seq: 1n }, hospital))).code).toBe(grpc.status.PERMISSION_DENIED);
  });

  it('checks a delegated service call as the person it acts for, only where the policy lists it', async () => {
    const asAuditor = await token('service', 'adjustment', { actor: { subject: 'zhao', role: 'auditor' } });
    expect(await client.whoAmI({}, asAuditor)).toEqual({ subject: 'zhao', role: 'auditor' });
    expect(await failure(client.record({ aggregateId: crypto.randomUUID(), seq: 1n }, asAuditor))).toMatchObject({ code: grpc.status.PERMISSION_DENIED, reason: 'DELEGATION_NOT_ALLOWED' });
    const asClerk = await token('service', 'adjustment', { actor: { subject: 'li', role: 'clerk' } });
    expect((await client.record({ aggregateId: crypto.randomUUID(), seq: 1n }, asClerk)).eventId).toMatch(/^[0-9a-f-]{36}$/);
    const otherService = await token('service', 'persons', { actor: { subject: 'li', role: 'clerk' } });
    expect(await failure(client.whoAmI({}, otherService))).toMatchObject({ code: grpc.status.PERMISSION_DENIED, reason: 'DELEGATION_NOT_ALLOWED' });
    const asApprover = await token('service', 'adjustment', { actor: { subject: 'wang', role: 'approver' } });
    expect(await failure(client.whoAmI({}, asApprover))).toMatchObject({ code: grpc.status.PERMISSION_DENIED, reason: 'APPROVAL_NOT_DELEGABLE' });
  });

  it('maps bad input to INVALID_ARGUMENT with the field path, and rule conflicts to FAILED_PRECONDITION', async () => {
    const clerk = await token('clerk');
    const bad = await failure(client.record({ aggregateId: 'not-a-uuid', seq: 0n }, clerk));
    expect(bad.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(bad.fields.sort()).toEqual(['aggregateId', 'seq']);
    const agg = crypto.randomUUID();
    const ok = await client.record({ aggregateId: agg, seq: 1n }, clerk);
    expect(ok.eventId).toMatch(/^[0-9a-f-]{36}$/);
    const dup = await failure(client.record({ aggregateId: agg, seq: 1n }, clerk));
    expect(dup.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(dup.reason).toBe('DUPLICATE_SEQ');
  });

  it('refuses undecodable request bytes as INVALID_ARGUMENT MALFORMED_REQUEST, unary and streaming', async () => {
    const raw = new grpc.Client(address, grpc.credentials.createInsecure());
    const md = bearerMetadata(await token('clerk'));
    const id = (b: Buffer) => b;
    for (const bytes of [Buffer.from([0x0a, 0xff]), Buffer.from([0x0f]), Buffer.from([0x12, 0x05, 0x01])]) {
      const err = await new Promise<grpc.ServiceError>((resolve) =>
        raw.makeUnaryRequest(ProbeServiceService.record.path, id, id, bytes, md, (e) => resolve(e!)),
      );
      expect({ code: err.code, reason: errorDetails(err).reason }).toEqual({ code: grpc.status.INVALID_ARGUMENT, reason: 'MALFORMED_REQUEST' });
    }
    const stream = raw.makeBidiStreamRequest(ProbeServiceService.echo.path, id, id, bearerMetadata(await token('auditor')));
    const ended = new Promise<grpc.ServiceError>((resolve) => stream.on('error', resolve));
    stream.on('data', () => undefined);
    stream.write(Buffer.from([0x0a, 0xff]));
    const err = await ended;
    expect({ code: err.code, reason: errorDetails(err).reason }).toEqual({ code: grpc.status.INVALID_ARGUMENT, reason: 'MALFORMED_REQUEST' });
    raw.close();
  });

  it('refuses control characters in any string field, naming it, and writes nothing', async () => {
    const clerk = await token('clerk');
    const agg = `${crypto.randomUUID().slice(0, 35)}\u0000`;
    const f = await failure(client.record({ aggregateId: agg, seq: 1n }, clerk));
    expect(f).toMatchObject({ code: grpc.status.INVALID_ARGUMENT, reason: 'CONTROL_CHARACTER', fields: ['aggregateId'] });
    expect((await svc.pool.query('SELECT 1 FROM probe_rows WHERE aggregate_id = $1', [agg.replace('\u0000', '')])).rowCount).toBe(0);
  });

  it('streams both ways: answers every message, also after the client half-closes', async () => {
    const raw = new ProbeServiceClient(address, grpc.credentials.createInsecure());
    const stream = raw.echo(bearerMetadata(await token('auditor')));
    const got: EchoResponse[] = [];
    const done = new Promise<void>((resolve, reject) => {
      stream.on('data', (r: EchoResponse) => got.push(r));
      stream.on('error', reject);
      stream.on('end', () => resolve());
    });
    for (const text of ['一', '二', '三']) stream.write({ text });
    stream.end();
    await done;
    raw.close();
    expect(got).toEqual([
      { text: '一', position: 1 },
      { text: '二', position: 2 },
      { text: '三', position: 3 },
    ]);
  });

  it('refuses a stream without a token', async () => {
    const raw = new ProbeServiceClient(address, grpc.credentials.createInsecure());
    const stream = raw.echo(new grpc.Metadata());
    const err = await new Promise<grpc.ServiceError>((resolve) => {
      stream.on('error', resolve);
      stream.on('data', () => undefined);
      stream.end();
    });
    raw.close();
    expect(err.code).toBe(grpc.status.UNAUTHENTICATED);
  });

  it('serves Prometheus metrics', async () => {
    const body = await (await fetch(`http://127.0.0.1:${svc.metricsPort}/metrics`)).text();
    expect(body).toContain('youfu_grpc_server_handling_seconds');
  });
});
