import { z } from 'zod';
import { invalidArgument } from './errors';

/** Page size when a request leaves it 0, and the largest allowed. */
export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;

/** zod schema of `youfu.common.v1.PageRequest` → `{ size, token }`. */
export const pageRequest = z
  .object({ pageSize: z.number().int().min(0).max(MAX_PAGE_SIZE), pageToken: z.string().max(1000) })
  .optional()
  .transform((p) => ({ size: p?.pageSize || DEFAULT_PAGE_SIZE, token: p?.pageToken ?? '' }));

/** Opaque page token for a keyset cursor. */
export const encodeCursor = (c: unknown): string => Buffer.from(JSON.stringify(c), 'utf8').toString('base64url');

/** Decodes a token written by `encodeCursor` with `schema`; a foreign or tampered one is INVALID_ARGUMENT. */
export function decodeCursor<S extends z.ZodType>(schema: S, token: string): z.output<S> | undefined {
  if (!token) return undefined;
  try {
    return schema.parse(JSON.parse(Buffer.from(token, 'base64url').toString('utf8')));
  } catch {
    throw invalidArgument('page.pageToken', 'not a token from a previous response');
  }
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
