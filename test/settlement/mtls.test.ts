import * as grpc from '@grpc/grpc-js';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Category } from '../../protos/gen/youfu/common/v1/entitlement';
import { HospitalStatus, MedicalSettlementServiceService } from '../../protos/gen/youfu/settlement/v1/settlement';
import { createUnaryClient, type UnaryClient } from '../../services/lib/grpc';
import { startService, type RunningService } from '../../services/lib/runtime';
import { settlementModule, statementScheduleId } from '../../services/settlement/index';
import { idGenerator, movableClock, pbDate, startStack, survivor, type Stack } from '../persons/support';
import { token, uniqueId } from '../support/env';
import { failure } from '../support/grpc';
import { deleteSchedule } from '../support/temporal';
import { bill, fen, registerPerson, settlementEnv } from './support';

const run = promisify(execFile);
const certsScript = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../deploy/local/certs.sh');

/** A hospital on mTLS: identified by its client certificate's fingerprint while it is registered. */
describe('settlement over mTLS with a registered client certificate', () => {
  const { clock } = movableClock('2026-06-20');
  let dir: string;
  let fingerprint: string;
  let persons: Stack;
  let svc: RunningService;
  let hospital: UnaryClient<typeof MedicalSettlementServiceService>;
  const pem = (f: string) => readFileSync(path.join(dir, f));

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'youfu-certs-'));
    const { stdout } = await run('bash', [certsScript, dir]);
    fingerprint = stdout.split('\n').find((l) => l.startsWith('client-H001 '))!.split(' ')[2]!;
    persons = await startStack('settlement-mtls', clock);
    svc = await startService(settlementModule, {
      env: settlementEnv(persons, { YOUFU_TLS_CERT: path.join(dir, 'server.pem'), YOUFU_TLS_KEY: path.join(dir, 'server.key'), YOUFU_TLS_CLIENT_CA: path.join(dir, 'ca.pem') }),
      clock,
    });
    // The certificate the test CA issued for hospital H001; staff calls present it too (mTLS) but identify by token.
    hospital = createUnaryClient(MedicalSettlementServiceService, `127.0.0.1:${svc.grpcPort}`, grpc.credentials.createSsl(pem('ca.pem'), pem('client-H001.key'), pem('client-H001.pem')));
  }, 120_000);
  afterAll(async () => {
    hospital?.close();
    await deleteSchedule(statementScheduleId(persons.prefix));
    await svc?.stop();
    await persons?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('accepts the certificate only while its fingerprint is registered, and refuses it once revoked', async () => {
    const clerk = await token('clerk', 'li');
    const approver = await token('approver', 'wang');
    const p = await hospital.proposeHospital({ hospitalCode: 'H001', name: 'mTLS hospital', status: HospitalStatus.HOSPITAL_STATUS_ACTIVE, note: 'designation' }, clerk);
    await hospital.decideProposal({ proposalId: p.proposal!.proposalId, approve: true, note: '', expectedVersion: 0n }, approver);
    const g = idGenerator(9201)();
    await registerPerson({ persons }, g, { identities: [{ attributes: survivor(Category.CATEGORY_MARTYR_SURVIVOR), effectiveFrom: pbDate('2021-01-10') }] });
    const b = bill('H001', uniqueId('tls'), g);

    expect(await failure(hospital.settle(b))).toMatchObject({ code: grpc.status.UNAUTHENTICATED, reason: 'TOKEN_MISSING' });
    const { credential } = await hospital.registerCredential(
      { hospitalCode: 'H001', credential: { $case: 'certificateSha256', value: fingerprint }, expiresAt: new Date(Date.now() + 3600_000), note: 'HIS certificate' },
      approver,
    );
    expect(credential).toMatchObject({ kind: 'certificate', value: fingerprint.replace(/:/g, '').toLowerCase() });
    expect((await hospital.settle(b)).result!.funds[0]).toMatchObject({ fundCode: '610200', amount: fen(320_000) });

    await hospital.revokeCredential({ credentialId: credential!.credentialId, note: 'certificate replaced' }, approver);
    expect(await failure(hospital.settle(b))).toMatchObject({ code: grpc.status.UNAUTHENTICATED, reason: 'TOKEN_MISSING' });
  });
});
