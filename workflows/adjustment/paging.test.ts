import { describe, expect, it } from 'vitest';
import { ranges, walk } from './paging';

describe('paging in concurrent ranges', () => {
  it('splits the UUID space by its first hex digit, without gaps or overlaps', () => {
    expect(ranges(1)).toEqual([{ after: '', before: '', done: false }]);
    expect(ranges(2)).toEqual([
      { after: '', before: '80000000-0000-0000-0000-000000000000', done: false },
      { after: '7fffffff-ffff-ffff-ffff-ffffffffffff', before: '', done: false },
    ]);
    const four = ranges(4);
    expect(four.map((r) => [r.after.slice(0, 1), r.before.slice(0, 1)])).toEqual([['', '4'], ['3', '8'], ['7', 'c'], ['b', '']]);
    expect(() => ranges(3)).toThrow(/divide 16/);
  });

  it('walks every range to its end, and stops at the budget with the cursors where they are', async () => {
    // Range i holds pages i*10 .. i*10+2 (cursor = the page number as a string).
    const pagesOf = (r: { after: string; before: string }) => (r.before === '' ? 1 : 0);
    const seen: string[] = [];
    const step = async (r: { after: string; before: string }) => {
      const k = pagesOf(r);
      const n = r.after.startsWith('p') ? Number(r.after.slice(1)) + 1 : k * 10;
      seen.push(`${k}:${n}`);
      return n < k * 10 + 2 ? `p${n}` : '';
    };
    const rs = ranges(2);
    const first = await walk(rs, 4, async () => {}, step);
    expect(first).toEqual({ done: false, pages: 4 });
    const rest = await walk(rs, 100, async () => {}, step);
    expect(rest).toEqual({ done: true, pages: 2 });
    expect(seen.sort()).toEqual(['0:0', '0:1', '0:2', '1:10', '1:11', '1:12']);
  });
});
