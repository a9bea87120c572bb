import { fromBinary, toBinary } from '@bufbuild/protobuf';
import {
  FileDescriptorProtoSchema,
  FileDescriptorSetSchema,
  type DescriptorProto,
  type EnumDescriptorProto,
  type FieldDescriptorProto,
  type FileDescriptorProto,
} from '@bufbuild/protobuf/wkt';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const defaultImage = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../protos/gen/image.binpb');
const reflectionProtoRoot = path.join(
  path.dirname(createRequire(import.meta.url).resolve('@grpc/reflection/package.json')),
  'build/proto',
);
const VERSIONS = ['v1', 'v1alpha'] as const;

/** The fully-qualified names of the two reflection services, for `list_services`. */
export const REFLECTION_SERVICES = VERSIONS.map((v) => `grpc.reflection.${v}.ServerReflection`);

/** The descriptor image indexed for answering reflection requests. */
interface Index {
  /** File name → the file as serialised bytes and the names of its direct imports. */
  files: Map<string, { bytes: Uint8Array; deps: string[] }>;
  /** Fully-qualified symbol (no leading dot) → the file that defines it. */
  symbols: Map<string, string>;
  /** `extendee#number` (extendee without leading dot) → the file that defines the extension. */
  extensions: Map<string, string>;
}

const indexed = new Map<string, Index>();
let reflectionPkg: protoLoader.PackageDefinition | undefined;

function indexImage(imagePath: string): Index {
  let raw: Buffer;
  try {
    raw = readFileSync(imagePath);
  } catch (e) {
    throw new Error(`reflection: cannot read descriptor image ${imagePath} (run deploy/local/setup.sh)`, { cause: e });
  }
  const index: Index = { files: new Map(), symbols: new Map(), extensions: new Map() };
  for (const file of fromBinary(FileDescriptorSetSchema, raw).file) {
    if (index.files.has(file.name)) continue; // concatenated sets repeat shared imports
    index.files.set(file.name, { bytes: toBinary(FileDescriptorProtoSchema, file), deps: file.dependency });
    indexFile(index, file);
  }
  return index;
}

function indexFile(index: Index, file: FileDescriptorProto): void {
  const add = (name: string) => index.symbols.set(name, file.name);
  const addExtensions = (exts: FieldDescriptorProto[], scope: string) => {
    for (const x of exts) {
      add(`${scope}${x.name}`);
      index.extensions.set(`${x.extendee.replace(/^\./, '')}#${x.number}`, file.name);
    }
  };
  const addEnum = (e: EnumDescriptorProto, scope: string) => {
    add(`${scope}${e.name}`);
    // Enum values are scoped like siblings of their enum (C++ scoping rules).
    for (const v of e.value) add(`${scope}${v.name}`);
  };
  const addMessage = (m: DescriptorProto, scope: string) => {
    const name = `${scope}${m.name}`;
    add(name);
    for (const f of m.field) add(`${name}.${f.name}`);
    for (const o of m.oneofDecl) add(`${name}.${o.name}`);
    for (const e of m.enumType) addEnum(e, `${name}.`);
    for (const n of m.nestedType) addMessage(n, `${name}.`);
    addExtensions(m.extension, `${name}.`);
  };
  const pkg = file.package ? `${file.package}.` : '';
  for (const m of file.messageType) addMessage(m, pkg);
  for (const e of file.enumType) addEnum(e, pkg);
  for (const s of file.service) {
    add(`${pkg}${s.name}`);
    for (const m of s.method) add(`${pkg}${s.name}.${m.name}`);
  }
  addExtensions(file.extension, pkg);
}

/** The file's bytes followed by those of all its transitive imports (each once). */
function withDependencies(index: Index, name: string): Uint8Array[] {
  const seen = new Set<string>();
  const out: Uint8Array[] = [];
  const visit = (n: string) => {
    const f = index.files.get(n);
    if (!f || seen.has(n)) return;
    seen.add(n);
    out.push(f.bytes);
    f.deps.forEach(visit);
  };
  visit(name);
  return out;
}

