import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { AppError } from './errors';

/** Page size when a request leaves it 0, and the largest allowed. */
export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;

/** zod schema of `youfu.common.v1.PageRequest` → `{ size, token }`. */
export const pageRequest = z
  .object({ pageSize: z.number().int().min(0).max(MAX_PAGE_SIZE), pageToken: z.string().max(1000) })
  .optional()
  .transform((p) => ({ size: p?.pageSize || DEFAULT_PAGE_SIZE, token: p?.pageToken ?? '' }));

/** Development key of page-token MACs; the runtime sets the configured one (YOUFU_PAGE_TOKEN_KEY). */
export const DEV_PAGE_TOKEN_KEY = 'youfu-local-development-page-token-key';
let macKey = Buffer.from(DEV_PAGE_TOKEN_KEY);

/** Sets the key page tokens are signed with (every instance of a service must share it). */
export function setPageTokenKey(key: string): void {
  macKey = Buffer.from(key);
}

const mac = (body: string) => createHmac('sha256', macKey).update(body).digest().subarray(0, 16);
const badToken = () =>
  new AppError('INVALID_ARGUMENT', 'BAD_PAGE_TOKEN', 'page.pageToken: not a token from a previous response', [
    { field: 'page.pageToken', description: 'not a token from a previous response' },
  ]);

/** Opaque, tamper-evident page token for a keyset cursor: base64url(JSON) + '.' + a truncated HMAC-SHA256. */
export function encodeCursor(c: unknown): string {
  const body = Buffer.from(JSON.stringify(c), 'utf8').toString('base64url');
  return `${body}.${mac(body).toString('base64url')}`;
}

/**
 * Decodes a token written by `encodeCursor` and checks its values with `schema` (types, ranges,
 * lengths, before any of them reaches SQL); a foreign, forged or tampered one is INVALID_ARGUMENT
 * `BAD_PAGE_TOKEN`.
 */
export function decodeCursor<S extends z.ZodType>(schema: S, token: string): z.output<S> | undefined {
  if (!token) return undefined;
  const [body = '', tag = '', extra] = token.split('.');
  const given = Buffer.from(tag, 'base64url');
  const want = mac(body);
  if (extra !== undefined || given.length !== want.length || !timingSafeEqual(given, want)) throw badToken();
  try {
    const r = schema.safeParse(JSON.parse(Buffer.from(body, 'base64url').toString('utf8')));
    if (r.success) return r.data;
  } catch {
    /* not JSON */
  }
  throw badToken();
}

/**
 * Cuts a keyset query's result (fetched with limit size + 1) to one page and makes the next token
 * from the last item shown; empty when there is no further page.
 */
export function pageOf<T>(found: T[], size: number, cursorOf: (last: T) => unknown): { items: T[]; nextPageToken: string } {
  const items = found.slice(0, size);
  const last = items.at(-1);
  return { items, nextPageToken: found.length > size && last !== undefined ? encodeCursor(cursorOf(last)) : '' };
}
