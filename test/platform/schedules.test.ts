import { afterAll, describe, expect, it } from 'vitest';
import type { Client } from '@temporalio/client';
import { ensureSchedule, type EnsureScheduleOptions } from '../../services/lib/schedules';
import { createTemporalClient } from '../../services/lib/temporal';
import { testConfig, uniqueId } from '../support/env';

describe('ensureSchedule against the Temporal dev server', () => {
  const scheduleId = uniqueId('ensure-schedule');
  const racedId = uniqueId('ensure-schedule-race');
  // Paused, and on a task queue no worker polls, so nothing ever runs.
  const taskQueue = uniqueId('no-worker');
  const opts = (cron: string, id = scheduleId): EnsureScheduleOptions => ({
    scheduleId: id,
    spec: { cronExpressions: [cron] },
    action: { workflowType: 'nightlyProbe', taskQueue, args: [{ region: '440106' }] },
    paused: true,
  });
  let client: Client | undefined;
  afterAll(async () => {
    await Promise.allSettled([scheduleId, racedId].map((id) => client?.schedule.getHandle(id).delete()));
    await client?.connection.close();
  });

  it('creates once, leaves an identical schedule alone, and updates a changed cron', async () => {
    client = await createTemporalClient(testConfig);
    expect(await ensureSchedule(client, opts('0 2 * * *'))).toBe('created');
    expect(await ensureSchedule(client, opts('0 2 * * *'))).toBe('unchanged');
    expect(await ensureSchedule(client, opts('30 3 * * *'))).toBe('updated');
    expect(await ensureSchedule(client, opts('30 3 * * *'))).toBe('unchanged');

    const d = await client.schedule.getHandle(scheduleId).describe();
    expect(d.spec.timezone).toBe('Asia/Shanghai');
    expect(d.spec.calendars).toHaveLength(1);
    expect(d.spec.calendars![0]).toMatchObject({ hour: [{ start: 3, end: 3, step: 1 }], minute: [{ start: 30, end: 30, step: 1 }] });
    expect(d.action).toMatchObject({ workflowType: 'nightlyProbe', args: [{ region: '440106' }] });
    expect(d.state.paused).toBe(true);
  });

  it('lets concurrent callers race: one creates, the other finds it unchanged', async () => {
    client ??= await createTemporalClient(testConfig);
    const results = await Promise.all([ensureSchedule(client, opts('0 2 * * *', racedId)), ensureSchedule(client, opts('0 2 * * *', racedId))]);
    expect(results.sort()).toEqual(['created', 'unchanged']);
  });
});
