import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StandardLevel, VersionStatus } from '../../protos/gen/youfu/standards/v1/standards';
import { seedFileVersions } from '../../services/standards/seed';
import { rowToProto } from '../../services/standards/wire';
import { token } from '../support/env';
import { failure } from '../support/grpc';
import { date, startStandards, type Standards } from './support';

/** The annual adjustment's scenario starts from the 2021 table alone; the seed file's 2022 rows are its source. */
describe('standards seeded up to a date (YOUFU_STANDARDS_SEED_UNTIL)', () => {
  let s: Standards;
  beforeAll(async () => {
    s = await startStandards('std_seed_until', { YOUFU_STANDARDS_SEED_UNTIL: '2021-12-31' });
  });
  afterAll(async () => s?.stop());

  it('loads only the 2021 national table; the 2022 rows can then be published as a new version, once', async () => {
    const [clerk, approver] = await Promise.all([token('clerk', 'li'), token('approver', 'wang')]);
    const NATIONAL = StandardLevel.STANDARD_LEVEL_NATIONAL;
    const { versions } = await s.client.listVersions({ level: NATIONAL, regionCode: '', status: VersionStatus.VERSION_STATUS_PUBLISHED, page: undefined }, clerk);
    expect(versions.map((v) => v.effectiveFrom)).toEqual([date('2021-08-01')]);

    const rows2022 = seedFileVersions().find((v) => v.effectiveFrom === '2022-08-01')!.rows.map(rowToProto);
    const draft = async () => {
      const { version } = await s.client.createDraft({ title: '2022 national', documentNumber: '退役军人部发〔2022〕', source: 'seed file', level: NATIONAL, regionCode: '', effectiveFrom: date('2022-08-01'), baseVersionId: '' }, clerk);
      return (await s.client.upsertDraftRows({ versionId: version!.id, expectedRevision: version!.revision, rows: rows2022 }, clerk)).version!;
    };
    const first = await draft();
    expect(first.rowCount).toBe(47);
    const approved = (await s.client.approveVersion({ versionId: first.id, expectedRevision: first.revision }, approver)).version!;
    expect((await s.client.publishVersion({ versionId: first.id, expectedRevision: approved.revision }, approver)).version!.status).toBe(VersionStatus.VERSION_STATUS_PUBLISHED);
    // A second version of the same date is refused.
    expect(await failure(draft())).toMatchObject({ code: grpc.status.ALREADY_EXISTS, reason: 'DUPLICATE_EFFECTIVE_DATE' });
  });
});
