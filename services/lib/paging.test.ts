import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { decodeCursor, encodeCursor, pageOf, setPageTokenKey } from './paging';

const cursor = z.object({ id: z.string().regex(/^\d{1,18}$/), year: z.number().int().min(1900).max(2999) });
const reasonOf = (fn: () => unknown) => {
  try {
    fn();
    return 'OK';
  } catch (e) {
    return (e as { reason: string }).reason;
  }
};

describe('page tokens', () => {
  it('round-trip the cursor of the last item shown', () => {
    const { items, nextPageToken } = pageOf([{ id: '1' }, { id: '2' }, { id: '3' }], 2, (l) => ({ id: l.id, year: 2024 }));
    expect(items).toHaveLength(2);
    expect(decodeCursor(cursor, nextPageToken)).toEqual({ id: '2', year: 2024 });
    expect(decodeCursor(cursor, '')).toBeUndefined();
  });

  it('are tamper-evident: an edited, forged or foreign token is BAD_PAGE_TOKEN, as is one whose values are out of range', () => {
    const token = encodeCursor({ id: '2', year: 2024 });
    const [, tag] = token.split('.');
    const edited = `${Buffer.from(JSON.stringify({ id: '99999999999999999999', year: 0 })).toString('base64url')}.${tag}`;
    expect(reasonOf(() => decodeCursor(cursor, edited))).toBe('BAD_PAGE_TOKEN');
    expect(reasonOf(() => decodeCursor(cursor, Buffer.from('{"id":"1","year":2024}').toString('base64url')))).toBe('BAD_PAGE_TOKEN');
    expect(reasonOf(() => decodeCursor(cursor, 'garbage.garbage.garbage'))).toBe('BAD_PAGE_TOKEN');
    expect(reasonOf(() => decodeCursor(cursor, encodeCursor({ id: '1', year: 99999 })))).toBe('BAD_PAGE_TOKEN');
    expect(reasonOf(() => decodeCursor(cursor, encodeCursor('not an object')))).toBe('BAD_PAGE_TOKEN');
    setPageTokenKey('another-instance-with-another-key-0123456789');
    try {
      expect(reasonOf(() => decodeCursor(cursor, token))).toBe('BAD_PAGE_TOKEN');
    } finally {
      setPageTokenKey('youfu-local-development-page-token-key');
    }
  });
});
