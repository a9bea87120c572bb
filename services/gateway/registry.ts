/**
 * The gateway's view of the contract: the descriptor image `buf build` writes (protos/gen/image.binpb)
 * as a registry of every message, enum and service. Routes, JSON, OpenAPI and the error bodies
 * come from it, so an RPC added to a .proto appears at the door without gateway code.
 */
import { createFileRegistry, fromBinary, type DescField, type DescMessage, type DescMethod, type DescService, type FileRegistry } from '@bufbuild/protobuf';
import { FileDescriptorSetSchema, type FileDescriptorProto } from '@bufbuild/protobuf/wkt';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const defaultImage = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../protos/gen/image.binpb');

/** One RPC at the JSON door: `POST /v1/<package>.<Service>/<Method>`. */
export interface Route {
  path: string;
  service: DescService;
  method: DescMethod;
  /** The service's area (`youfu.<area>.v1`): which backend answers it. */
  area: string;
}

export interface Contract {
  registry: FileRegistry;
  routes: Map<string, Route>;
  /** Leading comment of a message, field, service or method (source info of the image). */
  comment(d: DescMessage | DescField | DescService | DescMethod): string;
}

/** Services that exist for tests only never reach the door. */
const PUBLIC = /^youfu\.(?!devtest\.)(\w+)\.v\d+\./;

export function loadContract(imagePath = defaultImage): Contract {
  const set = fromBinary(FileDescriptorSetSchema, readFileSync(imagePath));
  // The image is several sets concatenated: shared imports repeat.
  const seen = new Set<string>();
  set.file = set.file.filter((f) => !seen.has(f.name) && seen.add(f.name));
  const registry = createFileRegistry(set);
  const routes = new Map<string, Route>();
  for (const t of registry) {
    if (t.kind !== 'service') continue;
    const area = PUBLIC.exec(t.typeName)?.[1];
    if (!area) continue;
    for (const method of t.methods) {
      const p = `/v1/${t.typeName}/${method.name}`;
      routes.set(p, { path: p, service: t, method, area });
    }
  }
  const comments = commentIndex(set.file);
  return { registry, routes, comment: (d) => comments.get(pathKey(d)) ?? '' };
}

// ---------- comments from source info ----------

type Described = DescMessage | DescField | DescService | DescMethod;

function commentIndex(files: readonly FileDescriptorProto[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const f of files) {
    for (const loc of f.sourceCodeInfo?.location ?? []) {
      const text = loc.leadingComments.trim();
      if (text) out.set(`${f.name}:${loc.path.join('.')}`, text.replace(/\n /g, '\n'));
    }
  }
  return out;
}

/** The source-info path of a descriptor (descriptor.proto field numbers: message 4, nested 3, field 2, service 6, method 2). */
function pathKey(d: Described): string {
  const parts: number[] = [];
  let file = '';
  const ofMessage = (m: DescMessage): void => {
    if (m.parent) {
      ofMessage(m.parent);
      parts.push(3, m.parent.proto.nestedType.indexOf(m.proto));
    } else {
      file = m.file.proto.name;
      parts.push(4, m.file.proto.messageType.indexOf(m.proto));
    }
  };
  switch (d.kind) {
    case 'message':
      ofMessage(d);
      break;
    case 'field':
      ofMessage(d.parent);
      parts.push(2, d.parent.proto.field.indexOf(d.proto));
      break;
    case 'service':
      file = d.file.proto.name;
      parts.push(6, d.file.proto.service.indexOf(d.proto));
      break;
    case 'rpc':
      file = d.parent.file.proto.name;
      parts.push(6, d.parent.file.proto.service.indexOf(d.parent.proto), 2, d.parent.proto.method.indexOf(d.proto));
      break;
  }
  return `${file}:${parts.join('.')}`;
}
