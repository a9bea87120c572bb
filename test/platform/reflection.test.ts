import { fromBinary } from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema } from '@bufbuild/protobuf/wkt';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { HealthImplementation } from 'grpc-health-check';
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BadRequest } from '../../protos/gen/google/rpc/error_details';
import { Status as RpcStatus } from '../../protos/gen/google/rpc/status';
import { ProbeServiceService, type ProbeServiceServer } from '../../protos/gen/youfu/devtest/v1/probe';
import { addReflection, REFLECTION_SERVICES } from '../../services/lib/reflection';
import { startService, type RunningService } from '../../services/lib/runtime';
import { personsModule } from '../../services/persons/index';
import { standardsModule } from '../../services/standards/index';
import { freshDatabase, serviceEnv, token, topicPrefix } from '../support/env';

const run = promisify(execFile);
const reflectionProtoRoot = path.join(path.dirname(createRequire(import.meta.url).resolve('@grpc/reflection/package.json')), 'build/proto');
const script = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../deploy/local/grpcurl.sh');
const PROBE = 'youfu.devtest.v1.ProbeService';
const SERVICES = [PROBE, 'grpc.health.v1.Health', ...REFLECTION_SERVICES];

/** The probe service with trivial raw grpc-js handlers: reflection is under test, not the runtime. */
const probe: ProbeServiceServer = {
  whoAmI: (_call, cb) => cb(null, { subject: 'anonymous', role: 'none' }),
  runTask: (call, cb) => cb(null, { result: call.request.taskId }),
  record: (call, cb) => {
    if (call.request.seq > 0n) return cb(null, { eventId: `${call.request.aggregateId}/${call.request.seq}` });
    const bad = BadRequest.fromPartial({ fieldViolations: [{ field: 'seq', description: 'must be positive' }] });
    const details = [{ typeUrl: 'type.googleapis.com/google.rpc.BadRequest', value: Buffer.from(BadRequest.encode(bad).finish()) }];
    const metadata = new grpc.Metadata();
    metadata.set('grpc-status-details-bin', Buffer.from(RpcStatus.encode({ code: grpc.status.INVALID_ARGUMENT, message: 'bad seq', details }).finish()));
    cb({ code: grpc.status.INVALID_ARGUMENT, details: 'bad seq', metadata });
  },
  echo: (call) => {
    let position = 0;
    call.on('data', (r: { text: string }) => call.write({ text: r.text, position: ++position }));
    call.on('end', () => call.end());
  },
};

