/**
 * Persons service on the local stack: bulk import rate, approval of the import, payroll time.
 *   npx tsx test/bench/persons.ts [--n 100000]
 * Starts the standards service (seeded 2021/2022 tables) and the persons service in-process on a
 * fresh database, streams N generated records (ImportPersons), approves them as one change
 * request, runs the month's payroll, runs it again (a no-op) and prints the numbers.
 */
import { parseArgs } from 'node:util';
import { token } from '../support/env';
import { importPersons, importRecords, movableClock, pbMonth, startStack } from '../persons/support';

const { values } = parseArgs({ options: { n: { type: 'string', default: '100000' } } });
const N = Number(values.n);
const { clock } = movableClock('2023-03-15');
const ms = (t: number) => performance.now() - t;
const fmt = (x: number) => x.toFixed(0);

const stack = await startStack('bench_persons', clock, { YOUFU_LOG_LEVEL: 'error' });
try {
  const [clerk, approver] = await Promise.all([token('clerk', 'bench-clerk'), token('approver', 'bench-approver')]);
  let t = performance.now();
  const { records } = importRecords(N, { seed: 1 });
  console.log(`generate: ${N} records in ${fmt(ms(t))} ms`);

  t = performance.now();
  const { results, summary } = await importPersons(stack.address, clerk, `bench-${N}`, records);
  const importMs = ms(t);
  const accepted = results.filter((r) => r.accepted).length;
  console.log(`import:   ${N} records streamed, ${accepted} accepted in ${fmt(importMs)} ms = ${fmt((N / importMs) * 1000)} records/s`);

  t = performance.now();
  const approved = await stack.client.approveChange({ changeId: summary!.change!.changeId, note: 'bench' }, approver, { deadlineMs: 30 * 60_000 });
  const approveMs = ms(t);
  console.log(`approve:  ${approved.effect!.personsRegistered} persons registered (benefits derived, audit, events) in ${fmt(approveMs)} ms = ${fmt((accepted / approveMs) * 1000)} persons/s`);

  t = performance.now();
  const run = await stack.client.runPayroll({ month: pbMonth('2023-03') }, approver, { deadlineMs: 30 * 60_000 });
  const payrollMs = ms(t);
  const p = run.payroll!;
  console.log(`payroll:  2023-03 for ${p.personsPaid} persons, ${p.lines} lines, total ${(Number(p.total!.fen) / 100).toFixed(2)} yuan, ${p.exceptionCount} exceptions in ${fmt(payrollMs)} ms`);

  t = performance.now();
  const again = await stack.client.runPayroll({ month: pbMonth('2023-03') }, approver);
  console.log(`re-run:   already_run=${again.alreadyRun}, same total=${again.payroll!.total!.fen === p.total!.fen} in ${fmt(ms(t))} ms`);

  t = performance.now();
  const page = await stack.client.listPersons({ category: 0, districtCode: '440106', status: 0, page: { pageSize: 100, pageToken: '' } }, clerk);
  console.log(`list:     first page of 100 (district filter) of ${N} in ${fmt(ms(t))} ms (${page.persons.length} returned)`);
} finally {
  await stack.stop();
}
