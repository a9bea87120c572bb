/**
 * A little real state per service, made with valid calls before fuzzing, so generated requests can
 * name things that exist (a draft, an approved version, a registered person, a pending change) and
 * reach the rules behind "not found". Optional: the fuzz covers every RPC without a fixture.
 */
import { IndexKind, StandardLevel, SubsidyStandardServiceService, VersionStatus } from '../../protos/gen/youfu/standards/v1/standards';
import { EntitledPersonServiceService } from '../../protos/gen/youfu/persons/v1/persons';
import { HospitalStatus, MedicalSettlementServiceService } from '../../protos/gen/youfu/settlement/v1/settlement';
import { decodeJwt } from 'jose';
import { createUnaryClient } from '../../services/lib/grpc';
import { disabled, idGenerator, pbDate, registration } from '../persons/support';

export interface FixtureContext {
  address: string;
  addresses: Record<string, string>;
  /** A raw JWT of the harness's token table, by label (e.g. `clerk li`). */
  token(label: string): string;
  /** Adds a value to the corpus under a field name (for values not visible in the tables, e.g. encrypted ones). */
  remember(field: string, value: unknown): void;
}

/** Fixtures by service module name. */
export const FIXTURES: Record<string, (ctx: FixtureContext) => Promise<void>> = {
  async standards(ctx) {
    const c = createUnaryClient(SubsidyStandardServiceService, ctx.address);
    try {
      const clerk = ctx.token('clerk li');
      const approver = ctx.token('approver wang');
      const { versions } = await c.listVersions({ level: StandardLevel.STANDARD_LEVEL_NATIONAL, regionCode: '', status: VersionStatus.VERSION_STATUS_PUBLISHED, page: undefined }, clerk);
      const base = versions[0];
      // A draft copied from the newest national table, and an approved one waiting to be published.
      await c.createDraft({ title: 'fuzz draft', documentNumber: '', source: 'fuzz', level: StandardLevel.STANDARD_LEVEL_NATIONAL, regionCode: '', effectiveFrom: { year: 2030, month: 1, day: 1 }, baseVersionId: base?.id ?? '' }, clerk);
      const { version: local } = await c.createDraft({ title: 'fuzz local', documentNumber: 'F-1', source: 'fuzz', level: StandardLevel.STANDARD_LEVEL_LOCAL, regionCode: '440100', effectiveFrom: { year: 2030, month: 2, day: 1 }, baseVersionId: '' }, clerk);
      await c.approveVersion({ versionId: local!.id, expectedRevision: local!.revision }, approver).catch(() => undefined);
      // One index value in force, one proposed.
      const { value } = await c.proposeIndexValue({ kind: IndexKind.INDEX_KIND_AVERAGE_MONTHLY_WAGE, cityCode: '440100', year: 2022, value: { fen: 1_200_000n }, expectedRevision: 0n }, clerk);
      await c.approveIndexValue({ kind: IndexKind.INDEX_KIND_AVERAGE_MONTHLY_WAGE, cityCode: '440100', year: 2022, expectedRevision: value!.revision }, approver);
      await c.proposeIndexValue({ kind: IndexKind.INDEX_KIND_AVERAGE_MONTHLY_WAGE, cityCode: '440100', year: 2023, value: { fen: 1_260_000n }, expectedRevision: 0n }, clerk);
    } finally {
      c.close();
    }
  },

  async persons(ctx) {
    const c = createUnaryClient(EntitledPersonServiceService, ctx.address);
    try {
      const clerk = ctx.token('clerk li');
      const approver = ctx.token('approver wang');
      const nextId = idGenerator(2024);
      const register = async () => {
        const g = nextId();
        ctx.remember('national_id', g.id);
        ctx.remember('district_code', g.region);
        const { change } = await c.proposeRegistration({ origin: '', person: registration(g, { identities: [{ attributes: disabled(4), effectiveFrom: pbDate('2021-03-01') }] }) }, clerk);
        return change!;
      };
      // Two registered persons (one with a pending change), and a pending registration.
      const first = await c.approveChange({ changeId: (await register()).changeId, note: 'fuzz' }, approver);
      await c.approveChange({ changeId: (await register()).changeId, note: 'fuzz' }, approver);
      await register();
      const p = first.person!;
      await c.proposeChange({ personId: p.personId, expectedVersion: p.version, change: { $case: 'suspend', value: { effectiveDate: pbDate('2024-05-01'), reason: 'fuzz' } } }, clerk);
    } finally {
      c.close();
    }
  },

  async settlement(ctx) {
    const c = createUnaryClient(MedicalSettlementServiceService, ctx.address);
    try {
      const clerk = ctx.token('clerk li');
      const approver = ctx.token('approver wang');
      // H001 designated, the harness's hospital token registered to it; a pending proposal beside.
      const { proposal } = await c.proposeHospital({ hospitalCode: 'H001', name: 'fuzz hospital', status: HospitalStatus.HOSPITAL_STATUS_ACTIVE, note: 'fuzz' }, clerk);
      await c.decideProposal({ proposalId: proposal!.proposalId, approve: true, note: 'fuzz', expectedVersion: 0n }, approver);
      const jti = decodeJwt(ctx.token('hospital H001')).jti!;
      await c.registerCredential({ hospitalCode: 'H001', credential: { $case: 'tokenId', value: jti }, expiresAt: new Date(Date.now() + 3600_000), note: 'fuzz' }, approver);
      await c.proposeHospital({ hospitalCode: 'H002', name: 'pending', status: HospitalStatus.HOSPITAL_STATUS_ACTIVE, note: 'fuzz' }, clerk);
    } finally {
      c.close();
    }
  },
};
