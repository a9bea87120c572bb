/**
 * Invalid requests for any RPC, generated from its descriptor with fast-check.
 *
 * A case is a request (or, for client-streaming / bidi methods, a stream of them) that is built
 * plausibly — values drawn from a corpus of real ids, codes, revisions and dates harvested from the
 * service's own tables, mixed with hostile ones (long strings, 0 / negative numbers, unknown enum
 * values, 5,001 / 10,000-item lists, forged page tokens) — and then made invalid BY CONSTRUCTION
 * with one hard poison, so the property "nothing changed" may hold for every case:
 *   - `field`: one leaf out of its domain — a control character in a string, an unknown enum value,
 *     an int32 / int64 extreme — at a path chosen among all leaves of the request (through nested
 *     messages, lists and oneofs);
 *   - `malformed`: the bytes of one message are not a message of the RPC (truncated, random, a
 *     wrong wire type, a length past the end), checked against the server's own decoder;
 *   - `token`: no token, garbage, expired, tampered, a role the RPC does not allow, or a service
 *     acting for an approver.
 */
import { create, ScalarType, toBinary, type DescField, type DescMessage, type DescMethod } from '@bufbuild/protobuf';
import fc from 'fast-check';
import { encodeCursor } from '../../services/lib/paging';

/** Values harvested from the services' tables, by column / field name (snake_case) and by name suffix. */
export interface Corpus {
  strings: Map<string, string[]>;
  numbers: Map<string, bigint[]>;
}

export const emptyCorpus = (): Corpus => ({ strings: new Map(), numbers: new Map() });

const suffixOf = (name: string) => name.slice(name.lastIndexOf('_') + 1);
const snake = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** Adds one harvested value under its name and the name's last word (`base_version_id` → `id`). */
export function remember(corpus: Corpus, name: string, value: unknown): void {
  const key = snake(name);
  const add = <T>(m: Map<string, T[]>, k: string, v: T) => {
    const list = m.get(k) ?? [];
    if (!list.includes(v) && list.length < 200) list.push(v);
    m.set(k, list);
  };
  if (typeof value === 'string') {
    if (value.length > 200) return;
    const date = /^(\d{4})-(\d{2})(?:-(\d{2}))?$/.exec(value);
    if (date) {
      add(corpus.numbers, 'year', BigInt(date[1]!));
      add(corpus.numbers, 'month', BigInt(date[2]!));
      if (date[3]) add(corpus.numbers, 'day', BigInt(date[3]));
    }
    for (const k of new Set([key, suffixOf(key), '*'])) add(corpus.strings, k, value);
  } else if (typeof value === 'number' && Number.isInteger(value)) {
    for (const k of new Set([key, suffixOf(key)])) add(corpus.numbers, k, BigInt(value));
  } else if (typeof value === 'bigint') {
    for (const k of new Set([key, suffixOf(key)])) add(corpus.numbers, k, value);
  } else if (value instanceof Date || value === null || value === undefined || ArrayBuffer.isView(value)) {
    /* nothing plausible to reuse */
  } else if (Array.isArray(value)) {
    for (const v of value) remember(corpus, name, v);
  } else if (typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) remember(corpus, k, v);
  }
}

/** Sorted copies, so the same corpus gives the same cases for a seed. */
export function freeze(corpus: Corpus): Corpus {
  const sorted = <T>(m: Map<string, T[]>) => new Map([...m].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, [...v].sort()] as const));
  return { strings: sorted(corpus.strings), numbers: sorted(corpus.numbers) };
}

// ---- leaves --------------------------------------------------------------------------------

const INT32 = [ScalarType.INT32, ScalarType.SINT32, ScalarType.SFIXED32];
const UINT32 = [ScalarType.UINT32, ScalarType.FIXED32];
const INT64 = [ScalarType.INT64, ScalarType.SINT64, ScalarType.SFIXED64];
const UINT64 = [ScalarType.UINT64, ScalarType.FIXED64];

