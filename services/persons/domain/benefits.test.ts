import { describe, expect, it } from 'vitest';
import {
  activeSpans,
  impactOf,
  derivePeriods,
  diffLines,
  extraBoundaries,
  funeralQuoteKeys,
  funeralSubsidy,
  funeralTopUp,
  paidKey,
  preHistoryKeys,
  preHistoryRaises,
  raisesOnly,
  quoteKey,
  quoteKeysFor,
  type Quote,
  type Timeline,
} from './benefits';
import { applyChange, timelineOf, type PersonState } from './changes';
import type { Attributes, IdentitySpan, StatusEvent } from './types';

const dis = (grade: number, cause: Attributes['cause'] = 'WAR'): Attributes => ({ category: 'DISABLED_SERVICEMAN', grade, cause, enlistmentPeriod: null, serviceYears: 0, mentalDisorder: false });
const martyr: Attributes = { category: 'MARTYR_SURVIVOR', grade: 0, cause: null, enlistmentPeriod: null, serviceYears: 0, mentalDisorder: false };

// 2022 national table, fen per month: round_half_up(annual / 12).
const MONTHLY_2022: Record<string, bigint> = { 'WAR 4': 630_583n, 'WAR 5': 492_500n, 'WAR 6': 384_750n, 'ILLNESS 5': 392_583n };
const MONTHLY_2021: Record<string, bigint> = { 'WAR 5': 451_833n, 'WAR 6': 353_000n };

/** A fake standards source: 2021 table before 2022-08, 2022 table from then; martyr 36,910 yuan/yr. */
function quote(a: Attributes, month: string): Quote {
  const table = month >= '2022-08' ? MONTHLY_2022 : MONTHLY_2021;
  const v = month >= '2022-08' ? ['v2022'] : ['v2021'];
  if (a.category === 'MARTYR_SURVIVOR') return { ok: true, pensionFen: month >= '2022-08' ? 307_583n : 282_167n, nursing: null, versions: v, missing: [] };
  const fen = table[`${a.cause} ${a.grade}`];
  if (fen === undefined) return { ok: false, reason: 'NO_STANDARD_FOR_KEY' };
  const nursing = a.grade <= 4 ? { fen: 0n, missing: ['AVERAGE_MONTHLY_WAGE 440100 2021'] } : null;
  return { ok: true, pensionFen: fen, nursing, versions: v, missing: [] };
}

function quotesFor(t: Timeline, from: string, extra: string[], also: { identityId: string; month: string }[] = []) {
  const m = new Map<string, Quote>();
  for (const k of [...quoteKeysFor(t, from, extra), ...also]) m.set(quoteKey(k.identityId, k.month), quote(t.identities.find((i) => i.id === k.identityId)!.attrs, k.month));
  return m;
}

const active = (date: string): StatusEvent => ({ status: 'ACTIVE', date, reason: null, deathCause: null });
const person = (identities: IdentitySpan[], approval = '2022-09-05'): PersonState => ({
  id: 'p',
  birthDate: '1960-01-01',
  residence: 'URBAN',
  approvalDate: approval,
  historyFrom: approval.slice(0, 7),
  status: 'ACTIVE',
  statusDate: approval,
  identities,
  statusEvents: [active(approval)],
});
const ids = (() => {
  let n = 0;
  return () => `id-${++n}`;
})();

/** Derives a person's full schedule from history start, the way approval does. */
function schedule(p: PersonState, today = '2023-06') {
  const t = timelineOf(p.historyFrom, p.identities, p.statusEvents);
  const extra = extraBoundaries(['2021-08', '2022-08'], p.historyFrom, today);
  return derivePeriods(t, p.historyFrom, extra, quotesFor(t, p.historyFrom, extra));
}
const brief = (ps: ReturnType<typeof schedule>) => ps.map((p) => `${p.benefit} ${p.from}..${p.to ?? ''} ${p.monthlyFen}`);

