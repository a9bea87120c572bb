/** Benefit lookup (domain.md §2): versions in force, additive layers, share-based components, monthly rounding. */
import { parts, type CivilDate } from '../../lib/civil';
import { failedPrecondition } from '../../lib/errors';
import { applyBasisPoints, divRoundHalfUp } from '../../lib/money';
import { attributeProblems, describeKey, keyFor, keyString, type Component, type Problem, type Row, type RowKey, type Rule } from './keys';
import { cityOf, regionChain, type Level, type VersionHead } from './versions';

export const INDEX_KINDS = ['AVERAGE_MONTHLY_WAGE', 'PER_CAPITA_DISPOSABLE_INCOME'] as const;
/** AVERAGE_MONTHLY_WAGE is fen per month; PER_CAPITA_DISPOSABLE_INCOME is fen per year. */
export type IndexKind = (typeof INDEX_KINDS)[number];

/** The value of an index series for a city and the calendar year it measures, if loaded. */
/**
 * An index value in force for (kind, city, year); or, when that year's is not (yet) approved, the
 * latest approved earlier year's — `year` says which was found.
 */
export type IndexLookup = (kind: IndexKind, cityCode: string, year: number) => { fen: bigint; year: number } | undefined;

/** An IndexLookup over loaded values: exact year first, else the latest earlier year. */
export function indexLookupOf(values: readonly { kind: IndexKind; cityCode: string; year: number; fen: bigint }[]): IndexLookup {
  const series = new Map<string, { year: number; fen: bigint }[]>();
  for (const v of values) series.set(`${v.kind}/${v.cityCode}`, [...(series.get(`${v.kind}/${v.cityCode}`) ?? []), { year: v.year, fen: v.fen }]);
  for (const s of series.values()) s.sort((a, b) => b.year - a.year);
  return (kind, city, year) => series.get(`${kind}/${city}`)?.find((v) => v.year <= year);
}

/** An index value used in place of the one a component needs, which is not approved yet (domain.md §2). */
export interface ProvisionalValue {
  component: Component;
  index: IndexKind;
  cityCode: string;
  /** The year needed. */
  year: number;
  /** The latest approved year, used meanwhile. */
  usedYear: number;
  description: string;
}

/** The attributes of one identity (youfu.common.v1.EntitlementAttributes). */
export interface Identity extends Omit<RowKey, 'component'> {
  /** Whole years of conscript service, for RURAL_VETERAN_60. */
  serviceYears: number;
  mentalDisorder: boolean;
}

/** What is wrong with an identity's attributes (paths relative to EntitlementAttributes). */
export function identityProblems(who: Identity): Problem[] {
  const out = attributeProblems(who);
  if (who.category === 'RURAL_VETERAN_60' && who.serviceYears < 1)
    out.push({ path: ['serviceYears'], message: 'RURAL_VETERAN_60 needs at least one whole year of service' });
  if (who.serviceYears < 0) out.push({ path: ['serviceYears'], message: 'service years cannot be negative' });
  return out;
}

export interface LookupQuery {
  identity: Identity;
  /** 6-digit district code. */
  districtCode: string;
  date: CivilDate;
}

/** A version in force with its rows by key. Rows of published versions never change, so tables may be cached. */
export interface Table {
  version: VersionHead;
  rows: ReadonlyMap<string, Rule>;
}

export const toTable = (version: VersionHead, rows: Row[]): Table => ({ version, rows: new Map(rows.map((r) => [keyString(r.key), r.rule])) });

export interface LayerAmount {
  version: VersionHead;
  /** This layer's part of the annual amount, fen per year (0 when it lacks the key). */
  annualFen: bigint;
  /** The layer's per-service-year rate (RURAL_VETERAN_60), fen per year; 0 otherwise. */
  perServiceYearFen: bigint;
}

export interface MissingValue {
  component: Component;
  index: IndexKind;
  cityCode: string;
  year: number;
  description: string;
}

export interface Benefit {
  /** Fen per year, without the nursing fee. */
  annualFen: bigint;
  /** Fen per month: round_half_up(annualFen / 12) + the nursing fee. */
  monthlyFen: bigint;
  /** National base first, then province, city, district top-ups. Empty for share-based benefits. */
  layers: LayerAmount[];
  nursingFee?: { bp: number; shareVersion: VersionHead; wageYear: number; monthlyWageFen: bigint; monthlyFen: bigint };
  /** CONSCRIPT_FAMILY: a share of income; `shareVersion` undefined when the configured default applies. */
  incomeShare?: { bp: number; shareVersion?: VersionHead; incomeYear: number; annualIncomeFen: bigint; annualFen: bigint };
  versionsUsed: VersionHead[];
  missing: MissingValue[];
  /** Components computed from an earlier year's index value, until the year needed is approved. */
  provisional: ProvisionalValue[];
}

/** The published versions, grouped per (level, region), to find the one in force on a date. */
export class VersionsInForce {
  private readonly series = new Map<string, VersionHead[]>();

  constructor(published: Iterable<VersionHead>) {
    for (const v of published) {
      const k = seriesKey(v.level, v.regionCode);
      this.series.set(k, [...(this.series.get(k) ?? []), v]);
    }
    for (const list of this.series.values()) list.sort((a, b) => (a.effectiveFrom < b.effectiveFrom ? 1 : -1));
  }

  /** The published version of a series with the greatest effective date ≤ date. */
  at(level: Level, regionCode: string, date: CivilDate): VersionHead | undefined {
    return this.series.get(seriesKey(level, regionCode))?.find((v) => v.effectiveFrom <= date);
  }