const I32_MIN = -2147483648;
const I32_MAX = 2147483647;
const I64_MIN = -(2n ** 63n);
const I64_MAX = 2n ** 63n - 1n;
const U64_MAX = 2n ** 64n - 1n;

/** C0 controls (and DEL) other than tab, newline and carriage return: refused in every string. */
export const CONTROLS = ['\u0000', '\u0001', '\u0007', '\u0008', '\u000B', '\u000C', '\u000E', '\u001B', '\u001F', '\u007F'];

type Leaf = 'string' | 'enum' | 'int32' | 'uint32' | 'int64' | 'uint64' | 'bool' | 'float' | 'bytes';

function scalarLeaf(t: ScalarType): Leaf {
  if (t === ScalarType.STRING) return 'string';
  if (INT32.includes(t)) return 'int32';
  if (UINT32.includes(t)) return 'uint32';
  if (INT64.includes(t)) return 'int64';
  if (UINT64.includes(t)) return 'uint64';
  if (t === ScalarType.BOOL) return 'bool';
  if (t === ScalarType.BYTES) return 'bytes';
  return 'float';
}

/** The kind of a field's value (for a list or map: of its elements). */
function leafOf(f: DescField): Leaf | 'message' {
  switch (f.fieldKind) {
    case 'scalar':
      return scalarLeaf(f.scalar);
    case 'enum':
      return 'enum';
    case 'message':
      return 'message';
    case 'list':
      return f.listKind === 'scalar' ? scalarLeaf(f.scalar) : f.listKind === 'enum' ? 'enum' : 'message';
    case 'map':
      return f.mapKind === 'scalar' ? scalarLeaf(f.scalar) : f.mapKind === 'enum' ? 'enum' : 'message';
  }
}

const enumOf = (f: DescField) => (f.fieldKind === 'enum' ? f.enum : f.fieldKind === 'list' && f.listKind === 'enum' ? f.enum : f.fieldKind === 'map' && f.mapKind === 'enum' ? f.enum : undefined);
const messageOf = (f: DescField) => (f.fieldKind === 'message' ? f.message : (f.fieldKind === 'list' && f.listKind === 'message') || (f.fieldKind === 'map' && f.mapKind === 'message') ? f.message : undefined);

/** How deep generation descends into nested messages. */
const MAX_DEPTH = 6;

/** Every path to a leaf that can be put out of its domain (strings, enums, integers), through nested messages, list elements and oneof members. */
export function poisonablePaths(desc: DescMessage, depth = 0, seen: string[] = []): DescField[][] {
  if (depth >= MAX_DEPTH || seen.includes(desc.typeName)) return [];
  const out: DescField[][] = [];
  for (const f of desc.fields) {
    if (f.fieldKind === 'map') continue;
    const leaf = leafOf(f);
    if (leaf === 'message') {
      const m = messageOf(f)!;
      for (const p of poisonablePaths(m, depth + 1, [...seen, desc.typeName])) out.push([f, ...p]);
    } else if (leaf !== 'bool' && leaf !== 'float' && leaf !== 'bytes') {
      out.push([f]);
    }
  }
  return out;
}

export const pathName = (path: DescField[]) => path.map((f) => f.name).join('.');

// ---- values ----------------------------------------------------------------------------------

/**
 * How a message is filled. `plausible`: nearly every field present with a value taken from the
 * corpus (real ids, codes, dates), known non-zero enum values, short lists, so that a request is
 * valid but for its poison and reaches the rules and the SQL behind validation. Otherwise hostile:
 * any value at all. `compact`: inside the elements of an oversized list (no long strings, no
 * nested oversized lists), so a request stays well under 16 MiB.
 */
interface Mode {
  plausible: boolean;
  compact: boolean;
}

const HOSTILE: Mode = { plausible: false, compact: false };
const PLAUSIBLE: Mode = { plausible: true, compact: false };