describe('benefit periods', () => {
  it('a registration pays from the month of approval, open-ended (grade 5 WAR 2022: 59,100 yuan/yr = 492,500 fen/month)', () => {
    const p = person([{ id: 'i1', attrs: dis(5), from: '2020-05-01', to: null }]);
    expect(brief(schedule(p))).toEqual(['PENSION 2022-09.. 492500']);
  });

  it('splits at a standards version month and merges months with the same terms', () => {
    const p = person([{ id: 'i1', attrs: dis(5), from: '2020-05-01', to: null }], '2022-03-10');
    expect(brief(schedule(p))).toEqual(['PENSION 2022-03..2022-07 451833', 'PENSION 2022-08.. 492500']);
  });

  it('a raise counts from the month of its date, a cut from the month after', () => {
    const p = person([{ id: 'i1', attrs: dis(6), from: '2020-05-01', to: null }]);
    const raised = applyChange(p, { kind: 'CHANGE_IDENTITY', identityId: 'i1', attrs: dis(5), effectiveDate: '2022-10-15' }, ids);
    expect(brief(schedule({ ...p, identities: raised.identities }))).toEqual(['PENSION 2022-09..2022-09 384750', 'PENSION 2022-10.. 492500']);

    const q = person([{ id: 'i1', attrs: dis(5), from: '2020-05-01', to: null }]);
    const cut = applyChange(q, { kind: 'CHANGE_IDENTITY', identityId: 'i1', attrs: dis(6), effectiveDate: '2022-10-15' }, ids);
    expect(brief(schedule({ ...q, identities: cut.identities }))).toEqual(['PENSION 2022-09..2022-10 492500', 'PENSION 2022-11.. 384750']);
  });

  it('suspension stops from the month after; resumption restarts in its own month', () => {
    const p = person([{ id: 'i1', attrs: dis(5), from: '2020-05-01', to: null }]);
    const s = applyChange(p, { kind: 'SUSPEND', effectiveDate: '2022-11-20', reason: 'prison' }, ids);
    expect(brief(schedule({ ...p, statusEvents: s.statusEvents }))).toEqual(['PENSION 2022-09..2022-11 492500']);
    const r = applyChange({ ...p, statusEvents: s.statusEvents, status: 'SUSPENDED', statusDate: '2022-11-20' }, { kind: 'RESUME', effectiveDate: '2023-02-03' }, ids);
    expect(brief(schedule({ ...p, statusEvents: r.statusEvents }))).toEqual(['PENSION 2022-09..2022-11 492500', 'PENSION 2023-02.. 492500']);
    expect(activeSpans(r.statusEvents)).toEqual([
      { from: '2022-09-05', to: '2022-11-20' },
      { from: '2023-02-03', to: null },
    ]);
  });

  it('a suspension on the 1st still pays that month (a stop counts from the month after)', () => {
    const p = person([{ id: 'i1', attrs: dis(5), from: '2020-05-01', to: null }]);
    const s = applyChange(p, { kind: 'SUSPEND', effectiveDate: '2022-12-01', reason: 'prison' }, ids);
    expect(brief(schedule({ ...p, statusEvents: s.statusEvents }))).toEqual(['PENSION 2022-09..2022-12 492500']);
  });

  it('with several identities the higher benefit is paid (就高)', () => {
    const p = person([
      { id: 'i1', attrs: martyr, from: '2010-01-01', to: null },
      { id: 'i2', attrs: dis(5), from: '2020-05-01', to: null },
    ]);
    const ps = schedule(p);
    expect(brief(ps)).toEqual(['PENSION 2022-09.. 492500']);
    expect(ps[0]!.identityId).toBe('i2');
    expect(ps[0]!.category).toBe('DISABLED_SERVICEMAN');
  });

  it('a missing nursing-fee index yields a 0 nursing period flagged missing; the pension is still paid', () => {
    const p = person([{ id: 'i1', attrs: dis(4), from: '2020-05-01', to: null }]);
    const ps = schedule(p);
    expect(brief(ps)).toEqual(['NURSING_FEE 2022-09.. 0', 'PENSION 2022-09.. 630583']);
    expect(ps[0]!.missing).toEqual(['AVERAGE_MONTHLY_WAGE 440100 2021']);
  });

  it('an identity the standards cannot price gives a 0 period naming why', () => {
    const p = person([{ id: 'i1', attrs: dis(8), from: '2020-05-01', to: null }]);
    const ps = schedule(p);
    expect(brief(ps)).toEqual(['PENSION 2022-09.. 0']);
    expect(ps[0]!.missing).toEqual(['DISABLED_SERVICEMAN: NO_STANDARD_FOR_KEY']);
  });

  it('an imported person is paid only from their history start', () => {
    const p = { ...person([{ id: 'i1', attrs: dis(5), from: '2000-05-01', to: null }], '2001-03-01'), historyFrom: '2023-01' };
    expect(brief(schedule(p))).toEqual(['PENSION 2023-01.. 492500']);
  });
});