  /**
   * The layers for a district on a date: the NATIONAL version, then the LOCAL versions in force for its
   * province, city and district (each optional). No national version → FAILED_PRECONDITION.
   */
  layers(districtCode: string, date: CivilDate): VersionHead[] {
    const national = this.at('NATIONAL', '', date);
    if (!national) throw failedPrecondition('NO_VERSION_IN_FORCE', `no NATIONAL standards version is in force on ${date}`, { level: 'NATIONAL', date });
    const local = regionChain(districtCode).flatMap((r) => this.at('LOCAL', r, date) ?? []);
    return [national, ...local];
  }
}

const seriesKey = (level: Level, region: string) => `${level}/${region}`;

/** The most specific layer (district, city, province, national) having a key: share rules override, they do not add. */
function mostSpecific(tables: Table[], key: string): { table: Table; rule: Rule } | undefined {
  for (let i = tables.length - 1; i >= 0; i--) {
    const t = tables[i]!;
    const rule = t.rows.get(key);
    if (rule) return { table: t, rule };
  }
  return undefined;
}

const annualOf = (rule: Rule | undefined, serviceYears: number): bigint => {
  if (rule?.kind === 'ANNUAL_AMOUNT') return rule.fen;
  if (rule?.kind === 'PER_SERVICE_YEAR_AMOUNT') return rule.fen * BigInt(serviceYears);
  return 0n;
};

export interface LookupSettings {
  /** Share of income for CONSCRIPT_FAMILY when no layer sets one (domain.md: default 45%). */
  conscriptFamilyShareBp: number;
}

/**
 * The benefit of one identity on one date from the tables in force (national first, then local layers
 * broadest first). Amount rows add up across layers; a key absent from the national table is not
 * covered (FAILED_PRECONDITION NO_STANDARD_FOR_KEY). Share-based components use the previous year's
 * index value of the district's city; when it is missing, the component is left out and named.
 */
export function computeBenefit(q: LookupQuery, tables: Table[], index: IndexLookup, settings: LookupSettings): Benefit {
  const national = tables[0];
  if (!national) throw new Error('computeBenefit needs the national table');
  const { identity: who, districtCode, date } = q;
  const cityCode = cityOf(districtCode);
  const year = parts(date).year - 1;
  const missing: MissingValue[] = [];
  const provisional: ProvisionalValue[] = [];
  // The previous year's value; until it is approved the latest approved year's, flagged provisional (never 0).
  const need = (component: Component, kind: IndexKind): { fen: bigint; year: number } | undefined => {
    const v = index(kind, cityCode, year);
    if (v === undefined) missing.push({ component, index: kind, cityCode, year, description: `${kind} of ${cityCode} for ${year} is not loaded; ${component} left out` });
    else if (v.year !== year)
      provisional.push({
        component,
        index: kind,
        cityCode,
        year,
        usedYear: v.year,
        description: `${kind} of ${cityCode} for ${year} is not approved yet: ${v.year}'s used (provisional; the January roll-over recomputes from ${year + 1}-01)`,
      });
    return v;
  };

  const periodic = keyFor(who, 'PERIODIC_BENEFIT');
  const periodicKey = keyString(periodic);
  let annualFen = 0n;
  const layers: LayerAmount[] = [];
  let incomeShare: Benefit['incomeShare'];
  if (who.category === 'CONSCRIPT_FAMILY') {
    const found = mostSpecific(tables, periodicKey);
    const bp = found?.rule.kind === 'INCOME_SHARE' ? found.rule.bp : settings.conscriptFamilyShareBp;
    const income = need('PERIODIC_BENEFIT', 'PER_CAPITA_DISPOSABLE_INCOME');
    annualFen = income === undefined ? 0n : applyBasisPoints(income.fen, bp);
    incomeShare = { bp, shareVersion: found?.table.version, incomeYear: income?.year ?? year, annualIncomeFen: income?.fen ?? 0n, annualFen };
  } else {
    if (!national.rows.has(periodicKey))
      throw failedPrecondition('NO_STANDARD_FOR_KEY', `the NATIONAL standards version in force on ${date} (${national.version.id}, effective ${national.version.effectiveFrom}) has no row for ${describeKey(periodic)}`, {
        key: periodicKey,
        versionId: national.version.id,
        date,
      });
    for (const t of tables) {
      const rule = t.rows.get(periodicKey);
      const layerFen = annualOf(rule, who.serviceYears);
      annualFen += layerFen;
      layers.push({ version: t.version, annualFen: layerFen, perServiceYearFen: rule?.kind === 'PER_SERVICE_YEAR_AMOUNT' ? rule.fen : 0n });
    }
  }

  let nursingFee: Benefit['nursingFee'];
  if (who.category === 'DISABLED_SERVICEMAN') {
    const found = mostSpecific(tables, keyString(keyFor(who, 'NURSING_FEE')));
    if (found?.rule.kind === 'NURSING_FEE_SHARE' && (!found.rule.requiresMentalDisorder || who.mentalDisorder)) {
      const wage = need('NURSING_FEE', 'AVERAGE_MONTHLY_WAGE');
      const bp = found.rule.bp;
      nursingFee = { bp, shareVersion: found.table.version, wageYear: wage?.year ?? year, monthlyWageFen: wage?.fen ?? 0n, monthlyFen: wage === undefined ? 0n : applyBasisPoints(wage.fen, bp) };
    }
  }

  return {
    annualFen,
    monthlyFen: divRoundHalfUp(annualFen, 12n) + (nursingFee?.monthlyFen ?? 0n),
    layers,
    nursingFee,
    incomeShare,
    versionsUsed: tables.map((t) => t.version),
    missing,
    provisional,
  };
}