describe('server reflection, as grpcurl (a client we did not write) uses it', () => {
  const server = new grpc.Server();
  let grpcurlBin: string;
  let address: string;
  /** `grpcurl -plaintext [flags] <address> <command...>`, resolving with stdout. */
  const grpcurl = async (command: string[], flags: string[] = []) =>
    (await run(grpcurlBin, ['-plaintext', '-max-time', '20', ...flags, address, ...command])).stdout;

  beforeAll(async () => {
    // The first run builds grpcurl with go install (minutes on 2 cores); later runs use the cache.
    grpcurlBin = (await run('bash', [script], { timeout: 15 * 60_000 })).stdout.trim();
    new HealthImplementation({ '': 'SERVING', [PROBE]: 'SERVING' }).addToServer(server);
    server.addService(ProbeServiceService, probe);
    addReflection(server, SERVICES);
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    address = `127.0.0.1:${port}`;
  }, 16 * 60_000);
  afterAll(() => server.forceShutdown());

  it('lists exactly the services the port serves', async () => {
    expect((await grpcurl(['list'])).trim().split('\n').sort()).toEqual([...SERVICES].sort());
  });

  it('describes a service, its methods and a request message', async () => {
    const svc = await grpcurl(['describe', PROBE]);
    expect(svc).toContain(`${PROBE} is a service:`);
    expect(svc).toContain('rpc WhoAmI ( .youfu.devtest.v1.WhoAmIRequest ) returns ( .youfu.devtest.v1.WhoAmIResponse );');
    expect(svc).toContain('rpc Echo ( stream .youfu.devtest.v1.EchoRequest ) returns ( stream .youfu.devtest.v1.EchoResponse );');
    expect(await grpcurl(['describe', `${PROBE}.Record`])).toContain(`${PROBE}.Record is a method:`);
    const msg = await grpcurl(['describe', 'youfu.devtest.v1.RecordRequest']);
    expect(msg).toContain('youfu.devtest.v1.RecordRequest is a message:');
    expect(msg).toContain('string aggregate_id = 1;');
    expect(msg).toContain('int64 seq = 2;');
  });

  it('resolves types across packages (what @grpc/reflection 1.0.4 got wrong)', async () => {
    const msg = await grpcurl(['describe', 'youfu.persons.v1.IdentityInput']);
    expect(msg).toContain('.youfu.common.v1.EntitlementAttributes attributes = 1;');
  });

  it('describes the error details a client decodes with -format-error', async () => {
    const msg = await grpcurl(['describe', 'google.rpc.BadRequest']);
    expect(msg).toContain('google.rpc.BadRequest is a message:');
    expect(msg).toContain('repeated .google.rpc.BadRequest.FieldViolation field_violations = 1;');
  });

  it('decodes error details by reflection with -format-error', async () => {
    const err = await grpcurl([`${PROBE}/Record`], ['-format-error', '-d', '{"aggregateId": "a1", "seq": "0"}']).then(
      () => expect.unreachable('the call should fail'),
      (e: { code: number; stderr: string }) => e,
    );
    expect(err.code).toBe(64 + grpc.status.INVALID_ARGUMENT); // grpcurl exits with 64 + the gRPC status code
    expect(JSON.parse(err.stderr)).toEqual({
      code: 3,
      message: 'bad seq',
      details: [{ '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: [{ field: 'seq', description: 'must be positive' }] }],
    });
  });

  it('calls the health check', async () => {
    expect(JSON.parse(await grpcurl(['grpc.health.v1.Health/Check'], ['-d', '{"service": ""}']))).toEqual({ status: 'SERVING' });
  });

  it('calls probe methods, unary and bidi streaming', async () => {
    expect(JSON.parse(await grpcurl([`${PROBE}/Record`], ['-d', '{"aggregateId": "a1", "seq": "7"}']))).toEqual({ eventId: 'a1/7' });
    const echoed = await grpcurl([`${PROBE}/Echo`], ['-d', '{"text": "x"} {"text": "y"}']);
    expect(echoed.replace(/\s/g, '')).toBe('{"text":"x","position":1}{"text":"y","position":2}');
  });

  it('fails cleanly for a symbol the server does not know', async () => {
    await expect(grpcurl(['describe', 'youfu.devtest.v1.NoSuchThing'])).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining('Symbol not found: youfu.devtest.v1.NoSuchThing'),
    });
    await expect(grpcurl([`${PROBE}/NoSuchMethod`], ['-d', '{}'])).rejects.toMatchObject({
      stderr: expect.stringContaining(`service "${PROBE}" does not include a method named "NoSuchMethod"`),
    });
  });

  it('answers v1alpha too: a file with its transitive imports, NOT_FOUND for an unknown symbol', async () => {
    const pkg = protoLoader.loadSync('grpc/reflection/v1alpha/reflection.proto', { includeDirs: [reflectionProtoRoot], keepCase: true });
    const def = grpc.loadPackageDefinition(pkg) as any;
    const client = new def.grpc.reflection.v1alpha.ServerReflection(address, grpc.credentials.createInsecure());
    const answers: any[] = [];
    await new Promise<void>((resolve, reject) => {
      const stream = client.ServerReflectionInfo();
      stream.on('data', (r: unknown) => answers.push(r));
      stream.on('end', resolve);
      stream.on('error', reject);
      stream.write({ file_containing_symbol: 'google.rpc.BadRequest.FieldViolation' });
      stream.write({ file_containing_symbol: 'youfu.devtest.v1.Nope' });
      stream.end();
    });
    client.close();
    const files = answers[0].file_descriptor_response.file_descriptor_proto.map((b: Buffer) => fromBinary(FileDescriptorProtoSchema, b).name);
    expect(files).toEqual(['google/rpc/error_details.proto', 'google/protobuf/duration.proto']);
    expect(answers[1].error_response).toMatchObject({ error_code: grpc.status.NOT_FOUND });
  });
});