describe('back pay and overpayment lines', () => {
  const paid = (amounts: Record<string, bigint>) => new Map(Object.entries(amounts).map(([m, fen]) => [paidKey('PENSION', m), fen]));

  it('a mid-year raise owes the difference for every month already paid from the month of the change', () => {
    const p = person([{ id: 'i1', attrs: dis(6), from: '2020-05-01', to: null }]);
    const a = applyChange(p, { kind: 'CHANGE_IDENTITY', identityId: 'i1', attrs: dis(5), effectiveDate: '2022-10-15' }, ids);
    const ps = schedule({ ...p, identities: a.identities });
    const lines = diffLines(ps, a.deriveFrom!, p.historyFrom, ['2022-09', '2022-10', '2022-11', '2022-12'], paid({ '2022-09': 384_750n, '2022-10': 384_750n, '2022-11': 384_750n, '2022-12': 384_750n }));
    expect(lines).toEqual(['2022-10', '2022-11', '2022-12'].map((month) => ({ benefit: 'PENSION', month, amountFen: 107_750n })));
  });

  it('a death recorded late makes the months after it overpaid; settled months are not recorded twice', () => {
    const p = person([{ id: 'i1', attrs: dis(5), from: '2020-05-01', to: null }]);
    const a = applyChange(p, { kind: 'RECORD_DEATH', effectiveDate: '2022-11-03', cause: 'OTHER', nextOfKin: { bank: 'b', accountNumber: '12345678', accountName: 'x' } }, ids);
    const ps = schedule({ ...p, statusEvents: a.statusEvents });
    expect(brief(ps)).toEqual(['PENSION 2022-09..2022-11 492500']);
    const months = ['2022-09', '2022-10', '2022-11', '2022-12', '2023-01'];
    const lines = diffLines(ps, a.deriveFrom!, p.historyFrom, months, paid(Object.fromEntries(months.map((m) => [m, 492_500n]))));
    expect(lines).toEqual([
      { benefit: 'PENSION', month: '2022-12', amountFen: -492_500n },
      { benefit: 'PENSION', month: '2023-01', amountFen: -492_500n },
    ]);
    // An earlier line for 2022-12 counts as settled: only January is left.
    const again = diffLines(ps, a.deriveFrom!, p.historyFrom, months, paid({ ...Object.fromEntries(months.map((m) => [m, 492_500n])), '2022-12': 0n }));
    expect(again).toEqual([{ benefit: 'PENSION', month: '2023-01', amountFen: -492_500n }]);
  });

  it('a new person whose months were already closed gets them all as back pay', () => {
    const p = person([{ id: 'i1', attrs: dis(5), from: '2020-05-01', to: null }]);
    expect(diffLines(schedule(p), '2022-09', '2022-09', ['2022-08', '2022-09', '2022-10'], new Map())).toEqual([
      { benefit: 'PENSION', month: '2022-09', amountFen: 492_500n },
      { benefit: 'PENSION', month: '2022-10', amountFen: 492_500n },
    ]);
  });
});

describe('funeral subsidy', () => {
  const died = (identities: IdentitySpan[], cause: 'ILLNESS' | 'OTHER') => {
    const p = person(identities);
    const a = applyChange(p, { kind: 'RECORD_DEATH', effectiveDate: '2023-02-10', cause, nextOfKin: { bank: 'b', accountNumber: '12345678', accountName: 'x' } }, ids);
    const t = timelineOf(p.historyFrom, a.identities, a.statusEvents);
    const q = quotesFor(t, '2023-02', [], funeralQuoteKeys(t, '2023-02'));
    return funeralSubsidy(t, '2023-02', cause, q);
  };

  it('is 6 × the monthly benefit without nursing fee of the month of death', () => {
    expect(died([{ id: 'i1', attrs: dis(5), from: '2020-05-01', to: null }], 'OTHER')?.fen).toBe(6n * 492_500n);
    expect(died([{ id: 'i1', attrs: dis(4), from: '2020-05-01', to: null }], 'OTHER')?.fen).toBe(6n * 630_583n);
    expect(died([{ id: 'i1', attrs: martyr, from: '2010-05-01', to: null }], 'ILLNESS')?.fen).toBe(6n * 307_583n);
  });

  it('is 12 × for a disabled serviceman who died of illness', () => {
    const f = died([{ id: 'i1', attrs: dis(5), from: '2020-05-01', to: null }], 'ILLNESS');
    expect(f).toMatchObject({ fen: 12n * 492_500n, multiple: 12 });
  });
});

