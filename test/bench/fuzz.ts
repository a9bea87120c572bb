/**
 * The property-based hardening suite at scale (issue 8): N generated invalid requests spread over
 * every RPC of every service (found in the buf image), against the real services on the local stack.
 *   npx tsx test/bench/fuzz.ts [--n 10000] [--seed 42]      (or FUZZ_N / FUZZ_SEED with npm run bench -- fuzz)
 * Prints the status codes per service, the INTERNAL count (must be 0), requests/s, and every broken
 * property grouped by RPC with its smallest example, the answer and the server's log line. Exits 1
 * when any property broke. Tables are fingerprinted after every OK or failing call and every 20th other.
 */
import fc from 'fast-check';
import { parseArgs } from 'node:util';
import { caseArb, type Case } from '../fuzz/generate';
import { Fuzzer, LogTap, prepare, Report, settle, signTokens, startStack, tokenChoice } from '../fuzz/harness';
import { rpcPath } from '../fuzz/proto';

const { values } = parseArgs({ options: { n: { type: 'string' }, seed: { type: 'string' } } });
const N = Number(values.n ?? process.env.FUZZ_N ?? 10_000);
const SEED = Number(values.seed ?? process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));

const logs = new LogTap().install();
const stack = await startStack('bench_fuzz');
const fuzzers = new Map<string, Fuzzer>();
try {
  const tokens = await signTokens();
  const corpus = await prepare(stack, tokens);
  await settle(stack);
  const arbs: fc.Arbitrary<Case>[] = [];
  const serviceOf = new Map<string, string>();
  for (const s of stack.services) {
    fuzzers.set(s.name, await Fuzzer.of(s, tokens, logs, { fingerprintEvery: 20 }));
    for (const d of s.services) {
      for (const m of d.methods) {
        serviceOf.set(rpcPath(m), s.name);
        arbs.push(caseArb(corpus, m, await tokenChoice(s.client, m, tokens)));
      }
    }
  }
  console.log(`fuzz: ${N} cases, seed ${SEED}, ${arbs.length} RPCs of ${stack.services.map((s) => `${s.name} (${s.services.map((d) => d.typeName).join(', ')})`).join(', ')}`);

  const report = new Report();
  const t0 = performance.now();
  let next = 1000;
  await fc.check(
    fc.asyncProperty(fc.oneof(...arbs), async (c) => {
      const name = serviceOf.get(rpcPath(c.method))!;
      report.add(name, c, await fuzzers.get(name)!.run(c));
      if (report.calls >= next) {
        next += 1000;
        console.log(`  … ${report.calls} calls, ${report.failed} broke a property, ${((report.calls / (performance.now() - t0)) * 1000).toFixed(0)} calls/s`);
      }
    }),
    { seed: SEED, numRuns: N },
  );
  const seconds = (performance.now() - t0) / 1000;

  console.log(`\nstatus codes per service:\n${report.formatCodes()}`);
  console.log(`\nstatus codes per RPC:\n${report.formatRpcs()}`);
  for (const [svc, ms] of report.busyMs) {
    const n = [...report.codes.get(svc)!.values()].reduce((a, b) => a + b, 0);
    console.log(`${svc}: ${n} calls, mean ${(ms / n).toFixed(1)} ms per call`);
  }
  console.log(`\nreach: ${report.onTarget} of ${report.poisoned} field-poisoned calls were refused for the poisoned field alone or got past validation`);
  console.log(`INTERNAL: ${report.internal} (must be 0)`);
  console.log(`calls that broke a property: ${report.failed} of ${report.calls}, in ${report.groups.size} groups`);
  console.log(`throughput: ${report.calls} calls in ${seconds.toFixed(1)} s = ${(report.calls / seconds).toFixed(0)} calls/s (fingerprints included)`);
  if (report.groups.size) console.log(`\nbroken properties (seed ${SEED}):\n\n${report.formatFailures()}`);
  process.exitCode = report.groups.size ? 1 : 0;
} finally {
  for (const f of fuzzers.values()) f.close();
  await stack.stop();
  logs.uninstall();
}