/** The real services through the runtime: grpcurl with no -proto flag lists, describes and calls each. */
describe('grpcurl against the running services, by reflection alone', () => {
  let grpcurlBin: string;
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let standards: RunningService;
  let persons: RunningService;
  let clerk: string;
  const call = async (port: number, command: string[], flags: string[] = []) =>
    (await run(grpcurlBin, ['-plaintext', '-max-time', '20', ...flags, `127.0.0.1:${port}`, ...command])).stdout;

  beforeAll(async () => {
    grpcurlBin = (await run('bash', [script], { timeout: 15 * 60_000 })).stdout.trim();
    db = await freshDatabase('grpcurl');
    const prefix = topicPrefix('grpcurl');
    standards = await startService(standardsModule, { env: serviceEnv(db.adminUrl, prefix) });
    persons = await startService(personsModule, { env: serviceEnv(db.adminUrl, prefix, { YOUFU_STANDARDS_ADDR: `127.0.0.1:${standards.grpcPort}` }) });
    clerk = await token('clerk', 'li');
  }, 16 * 60_000);
  afterAll(async () => {
    await persons?.stop();
    await standards?.stop();
    await db?.drop();
  });

  const own = ['grpc.health.v1.Health', ...REFLECTION_SERVICES];
  it('standards: lists only its own services, describes them and answers a call and a health check', async () => {
    const port = standards.grpcPort;
    expect((await call(port, ['list'])).trim().split('\n').sort()).toEqual(['youfu.standards.v1.SubsidyStandardService', ...own].sort());
    expect(await call(port, ['describe', 'youfu.standards.v1.SubsidyStandardService'])).toContain('rpc GetVersion ( .youfu.standards.v1.GetVersionRequest ) returns ( .youfu.standards.v1.GetVersionResponse );');
    const got = JSON.parse(await call(port, ['youfu.standards.v1.SubsidyStandardService/GetVersion'], ['-H', `authorization: Bearer ${clerk}`, '-d', '{"versionId": "5eed2022-0801-4000-8000-000000000000"}']));
    expect(got.version).toMatchObject({ id: '5eed2022-0801-4000-8000-000000000000', status: 'VERSION_STATUS_PUBLISHED' });
    expect(JSON.parse(await call(port, ['grpc.health.v1.Health/Check'], ['-d', '{"service": "youfu.standards.v1.SubsidyStandardService"}']))).toEqual({ status: 'SERVING' });
  });

  it('persons: lists only its own services, answers a call, and shows a BadRequest with -format-error', async () => {
    const port = persons.grpcPort;
    expect((await call(port, ['list'])).trim().split('\n').sort()).toEqual(['youfu.persons.v1.EntitledPersonService', ...own].sort());
    expect(await call(port, ['describe', 'youfu.persons.v1.EntitledPersonService.ListPersons'])).toContain('is a method:');
    expect(JSON.parse(await call(port, ['youfu.persons.v1.EntitledPersonService/ListPersons'], ['-H', `authorization: Bearer ${clerk}`, '-d', '{}']))).toEqual({ page: {} });
    const err = await call(port, ['youfu.persons.v1.EntitledPersonService/GetPerson'], ['-format-error', '-H', `authorization: Bearer ${clerk}`, '-d', '{"personId": "not-a-uuid"}']).then(
      () => expect.unreachable('the call should fail'),
      (e: { code: number; stderr: string }) => e,
    );
    expect(err.code).toBe(64 + grpc.status.INVALID_ARGUMENT);
    const status = JSON.parse(err.stderr) as { details: { '@type': string; reason?: string; fieldViolations?: { field: string }[] }[] };
    expect(status.details).toEqual(expect.arrayContaining([
      expect.objectContaining({ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'INVALID_FIELD' }),
      expect.objectContaining({ '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: [expect.objectContaining({ field: 'personId' })] }),
    ]));
    const noToken = await call(port, ['youfu.persons.v1.EntitledPersonService/ListPersons'], ['-format-error', '-d', '{}']).then(() => undefined, (e: { stderr: string }) => e.stderr);
    expect(JSON.parse(noToken!).details).toEqual([expect.objectContaining({ reason: 'TOKEN_MISSING' })]);
  });
});
