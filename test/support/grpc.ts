import type * as grpc from '@grpc/grpc-js';
import { errorDetails } from '../../services/lib/grpc';

/** Resolves with the status code, ErrorInfo reason and offending fields of a failed call. */
export async function failure(p: Promise<unknown>): Promise<{ code: grpc.status; reason?: string; fields: string[]; message: string }> {
  try {
    await p;
  } catch (err) {
    const e = err as grpc.ServiceError;
    if (typeof e.code !== 'number') throw err;
    const d = errorDetails(e);
    return { code: e.code, reason: d.reason, fields: d.fields, message: e.details };
  }
  throw new Error('expected the call to fail');
}
