/** Temporal for tests: a client as the services have it (the development payload key), and schedule clean-up. */
import { DEV_PAYLOAD_KEYS } from '../../services/lib/runtime';
import { AesGcmCodec, createTemporalClient } from '../../services/lib/temporal';
import { testConfig } from './env';

/** A client with the development payload codec, for tests that start workflows and read their results. */
export const temporalClient = () => createTemporalClient(testConfig, AesGcmCodec.fromConfig(DEV_PAYLOAD_KEYS));

/** Deletes a schedule a test's service ensured (its id carries the run's topic prefix); missing is fine. */
export async function deleteSchedule(scheduleId: string): Promise<void> {
  const temporal = await createTemporalClient(testConfig);
  try {
    await temporal.schedule.getHandle(scheduleId).delete().catch(() => undefined);
  } finally {
    await temporal.connection.close();
  }
}
