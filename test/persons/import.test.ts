import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChangeStatus } from '../../protos/gen/youfu/persons/v1/persons';
import { eventually, token } from '../support/env';
import { failure } from '../support/grpc';
import { importPersons, importRecords, movableClock, pbMonth, startStack, type Stack } from './support';

const N = 10_000;
const { clock } = movableClock('2023-03-15');
let stack: Stack;
let clerk: string;
let approver: string;
const data = importRecords(N, { seed: 7, badEvery: 100 });

const count = async (sql: string) => ((await stack.persons.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${sql}`)).rows[0]!.n);
const state = async () => ({ persons: await count('persons'), changes: await count('change_requests'), staged: await count('staged_persons'), outbox: await count('outbox') });

beforeAll(async () => {
  stack = await startStack('persons_import', clock);
  [clerk, approver] = await Promise.all([token('clerk', 'li'), token('approver', 'wang')]);
});
afterAll(async () => {
  await stack?.stop();
});

describe('bulk import (client stream, one change request, idempotent)', () => {
  let changeId = '';

  it(`answers each of ${N} records: exactly the 1% bad rows are rejected, with their reasons`, async () => {
    const t = performance.now();
    const { results, summary } = await importPersons(stack.address, clerk, 'census-2023.csv#sha256:1', data.records);
    console.log(`imported ${N} records in ${(performance.now() - t).toFixed(0)} ms`);
    expect(results).toHaveLength(N);
    expect(results.map((r) => r.row)).toEqual(data.records.map((r) => r.row));
    const rejected = results.filter((r) => !r.accepted);
    expect(rejected).toHaveLength(data.bad.size);
    expect(rejected).toHaveLength(100);
    for (const r of rejected) expect(r.reason).toBe(data.bad.get(r.row));
    expect(rejected.find((r) => r.reason === 'GRADE_OUT_OF_RANGE')!.field).toBe('person.identities[0].attributes.disabilityGrade');
    expect(rejected.find((r) => r.reason === 'CONTROL_CHARACTER')!.field).toBe('person.payee.bank');
    expect(summary).toMatchObject({ accepted: N - 100, rejected: 100, complete: true });
    expect(summary!.change).toMatchObject({ status: ChangeStatus.CHANGE_STATUS_PROPOSED, recordCount: N - 100, importKey: 'census-2023.csv#sha256:1' });
    changeId = summary!.change!.changeId;
    // Staged, not registered; rejected rows left nothing behind.
    expect(await state()).toMatchObject({ persons: 0, staged: N - 100, changes: 1 });
  });

  it('is approved once, by someone else, registering every accepted record', async () => {
    expect((await failure(stack.client.approveChange({ changeId, note: '' }, await token('approver', 'li')))).reason).toBe('OWN_PROPOSAL');
    const t = performance.now();
    const r = await stack.client.approveChange({ changeId, note: 'census' }, approver, { deadlineMs: 300_000 });
    console.log(`approved ${N - 100} persons in ${(performance.now() - t).toFixed(0)} ms`);
    expect(r.effect!.personsRegistered).toBe(N - 100);
    expect(await count('persons')).toBe(N - 100);
    expect(await count("outbox WHERE event_type = 'youfu.persons.v1.PersonRegistered'")).toBe(N - 100);
    expect((await failure(stack.client.approveChange({ changeId, note: '' }, approver))).reason).toBe('ALREADY_DECIDED');

    const pay = (await stack.client.runPayroll({ month: pbMonth('2023-03') }, approver)).payroll!;
    expect(pay.personsPaid).toBe(N - 100);
    expect(pay.exceptionCount).toBe(data.withNursing);
  });

  it('importing the same file again (same key) changes nothing', async () => {
    const before = await state();
    const { results, summary } = await importPersons(stack.address, clerk, 'census-2023.csv#sha256:1', data.records);
    expect(results.filter((r) => r.accepted && r.alreadyImported)).toHaveLength(N - 100);
    expect(results.filter((r) => !r.accepted).map((r) => r.reason)).toEqual([...data.bad.values()]);
    expect(summary!.change).toMatchObject({ changeId, status: ChangeStatus.CHANGE_STATUS_APPROVED });
    expect(await state()).toEqual(before);
  });

  it('importing it under another key finds every person already registered and writes nothing', async () => {
    const before = await state();
    const { results, summary } = await importPersons(stack.address, clerk, 'census-2023-copy.csv', data.records);
    const reasons = new Set(results.filter((r) => !data.bad.has(r.row)).map((r) => r.reason));
    expect(reasons).toEqual(new Set(['DUPLICATE_PERSON']));
    expect(summary).toMatchObject({ accepted: 0, rejected: N });
    expect(summary!.change).toBeUndefined();
    expect(await state()).toEqual(before);
  });

  it('an interrupted import is resumed with its key; it cannot be approved before it ends', async () => {
    const more = importRecords(300, { seed: 99 }).records;
    await importPersons(stack.address, clerk, 'late-batch', more, {
      cancelAfter: 120,
      until: () => eventually(async () => ((await count("staged_persons s JOIN change_requests c ON c.id = s.change_id WHERE c.import_key = 'late-batch'")) >= 120 ? true : undefined)),
    });
    const open = (await stack.client.listChangeRequests({ status: ChangeStatus.CHANGE_STATUS_OPEN, personId: '', proposedBy: '', page: undefined }, clerk)).changes;
    expect(open).toHaveLength(1);
    expect((await failure(stack.client.approveChange({ changeId: open[0]!.changeId, note: '' }, approver))).reason).toBe('IMPORT_INCOMPLETE');
    // Another clerk may not touch it.
    await expect(importPersons(stack.address, await token('clerk', 'zhou'), 'late-batch', more.slice(0, 1))).rejects.toMatchObject({ code: grpc.status.FAILED_PRECONDITION });

    const { results, summary } = await importPersons(stack.address, clerk, 'late-batch', more);
    expect(results.every((r) => r.accepted)).toBe(true);
    expect(results.some((r) => r.alreadyImported)).toBe(true);
    expect(summary!.change).toMatchObject({ changeId: open[0]!.changeId, status: ChangeStatus.CHANGE_STATUS_PROPOSED, recordCount: 300 });
    await stack.client.approveChange({ changeId: open[0]!.changeId, note: '' }, approver);
    expect(await count('persons')).toBe(N - 100 + 300);
  });
});