const printable = fc.string({ unit: 'grapheme-ascii', maxLength: 40 });
const odd = fc.constantFrom(
  '', ' ', '\t\n', 'x', "' OR 1=1 --", '%', '\\', '"', '0', '-1', '0000-00-00', '9999-99-99', '99999999999999999999', '1e308', 'NaN', 'null',
  '00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff', '\u200f\u202e', '😀', '中文名字', 'Ⅻ', '\uFEFF', '\u00a0',
);
const longString = fc
  .tuple(fc.constantFrom('x', '9', '中', '😀', 'a '), fc.constantFrom(256, 1001, 5000, 100_000))
  .map(([s, n]) => s.repeat(Math.ceil(n / s.length)));

/** Corpus values for a field: by its name, else by its name's last word, else any harvested string. */
function corpusStrings(corpus: Corpus, name: string): string[] {
  return corpus.strings.get(name) ?? corpus.strings.get(suffixOf(name)) ?? corpus.strings.get('*') ?? [];
}
function corpusNumbers(corpus: Corpus, name: string): bigint[] {
  return corpus.numbers.get(name) ?? corpus.numbers.get(suffixOf(name)) ?? [];
}

/** Forged page tokens: random text, a token-shaped string with a wrong MAC, or a correctly signed token whose values are out of range. */
const cursorValue = fc.oneof(
  fc.constantFrom('0000-01-01', '0001-01-01T00:00:00Z', '99999999999999999999', '-1', '', 'not-a-uuid', '00000000-0000-0000-0000-000000000000', '\u0000'),
  fc.constantFrom(0, -1, 2 ** 31, 2 ** 53, 1e308, -1e308),
  fc.constantFrom(null, true, [], {}),
  printable,
);
const forgedPageToken = fc.oneof(
  printable,
  fc.base64String({ maxLength: 60 }),
  fc.tuple(fc.base64String({ maxLength: 40 }), fc.base64String({ minLength: 20, maxLength: 24 })).map(([a, b]) => `${a.replace(/=/g, '')}.${b.replace(/=/g, '')}`),
  fc.dictionary(fc.constantFrom('id', 'at', 'seq', 'year', 'month', 'kind', 'cityCode', 'effectiveFrom', 'level', 'region', 'after', 'key'), cursorValue, { maxKeys: 4 }).map((c) => encodeCursor(c)),
  fc.jsonValue({ maxDepth: 2 }).map((c) => encodeCursor(c)),
  fc.tuple(fc.dictionary(fc.constantFrom('id', 'at', 'year'), cursorValue, { minKeys: 1, maxKeys: 2 }), fc.nat()).map(([c, i]) => {
    const t = encodeCursor(c);
    const at = i % t.length;
    return t.slice(0, at) + (t[at] === 'A' ? 'B' : 'A') + t.slice(at + 1); // one character tampered
  }),
);

function stringArb(corpus: Corpus, f: DescField, mode: Mode): fc.Arbitrary<string> {
  const known = corpusStrings(corpus, f.name);
  if (f.name === 'page_token' || f.name.endsWith('_page_token')) {
    return mode.plausible ? fc.oneof({ weight: 3, arbitrary: fc.constant('') }, { weight: 1, arbitrary: forgedPageToken }) : forgedPageToken;
  }
  if (mode.plausible && known.length) return fc.oneof({ weight: 19, arbitrary: fc.constantFrom(...known) }, { weight: 1, arbitrary: odd });
  return fc.oneof(
    ...(known.length ? [{ weight: 45, arbitrary: fc.constantFrom(...known) }] : []),
    { weight: 10, arbitrary: fc.uuid() },
    { weight: 15, arbitrary: odd },
    { weight: 10, arbitrary: printable },
    { weight: 8, arbitrary: fc.string({ unit: 'grapheme', maxLength: 30 }) },
    ...(mode.compact ? [] : [{ weight: 4, arbitrary: longString }]),
    { weight: 6, arbitrary: fc.stringMatching(/^\d{1,20}$/) },
  );
}

