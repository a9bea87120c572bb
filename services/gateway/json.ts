/**
 * The proto3 canonical JSON mapping, strict: @bufbuild/protobuf's codec (it passes the protobuf
 * conformance suite) refuses unknown fields, wrong types and out-of-range numbers, where ts-proto's
 * generated `fromJSON` would coerce or drop them. A refusal names the field path, in the JSON names
 * the services' own BadRequest violations use (`bill.costs.total.fen`, `rows[2].amount`).
 */
import * as grpc from '@grpc/grpc-js';
import { fromBinary, fromJson, toBinary, toJson, type DescMessage, type FileRegistry, type JsonValue } from '@bufbuild/protobuf';
import { fieldPath } from '../lib/errors';
import { doorError } from './errors';

/** Parses a body as JSON, or throws MALFORMED_JSON (`at` names the part, e.g. a line of NDJSON). */
export function parseJson(text: string, at = ''): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw doorError(grpc.status.INVALID_ARGUMENT, 'MALFORMED_JSON', `the body${at} is not JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/**
 * JSON → the message's protobuf bytes, or INVALID_ARGUMENT `INVALID_FIELD` naming the first bad
 * field (under `prefix`, e.g. the index of a streamed message).
 */
export function jsonToBinary(desc: DescMessage, json: unknown, registry: FileRegistry, prefix: (string | number)[] = []): Uint8Array {
  try {
    return toBinary(desc, fromJson(desc, json as JsonValue, { registry }));
  } catch (e) {
    const field = fieldPath([...prefix, ...locate(desc, json, registry, [])]);
    const description = e instanceof Error ? e.message.replace(/^cannot decode (message|field) [\w.]+ from JSON: /, '') : String(e);
    throw doorError(grpc.status.INVALID_ARGUMENT, 'INVALID_FIELD', `${field || '(body)'}: ${description}`, { fieldViolations: [{ field, description }] });
  }
}

/** Protobuf bytes → JSON, every field shown (zeros and empty lists too), int64 as strings. */
export function binaryToJson(desc: DescMessage, bytes: Uint8Array, registry: FileRegistry): JsonValue {
  return toJson(desc, fromBinary(desc, bytes), { registry, alwaysEmitImplicit: true });
}

const decodes = (desc: DescMessage, json: unknown, registry: FileRegistry) => {
  try {
    fromJson(desc, json as JsonValue, { registry });
    return true;
  } catch {
    return false;
  }
};

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The path of the first member the codec refuses (the message's own path when no member alone fails). */
function locate(desc: DescMessage, json: unknown, registry: FileRegistry, at: (string | number)[]): (string | number)[] {
  // Well-known types have JSON forms of their own (a Timestamp is a string): no deeper path.
  if (!isObject(json) || desc.typeName.startsWith('google.protobuf.')) return at;
  for (const [key, value] of Object.entries(json)) {
    const field = desc.fields.find((f) => f.jsonName === key || f.name === key);
    const here = [...at, field?.jsonName ?? key];
    if (!field) return here;
    if (decodes(desc, { [key]: value }, registry)) continue;
    if (field.fieldKind === 'message' && value !== null) return locate(field.message, value, registry, here);
    if (field.fieldKind === 'list' && Array.isArray(value)) {
      const n = value.findIndex((el) => !decodes(desc, { [key]: [el] }, registry));
      if (n < 0) return here;
      return field.listKind === 'message' ? locate(field.message, value[n], registry, [...here, n]) : [...here, n];
    }
    if (field.fieldKind === 'map' && isObject(value)) {
      const k = Object.keys(value).find((mk) => !decodes(desc, { [key]: { [mk]: value[mk] } }, registry));
      if (k === undefined) return here;
      return field.mapKind === 'message' ? locate(field.message, value[k], registry, [...here, k]) : [...here, k];
    }
    return here;
  }
  return at;
}
