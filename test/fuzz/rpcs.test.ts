/**
 * Property-based hardening suite (issue 8): for every RPC of every service, found in the buf image,
 * invalid requests generated from the descriptor are sent to the real running services. For each:
 * never INTERNAL / UNKNOWN, every refusal carries an ErrorInfo reason (and INVALID_ARGUMENT a field
 * path), and no table of the service changed. A new RPC is covered without new test code.
 * A fixed seed here; `npm run bench -- fuzz` runs 10,000 cases with any seed (test/bench/fuzz.ts).
 *
 * Every case of an RPC runs (a failure does not stop the rest); the failures are reported grouped by
 * broken property, each with its smallest example, the answer and the server's log line.
 */
import type { DescMethod } from '@bufbuild/protobuf';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { caseArb, type Corpus, type TokenChoice } from './generate';
import { Fuzzer, LogTap, MODULE_NAMES, prepare, Report, settle, signTokens, startStack, tokenChoice, type Stack, type Tokens } from './harness';
import { rpcPath, servicesOfModule } from './proto';

const SEED = 82_024;
/** Cases per RPC: 20 × 14–16 RPCs ≈ 300 requests per service. */
const RUNS = 20;

let stack: Stack;
let tokens: Tokens;
let corpus: Corpus;
let logs: LogTap;
const fuzzers = new Map<string, Fuzzer>();
const choices = new Map<string, TokenChoice>();

beforeAll(async () => {
  logs = new LogTap().install();
  stack = await startStack('fuzz');
  tokens = await signTokens();
  corpus = await prepare(stack, tokens);
  await settle(stack);
  for (const s of stack.services) {
    fuzzers.set(s.name, await Fuzzer.of(s, tokens, logs, { fingerprintEvery: 1 }));
    for (const d of s.services) for (const m of d.methods) choices.set(rpcPath(m), await tokenChoice(s.client, m, tokens));
  }
}, 180_000);

afterAll(async () => {
  for (const f of fuzzers.values()) f.close();
  await stack?.stop();
  logs?.uninstall();
});

for (const name of MODULE_NAMES) {
  const methods: DescMethod[] = servicesOfModule(name).flatMap((d) => d.methods);

  describe(`${name}: invalid requests to every RPC`, () => {
    it('serves by reflection exactly the services the image has for it', () => {
      const s = stack.services.find((x) => x.name === name)!;
      expect(s.reflected).toEqual(s.services.map((d) => d.typeName));
    });

    it.each(methods.map((m) => [m.name, m] as const))('%s', async (_name, method) => {
      const fuzzer = fuzzers.get(name)!;
      const report = new Report();
      const arb = caseArb(corpus, method, choices.get(rpcPath(method))!);
      await fc.check(
        fc.asyncProperty(arb, async (c) => report.add(name, c, await fuzzer.run(c))),
        { seed: SEED, numRuns: RUNS },
      );
      if (report.groups.size) throw new Error(`${report.failed} of ${report.calls} calls broke a property (seed ${SEED}):\n\n${report.formatFailures()}`);
    });
  });
}