function intArb(corpus: Corpus, f: DescField, leaf: 'int32' | 'uint32' | 'int64' | 'uint64', mode: Mode): fc.Arbitrary<number | bigint> {
  const big = leaf === 'int64' || leaf === 'uint64';
  const signed = leaf === 'int32' || leaf === 'int64';
  const [min, max] = leaf === 'int32' ? [BigInt(I32_MIN), BigInt(I32_MAX)] : leaf === 'uint32' ? [0n, 2n ** 32n - 1n] : leaf === 'int64' ? [I64_MIN, I64_MAX] : [0n, U64_MAX];
  const inRange = (v: bigint) => v >= min && v <= max;
  const known = corpusNumbers(corpus, f.name).filter(inRange);
  const out = (a: fc.Arbitrary<bigint>) => (big ? a : a.map((v) => Number(v)));
  if (mode.plausible) {
    return out(fc.oneof({ weight: 17, arbitrary: known.length ? fc.constantFrom(...known) : fc.bigInt(1n, 12n) }, { weight: 3, arbitrary: fc.bigInt(0n, 100n) }));
  }
  return out(
    fc.oneof(
      ...(known.length ? [{ weight: 35, arbitrary: fc.constantFrom(...known) }] : []),
      { weight: 25, arbitrary: fc.bigInt(signed ? -3n : 0n, 13n) },
      { weight: 10, arbitrary: fc.bigInt(1890n, 2100n) },
      { weight: 10, arbitrary: fc.constantFrom(...[min, max, 0n, -1n, 1n, 2n ** 31n, 2n ** 32n, 10n ** 15n, 2n ** 53n, 2n ** 62n].filter(inRange)) },
      { weight: 10, arbitrary: fc.bigInt(min, max) },
      { weight: 10, arbitrary: fc.bigInt(1n, 10n ** 9n) },
    ),
  );
}

function enumArb(f: DescField, mode: Mode): fc.Arbitrary<number> {
  const e = enumOf(f)!;
  const known = e.values.map((v) => v.number);
  const set = known.filter((n) => n !== 0);
  if (mode.plausible && set.length) return fc.oneof({ weight: 19, arbitrary: fc.constantFrom(...set) }, { weight: 1, arbitrary: fc.constant(0) });
  return fc.oneof({ weight: 85, arbitrary: fc.constantFrom(...known) }, { weight: 15, arbitrary: fc.constantFrom(...unknownEnumValues(known)) });
}

const unknownEnumValues = (known: number[]) => [-1, I32_MIN, I32_MAX, Math.max(...known) + 1, 999].filter((v) => !known.includes(v));

/** Message arbitraries by corpus, type, depth and mode (messages recur across a request tree). */
const memos = new WeakMap<Corpus, Map<string, fc.Arbitrary<Record<string, unknown>>>>();

function valueArb(corpus: Corpus, f: DescField, depth: number, mode: Mode): fc.Arbitrary<unknown> {
  const leaf = leafOf(f);
  switch (leaf) {
    case 'message':
      return messageArb(corpus, messageOf(f)!, depth + 1, mode);
    case 'string':
      return stringArb(corpus, f, mode);
    case 'enum':
      return enumArb(f, mode);
    case 'bool':
      return fc.boolean();
    case 'bytes':
      return fc.uint8Array({ maxLength: 64 });
    case 'float':
      return f.fieldKind === 'scalar' && f.scalar === ScalarType.FLOAT ? fc.float() : fc.double();
    default:
      return intArb(corpus, f, leaf, mode);
  }
}

