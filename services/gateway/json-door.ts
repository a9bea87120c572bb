/**
 * The JSON door: `POST /v1/<package>.<Service>/<Method>` with the request message in the proto3
 * canonical JSON mapping, answered with the response message (or the error body of errors.ts).
 * Every RPC of the contract is there, found in the descriptor image; a client-streaming RPC
 * (ImportPersons) takes newline-delimited JSON, one message per line, or a JSON array.
 */
import * as grpc from '@grpc/grpc-js';
import type { JsonValue } from '@bufbuild/protobuf';
import type { Backends, CallContext } from './backends';
import { doorError } from './errors';
import { binaryToJson, jsonToBinary, parseJson } from './json';
import type { Contract, Route } from './registry';

export const JSON_TYPES = ['application/json', 'application/x-ndjson'];

/** The messages of a request body: one for a unary RPC, each line (or array element) of a stream. */
function messagesOf(route: Route, body: string, contract: Contract): Uint8Array[] {
  const encode = (json: unknown, prefix: number[] = []) => jsonToBinary(route.method.input, json, contract.registry, prefix);
  if (route.method.methodKind !== 'client_streaming') return [encode(parseJson(body))];
  const trimmed = body.trim();
  if (trimmed.startsWith('[')) {
    const all = parseJson(trimmed);
    if (!Array.isArray(all)) throw doorError(grpc.status.INVALID_ARGUMENT, 'INVALID_FIELD', '(body): expected an array of messages', { fieldViolations: [{ field: '', description: 'expected an array of messages' }] });
    return all.map((m, n) => encode(m, [n]));
  }
  return trimmed
    .split('\n')
    .map((line, n) => ({ line: line.trim(), n }))
    .filter((l) => l.line)
    .map(({ line, n }) => encode(parseJson(line, ` (line ${n + 1})`), [n]));
}

export async function callJsonDoor(route: Route, body: string, ctx: CallContext, contract: Contract, backends: Backends): Promise<JsonValue> {
  if (route.method.methodKind === 'server_streaming' || route.method.methodKind === 'bidi_streaming') {
    throw doorError(grpc.status.UNIMPLEMENTED, 'STREAMING_NOT_SUPPORTED', `${route.method.name} streams its answers: call it over gRPC`);
  }
  const answer = await backends.call(route, messagesOf(route, body, contract), ctx);
  return binaryToJson(route.method.output, answer, contract.registry);
}
