import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import type { Payload, PayloadCodec } from '@temporalio/common';
import protos from '@temporalio/proto';
import { DefaultLogger, NativeConnection, Runtime, Worker, type WorkerOptions } from '@temporalio/worker';
import { parseKeySpec } from './pii';
import { activitiesOf } from './temporal-errors';

const { temporal } = protos;

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * Where `npm run build:workflows` writes the production bundle of a workflows module:
 * `.local/build/workflows-bundle.js` for workflows/index.ts (the workflows worker),
 * `.local/build/workflows-<folder>-bundle.js` for workflows/<folder>/workflow.ts (a service's own).
 */
export function workflowBundleFor(workflowsPath: string): string {
  const rel = path.relative(path.join(ROOT, 'workflows'), workflowsPath).split(path.sep);
  const name = rel.length === 1 ? 'workflows-bundle.js' : `workflows-${rel[0]}-bundle.js`;
  return path.join(ROOT, '.local/build', name);
}
const ENCODING = 'binary/encrypted';
const KEY_ID = 'encryption-key-id';

/**
 * Encrypts every Temporal payload with AES-256-GCM, so personal data in workflow inputs, results and
 * activity arguments never sits in Temporal's history in clear. The key id travels in the payload
 * metadata; `keys` may hold retired keys for decoding, `current` names the one used to encode.
 */
export class AesGcmCodec implements PayloadCodec {
  constructor(private readonly keys: ReadonlyMap<string, Buffer>, private readonly current: string) {
    const k = keys.get(current);
    if (!k || k.length !== 32) throw new Error(`payload key ${current} must be 32 bytes`);
  }

  /** Parses `id1:base64key,id2:base64key` with {@link parseKeySpec}; the first entry is the current key. */
  static fromConfig(spec: string): AesGcmCodec {
    const { keys, current } = parseKeySpec(spec, 'payload keys');
    return new AesGcmCodec(keys, current);
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', this.keys.get(this.current)!, iv);
      const plain = temporal.api.common.v1.Payload.encode(p).finish();
      const data = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return {
        metadata: { encoding: Buffer.from(ENCODING), [KEY_ID]: Buffer.from(this.current) },
        data,
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => {
      if (Buffer.from(p.metadata?.encoding ?? []).toString() !== ENCODING) return p;
      const keyId = Buffer.from(p.metadata?.[KEY_ID] ?? []).toString();
      const key = this.keys.get(keyId);
      if (!key) throw new Error(`unknown payload key id ${keyId}`);
      const data = Buffer.from(p.data ?? []);
      const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, 12));
      decipher.setAuthTag(data.subarray(data.length - 16));
      const plain = Buffer.concat([decipher.update(data.subarray(12, data.length - 16)), decipher.final()]);
      return temporal.api.common.v1.Payload.decode(plain) as Payload;
    });
  }
}

export interface TemporalConfig {
  YOUFU_TEMPORAL_ADDRESS: string;
  YOUFU_TEMPORAL_NAMESPACE: string;
}

let runtimeInstalled = false;
function installRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({ logger: new DefaultLogger('WARN') });
}

/** A Temporal client for starting and signalling workflows. */
export async function createTemporalClient(cfg: TemporalConfig, codec?: PayloadCodec): Promise<Client> {
  const connection = await Connection.connect({ address: cfg.YOUFU_TEMPORAL_ADDRESS });
  return new Client({
    connection,
    namespace: cfg.YOUFU_TEMPORAL_NAMESPACE,
    ...(codec ? { dataConverter: { payloadCodecs: [codec] } } : {}),
  });
}

/** A worker running on its own connection; `stop` drains it and closes the connection. */
export interface RunningTemporalWorker {
  worker: Worker;
  /** Settles when the worker has stopped (rejects if it failed). */
  done: Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts a worker on `taskQueue`: services pass their activities (they live with the data they
 * touch, wrapped so AppErrors cross Temporal), the workflows worker passes `workflowsPath` or a
 * prebuilt `workflowBundle`. Payloads go through the codec.
 */
export async function startTemporalWorker(
  cfg: TemporalConfig,
  opts: Pick<WorkerOptions, 'taskQueue' | 'workflowsPath' | 'workflowBundle' | 'shutdownGraceTime'> & { activities?: object; codec?: PayloadCodec },
): Promise<RunningTemporalWorker> {
  installRuntime();
  const connection = await NativeConnection.connect({ address: cfg.YOUFU_TEMPORAL_ADDRESS });
  try {
    const { codec, activities, ...rest } = opts;
    const worker = await Worker.create({
      connection,
      namespace: cfg.YOUFU_TEMPORAL_NAMESPACE,
      ...rest,
      ...(activities ? { activities: activitiesOf(activities) } : {}),
      ...(codec ? { dataConverter: { payloadCodecs: [codec] } } : {}),
    });
    const done = worker.run().finally(() => connection.close());
    return {
      worker,
      done,
      async stop() {
        if (worker.getState() === 'RUNNING') worker.shutdown();
        await done;
      },
    };
  } catch (err) {
    await connection.close();
    throw err;
  }
}
