/**
 * Test support for the persons service: real-format national ID numbers (GB 11643-1999) with
 * correct check characters — computed here independently of the service's own code — and
 * request builders.
 */
import * as grpc from '@grpc/grpc-js';
import type { CivilDate as PbDate } from '../../protos/gen/youfu/common/v1/common';
import { Category, DisabilityCause, Residence, type EntitlementAttributes } from '../../protos/gen/youfu/common/v1/entitlement';
import {
  EntitledPersonServiceService,
  Gender,
  type RegistrationDetails,
  type ImportPersonsRequest,
  type ImportRecord,
  type ImportRecordResult,
  type ImportSummary,
} from '../../protos/gen/youfu/persons/v1/persons';
import type { Clock } from '../../services/lib/civil';
import { bearerMetadata, createUnaryClient, type UnaryClient } from '../../services/lib/grpc';
import { startService, type RunningService } from '../../services/lib/runtime';
import { personsModule } from '../../services/persons/index';
import { standardsModule } from '../../services/standards/index';
import { freshDatabase, serviceEnv, topicPrefix } from '../support/env';
import { idGenerator, rng, type GeneratedId } from '../support/national-ids';

export { GUANGZHOU, idGenerator, makeId, mod11_2, rng, type GeneratedId } from '../support/national-ids';

export const pbDate = (d: string): PbDate => ({ year: Number(d.slice(0, 4)), month: Number(d.slice(5, 7)), day: Number(d.slice(8, 10)) });
export const pbMonth = (m: string) => ({ year: Number(m.slice(0, 4)), month: Number(m.slice(5, 7)) });

export const disabled = (grade: number, cause = DisabilityCause.DISABILITY_CAUSE_WAR, mentalDisorder = false): EntitlementAttributes => ({
  category: Category.CATEGORY_DISABLED_SERVICEMAN,
  disabilityGrade: grade,
  cause,
  enlistmentPeriod: 0,
  serviceYears: 0,
  mentalDisorder,
});
export const survivor = (category: Category): EntitlementAttributes => ({ category, disabilityGrade: 0, cause: 0, enlistmentPeriod: 0, serviceYears: 0, mentalDisorder: false });

/** A valid registration for a generated person (override anything). */
export function registration(g: GeneratedId, o: Partial<RegistrationDetails> = {}): RegistrationDetails {
  return {
    nationalId: g.id,
    name: '张三',
    gender: g.gender === 'MALE' ? Gender.GENDER_MALE : Gender.GENDER_FEMALE,
    birthDate: pbDate(g.birthDate),
    districtCode: g.region,
    residence: Residence.RESIDENCE_URBAN,
    contact: { phone: '13800000000', address: '广州市天河区' },
    approvalDate: pbDate('2022-09-05'),
    payee: { bank: '中国工商银行广州分行', accountNumber: '6222020000000000001', accountName: '张三' },
    identities: [{ attributes: disabled(5), effectiveFrom: pbDate('2020-05-01') }],
    ...o,
  };
}

// ---- running the two services and talking to them ----


/** A clock tests can move forward (both services share it). */
export function movableClock(start: string): { clock: Clock; set(d: string): void } {
  let d = start;
  return { clock: { now: () => new Date(`${d}T04:00:00Z`), today: () => d }, set: (x) => void (d = x) };
}

export interface Stack {
  db: Awaited<ReturnType<typeof freshDatabase>>;
  prefix: string;
  standards: RunningService;
  persons: RunningService;
  address: string;
  client: UnaryClient<typeof EntitledPersonServiceService>;
  stop(): Promise<void>;
}

/** Fresh database; the standards service first (seeded 2021/2022 tables), then persons pointing at it. */
export async function startStack(label: string, clock: Clock, extraEnv: Record<string, string> = {}, standardsEnv: Record<string, string> = {}): Promise<Stack> {
  const db = await freshDatabase(label);
  const prefix = topicPrefix(label);
  const standards = await startService(standardsModule, { env: serviceEnv(db.adminUrl, prefix, standardsEnv), clock });
  const persons = await startService(personsModule, {
    env: serviceEnv(db.adminUrl, prefix, { YOUFU_STANDARDS_ADDR: `127.0.0.1:${standards.grpcPort}`, ...extraEnv }),
    clock,
  });
  const address = `127.0.0.1:${persons.grpcPort}`;
  const client = createUnaryClient(EntitledPersonServiceService, address);
  return {
    db,
    prefix,
    standards,
    persons,
    address,
    client,
    async stop() {
      client.close();
      await persons.stop();
      await standards.stop();
      await db.drop();
    },
  };
}

/**
 * Streams an import (header, records, end) over a real client-streaming call, honouring
 * back-pressure. Resolves with every record answer and the summary. `cancelAfter`: after writing
 * that many records, wait for `until()` and cancel the call (an interrupted upload); resolves with
 * no summary.
 */