function fieldArb(corpus: Corpus, f: DescField, depth: number, mode: Mode): fc.Arbitrary<unknown> {
  if (f.fieldKind === 'list') {
    const el = valueArb(corpus, f, depth, mode);
    if (mode.plausible) return fc.array(el, { minLength: 1, maxLength: 2 });
    const normal = fc.array(el, { maxLength: 3 });
    if (mode.compact) return normal;
    const compactEl = valueArb(corpus, f, depth, { plausible: false, compact: true });
    // A long list — near or past the documented limits (5,000 for rows and lookups) — of one
    // element repeated (the cheapest way to 10,000 items).
    const oversized = fc.tuple(compactEl, fc.constantFrom(300, 1000, 5000, 5001, 10_000)).map(([e, n]) => new Array<unknown>(n).fill(e));
    return fc.oneof({ weight: 85, arbitrary: normal }, { weight: 15, arbitrary: oversized });
  }
  if (f.fieldKind === 'map') {
    const key = f.mapKey === ScalarType.STRING ? stringArb(corpus, f, { ...mode, compact: true }) : fc.integer({ min: -5, max: 100 }).map(String);
    return fc.dictionary(key, valueArb(corpus, f, depth, mode), { maxKeys: 3 });
  }
  return valueArb(corpus, f, depth, mode);
}

/** A message init object (for `create`), each field present or not, oneofs with one member or none. */
export function messageArb(corpus: Corpus, desc: DescMessage, depth = 0, mode: Mode = HOSTILE): fc.Arbitrary<Record<string, unknown>> {
  const memo = memos.get(corpus) ?? new Map<string, fc.Arbitrary<Record<string, unknown>>>();
  memos.set(corpus, memo);
  const key = `${desc.typeName}@${depth}/${mode.plausible}/${mode.compact}`;
  const hit = memo.get(key);
  if (hit) return hit;
  if (depth >= MAX_DEPTH) return fc.constant({});
  const present = mode.plausible ? 19 : depth === 0 ? 16 : 12; // out of 20
  const parts: Record<string, fc.Arbitrary<unknown>> = {};
  for (const f of desc.fields) {
    if (f.oneof) continue;
    parts[f.localName] = fc.oneof({ weight: present, arbitrary: fieldArb(corpus, f, depth, mode) }, { weight: 20 - present, arbitrary: fc.constant(undefined) });
  }
  for (const o of desc.oneofs) {
    parts[o.localName] = fc.oneof(
      ...(mode.plausible ? [] : [fc.constant(undefined)]),
      ...o.fields.map((f) => fieldArb(corpus, f, depth, mode).map((value) => ({ case: f.localName, value }))),
    );
  }
  const arb = fc.record(parts).map((r) => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined)));
  memo.set(key, arb);
  return arb;
}

/** A value certainly outside the domain of the leaf at the end of `path`. */
function poisonArb(corpus: Corpus, leafField: DescField): fc.Arbitrary<{ value: unknown; what: string }> {
  const leaf = leafOf(leafField);
  switch (leaf) {
    case 'string':
      return fc
        .tuple(stringArb(corpus, leafField, { plausible: true, compact: true }), fc.constantFrom(...CONTROLS), fc.nat())
        .map(([s, c, i]) => {
          const at = s.length ? i % (s.length + 1) : 0;
          return { value: s.slice(0, at) + c + s.slice(at), what: `control character U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}` };
        });
    case 'enum': {
      const known = enumOf(leafField)!.values.map((v) => v.number);
      return fc.constantFrom(...unknownEnumValues(known)).map((v) => ({ value: v, what: `unknown enum value ${v}` }));
    }
    case 'int32':
      return fc.constantFrom(I32_MIN, I32_MAX).map((v) => ({ value: v, what: `int32 extreme ${v}` }));
    case 'uint32':
      return fc.constant({ value: 2 ** 32 - 1, what: 'uint32 max' });
    case 'int64':
      return fc.constantFrom(I64_MIN, I64_MAX).map((v) => ({ value: v, what: `int64 extreme ${v}` }));
    case 'uint64':
      return fc.constant({ value: U64_MAX, what: 'uint64 max' });
    default:
      throw new Error(`no poison for ${leafField.name}`);
  }
}

