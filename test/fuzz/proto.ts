/**
 * The contracts as data: every proto of the repository from the buf image (protos/gen/image.binpb,
 * made by deploy/local/setup.sh), and a gRPC caller that sends raw request bytes to any method of
 * it, so the fuzz suite needs no generated code and covers a new RPC the day it is added.
 */
import { create, createFileRegistry, fromBinary, toBinary, type DescMethod, type DescService } from '@bufbuild/protobuf';
import { FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import * as grpc from '@grpc/grpc-js';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { errorDetails, MAX_MESSAGE_BYTES } from '../../services/lib/grpc';

const genDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../protos/gen');
const imagePath = path.join(genDir, 'image.binpb');

/** Every message, enum and service of protos/ (and the google / grpc protos they import). */
export const registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, readFileSync(imagePath)));

/** Services that are not ours to fuzz: gRPC's own (health, reflection) and the test-only probe. */
const notOurs = (name: string) => name.startsWith('grpc.') || name.startsWith('youfu.devtest.');

/** The services of a module in the image: those in a `youfu.<module>.*` package. */
export function servicesOfModule(module: string): DescService[] {
  const out: DescService[] = [];
  for (const t of registry) if (t.kind === 'service' && t.typeName.startsWith(`youfu.${module}.`) && !notOurs(t.typeName)) out.push(t);
  return out.sort((a, b) => a.typeName.localeCompare(b.typeName));
}

/** `/package.Service/Method`, as gRPC routes it. */
export const rpcPath = (m: DescMethod) => `/${m.parent.typeName}/${m.name}`;

/** What a call ended with: status, the rich error details, and the response messages (raw). */
export interface Answer {
  code: grpc.status;
  message: string;
  /** ErrorInfo reason, when `grpc-status-details-bin` carries one. */
  reason?: string;
  /** BadRequest field paths. */
  fields: string[];
  hasDetails: boolean;
  responses: Uint8Array[];
  ms: number;
}

const identity = (b: Buffer) => b;

function answerOf(started: number, err: Partial<grpc.StatusObject> | null, responses: Uint8Array[]): Answer {
  const ms = performance.now() - started;
  if (!err || err.code === grpc.status.OK) return { code: grpc.status.OK, message: '', fields: [], hasDetails: false, responses, ms };
  const metadata = err.metadata ?? new grpc.Metadata();
  const d = errorDetails({ metadata } as grpc.ServiceError);
  return {
    code: err.code ?? grpc.status.UNKNOWN,
    message: err.details ?? '',
    reason: d.reason,
    fields: d.fields,
    hasDetails: metadata.get('grpc-status-details-bin').length > 0,
    responses,
    ms,
  };
}

/**
 * Calls `method` with already-serialized request messages (one for unary and server-streaming
 * methods, any number for client-streaming and bidi ones). Never rejects: every outcome is an Answer.
 */
export function callRaw(client: grpc.Client, method: DescMethod, bodies: Buffer[], metadata: grpc.Metadata, timeoutMs = 30_000): Promise<Answer> {
  const route = rpcPath(method);
  const options = { deadline: Date.now() + timeoutMs };
  const started = performance.now();
  return new Promise((resolve) => {
    const responses: Uint8Array[] = [];
    const done = (err: Partial<grpc.StatusObject> | null, res?: Buffer) => {
      if (res) responses.push(res);
      resolve(answerOf(started, err, responses));
    };
    const first = bodies[0] ?? Buffer.alloc(0);
    switch (method.methodKind) {
      case 'unary':
        client.makeUnaryRequest(route, identity, identity, first, metadata, options, (err, res) => done(err, res));
        return;
      case 'client_streaming': {
        const call = client.makeClientStreamRequest(route, identity, identity, metadata, options, (err, res) => done(err, res));
        call.on('error', () => undefined); // the callback reports it
        for (const b of bodies) call.write(b);
        call.end();
        return;
      }
      case 'server_streaming':
      case 'bidi_streaming': {
        const call =
          method.methodKind === 'server_streaming'
            ? client.makeServerStreamRequest(route, identity, identity, first, metadata, options)
            : client.makeBidiStreamRequest(route, identity, identity, metadata, options);
        call.on('data', (b: Buffer) => responses.push(b));
        call.on('error', () => undefined); // 'status' reports it
        call.on('status', (s: grpc.StatusObject) => done(s));
        if (method.methodKind === 'bidi_streaming') {
          const duplex = call as grpc.ClientDuplexStream<Buffer, Buffer>;
          for (const b of bodies) duplex.write(b);
          duplex.end();
        }
        return;
      }
    }
  });
}

/**
 * A raw client for one address, with the servers' own message size limit and a connection of its
 * own (not grpc-js's process-wide subchannel pool), so replacing a wedged client really replaces it.
 */
export const rawClient = (address: string) =>
  new grpc.Client(address, grpc.credentials.createInsecure(), { 'grpc.max_receive_message_length': MAX_MESSAGE_BYTES, 'grpc.use_local_subchannel_pool': 1 });

/** The services a server lists through server reflection (v1), ours only. */
export async function reflectedServices(client: grpc.Client): Promise<string[]> {
  const svc = registry.getService('grpc.reflection.v1.ServerReflection');
  const reqDesc = registry.getMessage('grpc.reflection.v1.ServerReflectionRequest');
  const resDesc = registry.getMessage('grpc.reflection.v1.ServerReflectionResponse');
  const method = svc?.methods[0];
  if (!method || !reqDesc || !resDesc) throw new Error('grpc.reflection.v1 is not in the image');
  const body = Buffer.from(toBinary(reqDesc, create(reqDesc, { messageRequest: { case: 'listServices', value: '' } } as never)));
  const a = await callRaw(client, method, [body], new grpc.Metadata());
  if (a.code !== grpc.status.OK || !a.responses[0]) throw new Error(`reflection failed: ${grpc.status[a.code]} ${a.message}`);
  const res = fromBinary(resDesc, a.responses[0]) as unknown as { messageResponse: { case?: string; value?: { service?: { name: string }[] } } };
  return (res.messageResponse.value?.service ?? []).map((s) => s.name).filter((n) => !notOurs(n)).sort();
}

/**
 * The request decoders the servers use (the ts-proto definitions in protos/gen), by route: a case
 * meant to be undecodable is checked against the very decoder that will read it.
 */
export async function serverDecoders(): Promise<Map<string, (b: Buffer) => unknown>> {
  const out = new Map<string, (b: Buffer) => unknown>();
  const files = readdirSync(path.join(genDir, 'youfu'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
  for (const f of files.sort()) {
    const mod = (await import(pathToFileURL(path.join(genDir, 'youfu', f)).href)) as Record<string, unknown>;
    for (const def of Object.values(mod)) {
      if (!def || typeof def !== 'object') continue;
      for (const m of Object.values(def as Record<string, unknown>)) {
        const md = m as Partial<grpc.MethodDefinition<unknown, unknown>> | undefined;
        if (md && typeof md.path === 'string' && typeof md.requestDeserialize === 'function') out.set(md.path, md.requestDeserialize);
      }
    }
  }
  return out;
}