/** A reflection request as proto-loader decodes it (keepCase, oneofs). */
interface ReflectionRequest {
  host?: string;
  message_request?: 'file_by_filename' | 'file_containing_symbol' | 'file_containing_extension' | 'all_extension_numbers_of_type' | 'list_services';
  file_by_filename?: string;
  file_containing_symbol?: string;
  file_containing_extension?: { containing_type?: string; extension_number?: number };
  all_extension_numbers_of_type?: string;
  list_services?: string;
}

function answer(index: Index, services: string[], req: ReflectionRequest): Record<string, unknown> {
  const notFound = (what: string) => ({ error_response: { error_code: grpc.status.NOT_FOUND, error_message: `${what} not found` } });
  const files = (name: string | undefined) => ({ file_descriptor_response: { file_descriptor_proto: withDependencies(index, name!) } });
  const stripDot = (s = '') => s.replace(/^\./, '');
  switch (req.message_request) {
    case 'list_services':
      return { list_services_response: { service: services.map((name) => ({ name })) } };
    case 'file_by_filename': {
      const name = req.file_by_filename ?? '';
      return index.files.has(name) ? files(name) : notFound(`file ${name}`);
    }
    case 'file_containing_symbol': {
      const symbol = stripDot(req.file_containing_symbol);
      const file = index.symbols.get(symbol);
      return file ? files(file) : notFound(`symbol ${symbol}`);
    }
    case 'file_containing_extension': {
      const { containing_type, extension_number } = req.file_containing_extension ?? {};
      const file = index.extensions.get(`${stripDot(containing_type)}#${extension_number}`);
      return file ? files(file) : notFound(`extension ${extension_number} of ${containing_type}`);
    }
    case 'all_extension_numbers_of_type': {
      // grpcurl asks this for every message it handles; a known message answers its (often empty) list.
      const type = stripDot(req.all_extension_numbers_of_type);
      if (!index.symbols.has(type)) return notFound(`type ${type}`);
      const numbers = [...index.extensions.keys()].filter((k) => k.startsWith(`${type}#`)).map((k) => Number(k.split('#')[1]));
      return { all_extension_numbers_response: { base_type_name: type, extension_number: numbers } };
    }
    default:
      return { error_response: { error_code: grpc.status.INVALID_ARGUMENT, error_message: 'unknown reflection request' } };
  }
}

/**
 * Adds gRPC server reflection (`grpc.reflection.v1` and `v1alpha`) to `server`, answering from the
 * descriptor image that deploy/local/setup.sh builds with buf, so clients such as grpcurl see the
 * original descriptors of every file and its imports.
 *
 * @param server the server to add the two reflection services to.
 * @param services exactly what `list_services` answers: the port's own services, usually plus
 *   `grpc.health.v1.Health` and {@link REFLECTION_SERVICES}.
 * @param imagePath a serialised FileDescriptorSet (several may be concatenated; files are
 *   de-duplicated by name). Defaults to `protos/gen/image.binpb` in the repo.
 * @throws Error when the image cannot be read.
 */
export function addReflection(server: grpc.Server, services: string[], imagePath: string = defaultImage): void {
  // Read and indexed once per process (every service of `npm start` shares it).
  const index = indexed.get(imagePath) ?? indexed.set(imagePath, indexImage(imagePath)).get(imagePath)!;
  reflectionPkg ??= protoLoader.loadSync(
    VERSIONS.map((v) => `grpc/reflection/${v}/reflection.proto`),
    { includeDirs: [reflectionProtoRoot], keepCase: true, oneofs: true },
  );
  const pkg = reflectionPkg;
  const handler: grpc.handleBidiStreamingCall<ReflectionRequest, Record<string, unknown>> = (call) => {
    call.on('data', (req: ReflectionRequest) =>
      call.write({ valid_host: req.host ?? '', original_request: req, ...answer(index, services, req) }),
    );
    call.on('end', () => call.end());
  };
  for (const v of VERSIONS) {
    server.addService(pkg[`grpc.reflection.${v}.ServerReflection`] as grpc.ServiceDefinition, { ServerReflectionInfo: handler });
  }
}