/**
 * Sets `value` at `path` in a copy of `init` (copying every level it passes: generated values are
 * shared). Through a list it changes the first element, or with `everyElement` all of them (a
 * legacy export with the same stray character in every row).
 */
export function setAt(init: Record<string, unknown>, path: DescField[], value: unknown, everyElement = false): Record<string, unknown> {
  const root = { ...init };
  let obj: Record<string, unknown> = root;
  path.forEach((f, i) => {
    const last = i === path.length - 1;
    const copy = (v: unknown) => (v && typeof v === 'object' ? { ...(v as Record<string, unknown>) } : {});
    if (f.oneof) {
      const cur = obj[f.oneof.localName] as { case?: string; value?: unknown } | undefined;
      const next = { case: f.localName, value: last ? value : copy(cur?.case === f.localName ? cur.value : undefined) };
      obj[f.oneof.localName] = next;
      obj = next.value as Record<string, unknown>;
    } else if (f.fieldKind === 'list') {
      const arr = Array.isArray(obj[f.localName]) ? [...(obj[f.localName] as unknown[])] : [];
      const el = last ? value : copy(arr[0]);
      if (everyElement && arr.length) arr.fill(el);
      else arr[0] = el;
      obj[f.localName] = arr;
      obj = el as Record<string, unknown>;
    } else if (last) {
      obj[f.localName] = value;
    } else {
      obj[f.localName] = copy(obj[f.localName]);
      obj = obj[f.localName] as Record<string, unknown>;
    }
  });
  return root;
}

// ---- raw bytes ------------------------------------------------------------------------------

/** How the bytes of one message are spoiled. */
export interface RawSpoil {
  /** Which message of the stream (0 for unary). */
  index: number;
  /** What the bytes start with: the encoded message, a cut of it, random bytes, or nothing. */
  prefix: 'whole' | 'cut' | 'random' | 'empty';
  cut: number;
  random: Uint8Array;
  /** An undecodable ending: a length past the end, a wire type that does not exist, a cut varint, an unclosed group; or none (the prefix alone). */
  tail: 'none' | 'length-past-end' | 'wire-type-7' | 'wire-type-6' | 'cut-varint' | 'unclosed-group';
  field: number;
  length: number;
}

const varint = (n: number): number[] => {
  const out: number[] = [];
  let v = n >>> 0;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  out.push(v);
  return out;
};

export function tailBytes(s: Pick<RawSpoil, 'tail' | 'field' | 'length'>): Buffer {
  const tag = (wt: number) => varint((s.field << 3) | wt);
  switch (s.tail) {
    case 'none':
      return Buffer.alloc(0);
    case 'length-past-end':
      return Buffer.from([...tag(2), ...varint(s.length), ...new Array<number>(Math.min(s.length - 1, 3)).fill(0x41)]);
    case 'wire-type-7':
      return Buffer.from([...tag(7), 0x01]);
    case 'wire-type-6':
      return Buffer.from(tag(6));
    case 'cut-varint':
      return Buffer.from([...tag(0), 0xff, 0xff]);
    case 'unclosed-group':
      return Buffer.from([...tag(3), ...tag(0), 0x01]);
  }
}

export const rawSpoilArb = (messages: number): fc.Arbitrary<RawSpoil> =>
  fc.record({
    index: fc.nat({ max: Math.max(0, messages - 1) }),
    prefix: fc.constantFrom('whole', 'cut', 'random', 'empty'),
    cut: fc.nat(),
    random: fc.uint8Array({ minLength: 1, maxLength: 64 }),
    tail: fc.constantFrom('none', 'length-past-end', 'wire-type-7', 'wire-type-6', 'cut-varint', 'unclosed-group'),
    field: fc.integer({ min: 1, max: 40 }),
    length: fc.integer({ min: 2, max: 100_000 }),
  });

