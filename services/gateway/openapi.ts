/**
 * The JSON door's OpenAPI 3.1 document, generated from the contract: an operation per route, a
 * schema per message in the proto3 JSON mapping (int64 as strings, enums by name, well-known types
 * in their JSON forms), descriptions from the .proto comments, and the error body of errors.ts.
 */
import { ScalarType, type DescEnum, type DescField, type DescMessage } from '@bufbuild/protobuf';
import type { Contract } from './registry';

type Schema = Record<string, unknown>;

const SCALARS: Record<ScalarType, Schema> = {
  [ScalarType.DOUBLE]: { type: 'number' },
  [ScalarType.FLOAT]: { type: 'number' },
  [ScalarType.INT64]: { type: 'string', format: 'int64', pattern: '^-?[0-9]+$' },
  [ScalarType.UINT64]: { type: 'string', format: 'uint64', pattern: '^[0-9]+$' },
  [ScalarType.INT32]: { type: 'integer', format: 'int32' },
  [ScalarType.FIXED64]: { type: 'string', format: 'uint64', pattern: '^[0-9]+$' },
  [ScalarType.FIXED32]: { type: 'integer', format: 'int64', minimum: 0 },
  [ScalarType.BOOL]: { type: 'boolean' },
  [ScalarType.STRING]: { type: 'string' },
  [ScalarType.BYTES]: { type: 'string', format: 'byte' },
  [ScalarType.UINT32]: { type: 'integer', format: 'int64', minimum: 0 },
  [ScalarType.SFIXED32]: { type: 'integer', format: 'int32' },
  [ScalarType.SFIXED64]: { type: 'string', format: 'int64', pattern: '^-?[0-9]+$' },
  [ScalarType.SINT32]: { type: 'integer', format: 'int32' },
  [ScalarType.SINT64]: { type: 'string', format: 'int64', pattern: '^-?[0-9]+$' },
};

/** Well-known types whose JSON is not an object of their fields. */
const WELL_KNOWN: Record<string, Schema> = {
  'google.protobuf.Timestamp': { type: 'string', format: 'date-time' },
  'google.protobuf.Duration': { type: 'string', pattern: '^-?[0-9]+(\\.[0-9]+)?s$' },
  'google.protobuf.Any': { type: 'object', properties: { '@type': { type: 'string' } }, required: ['@type'], additionalProperties: true },
  'google.protobuf.Struct': { type: 'object', additionalProperties: true },
  'google.protobuf.Value': {},
  'google.protobuf.Empty': { type: 'object', additionalProperties: false },
};

/**
 * JSON Schemas of messages in the proto3 JSON mapping, each under its full name in `schemas`,
 * referenced as `<refPrefix><full name>` (OpenAPI and AsyncAPI documents both use them).
 */
export function schemaBuilder(contract: Contract, refPrefix: string) {
  const ref = (typeName: string) => ({ $ref: `${refPrefix}${typeName}` });
  const schemas: Record<string, Schema> = {};
  const enumSchema = (e: DescEnum): Schema => ({ type: 'string', enum: e.values.map((v) => v.name) });
  const fieldSchema = (f: DescField): Schema => {
    const one = (kind: 'scalar' | 'enum' | 'message', scalar?: ScalarType, en?: DescEnum, msg?: DescMessage): Schema =>
      kind === 'scalar' ? SCALARS[scalar!] : kind === 'enum' ? (add(en!), ref(en!.typeName)) : (add(msg!), ref(msg!.typeName));
    switch (f.fieldKind) {
      case 'scalar':
        return SCALARS[f.scalar];
      case 'enum':
        return one('enum', undefined, f.enum);
      case 'message':
        return one('message', undefined, undefined, f.message);
      case 'list':
        return { type: 'array', items: one(f.listKind, f.listKind === 'scalar' ? f.scalar : undefined, f.listKind === 'enum' ? f.enum : undefined, f.listKind === 'message' ? f.message : undefined) };
      case 'map':
        return { type: 'object', additionalProperties: one(f.mapKind, f.mapKind === 'scalar' ? f.scalar : undefined, f.mapKind === 'enum' ? f.enum : undefined, f.mapKind === 'message' ? f.message : undefined) };
    }
  };
  const add = (t: DescMessage | DescEnum): void => {
    if (schemas[t.typeName]) return;
    if (t.kind === 'enum') {
      schemas[t.typeName] = enumSchema(t);
      return;
    }
    const known = WELL_KNOWN[t.typeName];
    if (known) {
      schemas[t.typeName] = known;
      return;
    }
    const s: Schema = { type: 'object', additionalProperties: false, properties: {} };
    schemas[t.typeName] = s; // before the fields: recursive messages refer to themselves
    const description = contract.comment(t);
    if (description) s.description = description;
    const props = s.properties as Record<string, Schema>;
    for (const f of t.fields) {
      const fs = fieldSchema(f);
      const text = [contract.comment(f), f.oneof ? `One of \`${f.oneof.name}\`: ${f.oneof.fields.map((x) => x.jsonName).join(', ')} (at most one is set).` : ''].filter(Boolean).join('\n\n');
      props[f.jsonName] = text ? (fs.$ref ? { allOf: [fs], description: text } : { ...fs, description: text }) : fs;
    }
  };
  return { schemas, add, ref };
}

