/**
 * Paging a region's persons in concurrent chains (deterministic: workflow code). The UUID space is
 * split by its first hex digit into K ranges; each chain walks its range a page at a time, so K
 * pages are under way at once in persons' activities (the pages of a range stay in id order).
 */

/** Person ids a chain walks: `after` < id < `before` ('' = open). */
export interface Range {
  after: string;
  before: string;
  done: boolean;
}

/** K ranges splitting the UUID space by its first hex digit (K divides 16: 1, 2, 4, 8 or 16). */
export function ranges(k: number): Range[] {
  if (![1, 2, 4, 8, 16].includes(k)) throw new Error(`partitions must divide 16, not ${k}`);
  const step = 16 / k;
  return Array.from({ length: k }, (_, i) => ({
    after: i === 0 ? '' : `${(i * step - 1).toString(16)}fffffff-ffff-ffff-ffff-ffffffffffff`,
    before: i === k - 1 ? '' : `${((i + 1) * step).toString(16)}0000000-0000-0000-0000-000000000000`,
    done: false,
  }));
}

/**
 * Walks the ranges concurrently until every one is done or `budget` pages were taken (the caller
 * then continues as new with the ranges as they are). `step` takes one page of a range and answers
 * the next cursor ('' at the range's end); `hold` is awaited before each page (pause).
 */
export async function walk(rs: Range[], budget: number, hold: () => Promise<void>, step: (r: Range) => Promise<string>): Promise<{ done: boolean; pages: number }> {
  let pages = 0;
  await Promise.all(
    rs.map(async (r) => {
      while (!r.done && pages < budget) {
        pages++;
        await hold();
        const next = await step(r);
        if (next) r.after = next;
        else r.done = true;
      }
    }),
  );
  return { done: rs.every((r) => r.done), pages };
}