describe('impactOf (the annual adjustment simulation)', () => {
  const p = (benefit: 'PENSION' | 'NURSING_FEE', from: string, to: string | null, fen: bigint) => ({ benefit, from, to, monthlyFen: fen });
  it('pays raises back over effective ≤ m < P, never claws a decrease back, and prices the rest of the year', () => {
    const current = [p('PENSION', '2021-09', null, 10_000n), p('NURSING_FEE', '2021-09', null, 5_000n)];
    // From 2022-08: the pension rises by 1,000, the nursing fee falls by 200.
    const simulated = [p('PENSION', '2022-08', null, 11_000n), p('NURSING_FEE', '2022-08', null, 4_800n)];
    expect(impactOf(current, simulated, '2022-08', '2022-10')).toEqual({
      oldMonthlyFen: 15_000n,
      newMonthlyFen: 15_800n,
      backPayFen: 2n * 1_000n, // August and September; the nursing-fee decrease is not clawed back
      budgetToDecemberFen: 2_000n + 3n * 800n, // October–December at the net change
      funeralTopUpFen: 0n,
    });
  });
  it('owes nothing for months with nothing due (suspended, before the first paid month, after death)', () => {
    const current = [p('PENSION', '2022-09', '2022-09', 10_000n)];
    const simulated = [p('PENSION', '2022-09', '2022-09', 11_000n)];
    expect(impactOf(current, simulated, '2022-08', '2022-10')).toMatchObject({ backPayFen: 1_000n, oldMonthlyFen: 0n, newMonthlyFen: 0n, budgetToDecemberFen: 1_000n });
    expect(impactOf([], [], '2022-08', '2022-10')).toEqual({ oldMonthlyFen: 0n, newMonthlyFen: 0n, backPayFen: 0n, budgetToDecemberFen: 0n, funeralTopUpFen: 0n });
  });
  it('adds the months before history_from and the funeral top-up to the back pay and the budget', () => {
    const pre = [{ benefit: 'PENSION' as const, month: '2022-08', amountFen: 700n }];
    expect(impactOf([], [], '2022-10', '2022-10', { preHistory: pre, funeralTopUpFen: 600n })).toMatchObject({ backPayFen: 700n, budgetToDecemberFen: 1_300n, funeralTopUpFen: 600n });
  });
});

describe('the annual adjustment apply: what it writes per person', () => {
  const RAISE = 307_583n - 282_167n; // the fake source's martyr survivor, 2022 over 2021
  /** Quotes for keys: `month` maps a key's month to the month the fake source answers for (the old standards: July 2022). */
  const quotesOf = (t: Timeline, keys: { identityId: string; month: string }[], month: (m: string) => string = (m) => m) =>
    new Map(keys.map((k) => [quoteKey(k.identityId, k.month), quote(t.identities.find((i) => i.id === k.identityId)!.attrs, month(k.month))] as const));
  const old = (m: string) => (m >= '2022-08' ? '2022-07' : m);
  const imported = (historyFrom: string): Timeline => ({ historyFrom, active: [{ from: '2021-09-01', to: null }], identities: [{ id: 'i1', attrs: martyr, from: '2021-09-01', to: null }] });

  it('pays the raise for months the previous system paid at the old rate (before history_from), up to P', () => {
    const t = imported('2022-10');
    const keys = preHistoryKeys(t, '2022-08', ['2022-08']);
    const lines = preHistoryRaises(t, '2022-08', '2022-10', ['2022-08'], quotesOf(t, keys, old), quotesOf(t, keys));
    expect(lines).toEqual([
      { benefit: 'PENSION', month: '2022-08', amountFen: RAISE },
      { benefit: 'PENSION', month: '2022-09', amountFen: RAISE },
    ]);
    // Paid by Youfu from August on: nothing before history_from to pay.
    expect(preHistoryRaises(imported('2022-08'), '2022-08', '2022-10', ['2022-08'], new Map(), new Map())).toEqual([]);
    // A decrease for those months writes nothing.
    expect(preHistoryRaises(t, '2022-08', '2022-10', ['2022-08'], quotesOf(t, keys), quotesOf(t, keys, old))).toEqual([]);
  });

  it('never claws a decrease back: a closed month paid above the new rate writes no overpayment', () => {
    const periods = [{ benefit: 'PENSION' as const, from: '2022-08', to: null, monthlyFen: 10_000n }];
    const paid = new Map([[paidKey('PENSION', '2022-08'), 12_000n], [paidKey('PENSION', '2022-09'), 9_000n]]);
    const diff = diffLines(periods, '2022-08', '2021-09', ['2022-08', '2022-09'], paid);
    expect(diff.map((l) => l.amountFen)).toEqual([-2_000n, 1_000n]);
    expect(raisesOnly(diff)).toEqual([{ benefit: 'PENSION', month: '2022-09', amountFen: 1_000n }]);
  });

  it('tops the funeral subsidy up by 6 × the pension raise in the month of death', () => {
    const t = imported('2021-09');
    const keys = funeralQuoteKeys(t, '2022-08');
    const [was, now] = [quotesOf(t, keys, old), quotesOf(t, keys)];
    expect(funeralTopUp(t, '2022-08', 'OTHER', was, now, 6n * 282_167n)).toBe(6n * RAISE);
    expect(funeralTopUp(t, '2022-08', 'OTHER', was, now, 6n * 307_583n)).toBe(0n); // recorded at the new rate already
    expect(funeralTopUp(t, '2022-08', 'OTHER', was, now, 0n)).toBe(0n); // none could be computed then: none now either
    // Died before Youfu paid (the previous system paid the old subsidy): new minus old.
    expect(funeralTopUp(imported('2022-10'), '2022-08', 'OTHER', was, now, 0n)).toBe(6n * RAISE);
  });
});