export function openApiOf(contract: Contract, o: { title: string; version: string; serverUrl?: string }): Schema {
  const { schemas, add, ref } = schemaBuilder(contract, '#/components/schemas/');
  schemas['youfu.gateway.Error'] = {
    type: 'object',
    description: 'Every error of the JSON door: the gRPC status of the service (or of the door), its ErrorInfo reason and metadata, its BadRequest field paths.',
    properties: {
      error: {
        type: 'object',
        required: ['code', 'status', 'reason', 'message'],
        properties: {
          code: { type: 'integer', description: 'gRPC status code' },
          status: { type: 'string', description: 'gRPC status name, e.g. INVALID_ARGUMENT' },
          reason: { type: 'string', description: 'machine-readable reason (google.rpc.ErrorInfo), e.g. INVALID_FIELD' },
          message: { type: 'string' },
          fieldViolations: { type: 'array', items: { type: 'object', properties: { field: { type: 'string' }, description: { type: 'string' } } } },
          metadata: { type: 'object', additionalProperties: { type: 'string' } },
          requestId: { type: 'string' },
        },
      },
    },
  };
  const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: ref('youfu.gateway.Error') } } });
  const paths: Record<string, Schema> = {};
  for (const r of [...contract.routes.values()].sort((a, b) => a.path.localeCompare(b.path))) {
    if (r.method.methodKind === 'server_streaming' || r.method.methodKind === 'bidi_streaming') continue;
    add(r.method.input);
    add(r.method.output);
    const streaming = r.method.methodKind === 'client_streaming';
    paths[r.path] = {
      post: {
        operationId: `${r.service.typeName}.${r.method.name}`,
        tags: [r.service.typeName],
        summary: r.method.name,
        description: [contract.comment(r.method), streaming ? 'A client stream: send the messages as newline-delimited JSON (one per line) or as a JSON array.' : ''].filter(Boolean).join('\n\n'),
        ...(r.method.deprecated ? { deprecated: true } : {}),
        parameters: [{ name: 'x-request-id', in: 'header', required: false, schema: { type: 'string', pattern: '^[\\w.:-]{1,128}$' }, description: 'Echoed, and passed to the services (one is made when absent)' }],
        requestBody: {
          required: true,
          content: streaming
            ? { 'application/x-ndjson': { schema: ref(r.method.input.typeName) }, 'application/json': { schema: { type: 'array', items: ref(r.method.input.typeName) } } }
            : { 'application/json': { schema: ref(r.method.input.typeName) } },
        },
        responses: {
          200: { description: 'OK', content: { 'application/json': { schema: ref(r.method.output.typeName) } } },
          400: errorResponse('INVALID_ARGUMENT: malformed JSON, an unknown field, a wrong type, a field the service refuses'),
          401: errorResponse('UNAUTHENTICATED: no or bad bearer token'),
          403: errorResponse('PERMISSION_DENIED'),
          404: errorResponse('NOT_FOUND'),
          409: errorResponse('ALREADY_EXISTS or ABORTED (a stale version)'),
          413: errorResponse('the body is larger than the limit'),
          422: errorResponse('FAILED_PRECONDITION: a rule is not met'),
          429: errorResponse('RESOURCE_EXHAUSTED: over the rate limit (see Retry-After)'),
          503: errorResponse('UNAVAILABLE: the service cannot be reached; retry'),
        },
      },
    };
  }
  const tags = [...new Set([...contract.routes.values()].map((r) => r.service))].map((s) => ({ name: s.typeName, description: contract.comment(s) }));
  return {
    openapi: '3.1.0',
    info: {
      title: o.title,
      version: o.version,
      description: 'Every RPC of the Youfu services as JSON over HTTP, generated from protos/ (the proto3 JSON mapping). Send the bearer token the service expects; errors carry the same reasons and field paths as over gRPC.',
    },
    ...(o.serverUrl ? { servers: [{ url: o.serverUrl }] } : {}),
    security: [{ bearer: [] }],
    tags,
    paths,
    components: { schemas, securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
  };
}