export function importPersons(
  address: string,
  token: string,
  key: string,
  records: Iterable<ImportRecord>,
  o: { cancelAfter?: number; until?: () => Promise<unknown> } = {},
): Promise<{ results: ImportRecordResult[]; summary: ImportSummary | undefined }> {
  const m = EntitledPersonServiceService.importPersons;
  const client = new grpc.Client(address, grpc.credentials.createInsecure(), { 'grpc.max_receive_message_length': 64 * 1024 * 1024 });
  return new Promise((resolve, reject) => {
    let cancelled = false;
    let n = 0;
    const call = client.makeClientStreamRequest(m.path, m.requestSerialize, m.responseDeserialize, bearerMetadata(token), { deadline: Date.now() + 30 * 60_000 }, (err, res) => {
      client.close();
      if (cancelled) resolve({ results: res?.results ?? [], summary: res?.summary });
      else if (err || !res) reject(err ?? new Error('no response'));
      else resolve({ results: res.results, summary: res.summary });
    });
    void (async () => {
      const write = (msg: ImportPersonsRequest) => (call.write(msg) ? Promise.resolve() : new Promise<void>((r) => call.once('drain', () => r())));
      await write({ item: { $case: 'header', value: { idempotencyKey: key, description: 'test import' } } });
      for (const rec of records) {
        await write({ item: { $case: 'record', value: rec } });
        n++;
        if (o.cancelAfter !== undefined && n >= o.cancelAfter) {
          cancelled = true;
          await o.until?.();
          call.cancel();
          return;
        }
      }
      await write({ item: { $case: 'end', value: { recordCount: n } } });
      call.end();
    })();
  });
}

/** The reasons the generated bad rows are rejected with, by kind. */
export const BAD_KINDS = ['INVALID_CHECK_CHARACTER', 'BIRTH_DATE_MISMATCH', 'GRADE_OUT_OF_RANGE', 'GENDER_MISMATCH', 'DUPLICATE_IN_IMPORT', 'DATE_IN_FUTURE', 'CONTROL_CHARACTER'] as const;

/**
 * `n` import records (rows 1..n) of generated persons: disabled servicemen (mostly grades 5..10,
 * some 1..4 with a nursing fee) and survivors; a share with `paidThrough`. Every `badEvery`-th row
 * (row % badEvery === badEvery / 2) is bad in one of BAD_KINDS, cycling.
 */
export function importRecords(n: number, o: { seed?: number; badEvery?: number; today?: string } = {}) {
  const r = rng(o.seed ?? 42);
  const gen = idGenerator((o.seed ?? 42) + 1);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
  const date = (from: number, to: number) => `${from + Math.floor(r() * (to - from + 1))}-${String(1 + Math.floor(r() * 12)).padStart(2, '0')}-${String(1 + Math.floor(r() * 28)).padStart(2, '0')}`;
  const records: ImportRecord[] = [];
  const bad = new Map<number, string>();
  const badEvery = o.badEvery ?? 0;
  for (let row = 1; row <= n; row++) {
    const g = gen();
    const u = r();
    let attributes: EntitlementAttributes;
    if (u < 0.6) {
      const cause = pick([DisabilityCause.DISABILITY_CAUSE_WAR, DisabilityCause.DISABILITY_CAUSE_DUTY, DisabilityCause.DISABILITY_CAUSE_ILLNESS]);
      const low = r() < 0.08;
      const grade = cause === DisabilityCause.DISABILITY_CAUSE_ILLNESS ? (low ? 1 + Math.floor(r() * 4) : 5 + Math.floor(r() * 2)) : low ? 1 + Math.floor(r() * 4) : 5 + Math.floor(r() * 6);
      attributes = disabled(grade, cause);
    } else attributes = survivor(pick([Category.CATEGORY_MARTYR_SURVIVOR, Category.CATEGORY_DUTY_DEATH_SURVIVOR, Category.CATEGORY_ILLNESS_DEATH_SURVIVOR]));
    const rec: ImportRecord = {
      row,
      person: registration(g, {
        name: `姓名${row}`,
        approvalDate: pbDate(date(2015, 2022)),
        payee: { bank: '中国工商银行', accountNumber: `62220200${String(row).padStart(10, '0')}`, accountName: `姓名${row}` },
        identities: [{ attributes, effectiveFrom: pbDate(date(1995, 2014)) }],
      }),
      ...(r() < 0.3 ? { paidThrough: pbMonth('2022-12') } : {}),
    };
    if (badEvery && row % badEvery === Math.floor(badEvery / 2)) {
      const kind = BAD_KINDS[Math.floor(row / badEvery) % BAD_KINDS.length]!;
      const p = rec.person!;
      if (kind === 'INVALID_CHECK_CHARACTER') p.nationalId = p.nationalId.slice(0, 17) + (p.nationalId[17] === '1' ? '2' : '1');
      if (kind === 'BIRTH_DATE_MISMATCH') p.birthDate = { ...p.birthDate!, year: p.birthDate!.year - 1 };
      if (kind === 'GRADE_OUT_OF_RANGE') p.identities = [{ attributes: disabled(11), effectiveFrom: pbDate('2010-01-01') }];
      if (kind === 'GENDER_MISMATCH') p.gender = p.gender === Gender.GENDER_MALE ? Gender.GENDER_FEMALE : Gender.GENDER_MALE;
      if (kind === 'DUPLICATE_IN_IMPORT') {
        const prev = records[row - 2]!.person!;
        Object.assign(p, { nationalId: prev.nationalId, birthDate: prev.birthDate, gender: prev.gender });
      }
      if (kind === 'DATE_IN_FUTURE') p.approvalDate = pbDate('2099-01-01');
      // A legacy export's stray NUL (PostgreSQL refuses it): this record only is rejected.
      if (kind === 'CONTROL_CHARACTER') p.payee = { ...p.payee!, bank: '中国\u0000工商银行' };
      bad.set(row, kind);
    }
    records.push(rec);
  }
  /** Good records whose identity carries a nursing fee (grades 1..4): the payroll's exceptions while no wage index is loaded. */
  const withNursing = records.filter((x) => !bad.has(x.row) && x.person!.identities[0]!.attributes!.category === Category.CATEGORY_DISABLED_SERVICEMAN && x.person!.identities[0]!.attributes!.disabilityGrade <= 4).length;
  return { records, bad, withNursing };
}