// ---- cases ----------------------------------------------------------------------------------

/** One generated call. */
export interface Case {
  method: DescMethod;
  /** Label of the bearer token (harness `Tokens`). */
  token: string;
  /** Init objects of the request messages, poison applied. */
  messages: Record<string, unknown>[];
  raw?: RawSpoil;
  /** What makes the call invalid. */
  poison: string;
  /** For a `field` poison: its path (proto field names, dotted). */
  poisonPath?: string;
}

/** Tokens the harness found the method to accept (role allowed) and tokens it must refuse. */
export interface TokenChoice {
  allowed: string[];
  refused: string[];
}

/** Encodes a case's messages (before any raw spoiling). */
export function encodeMessages(c: Case): Buffer[] {
  return c.messages.map((m) => Buffer.from(toBinary(c.method.input, create(c.method.input, m as never))));
}

/** The arbitrary of invalid calls of one method. */
export function caseArb(corpus: Corpus, method: DescMethod, tokens: TokenChoice): fc.Arbitrary<Case> {
  const streaming = method.methodKind === 'client_streaming' || method.methodKind === 'bidi_streaming';
  // Mostly plausible requests (valid but for the poison, so the rules behind validation are
  // reached), the rest hostile throughout.
  const msg = fc.oneof({ weight: 7, arbitrary: messageArb(corpus, method.input, 0, PLAUSIBLE) }, { weight: 3, arbitrary: messageArb(corpus, method.input, 0, HOSTILE) });
  const messages = streaming ? fc.array(msg, { minLength: 1, maxLength: 6 }) : msg.map((m) => [m]);
  const paths = poisonablePaths(method.input);
  // Mostly a token the RPC accepts, so validation is reached; sometimes any token at all.
  const anyToken = [...tokens.allowed, ...tokens.refused];
  const token = tokens.allowed.length
    ? fc.oneof({ weight: 9, arbitrary: fc.constantFrom(...tokens.allowed) }, { weight: 1, arbitrary: fc.constantFrom(...anyToken) })
    : fc.constantFrom(...anyToken);

  // A leaf kind first (string, enum, integer), then a path of that kind: strings, the most
  // numerous leaves, would otherwise stop most cases at the runtime's control-character check.
  const kinds = [...new Set(paths.map((p) => leafOf(p.at(-1)!)))].map((k) => fc.constantFrom(...paths.filter((p) => leafOf(p.at(-1)!) === k)));
  const byField = paths.length
    ? fc
        .tuple(messages, token, fc.oneof(...kinds), fc.boolean())
        .chain(([ms, t, path, every]) =>
          poisonArb(corpus, path.at(-1)!).map(({ value, what }) => ({
            method,
            token: t,
            messages: [setAt(ms[0]!, path, value, every), ...ms.slice(1)],
            poison: `${pathName(path)}: ${what}${every && path.some((f) => f.fieldKind === 'list') ? ' (in every list element)' : ''}`,
            poisonPath: pathName(path),
          })),
        )
    : undefined;
  const malformed = messages.chain((ms) =>
    fc.tuple(token, rawSpoilArb(ms.length)).map(([t, raw]) => ({ method, token: t, messages: ms, raw, poison: 'malformed bytes' })),
  );
  const badToken = tokens.refused.length
    ? fc.tuple(messages, fc.constantFrom(...tokens.refused)).map(([ms, t]) => ({ method, token: t, messages: ms, poison: `token ${t}` }))
    : undefined;
  return fc.oneof(
    ...(byField ? [{ weight: 70, arbitrary: byField }] : []),
    { weight: 15, arbitrary: malformed },
    ...(badToken ? [{ weight: 15, arbitrary: badToken }] : []),
  );
}
