import { createHash } from 'node:crypto';
import { ScheduleAlreadyRunning, type Client, type ScheduleOverlapPolicy, type ScheduleSpec } from '@temporalio/client';

/** The time zone of a schedule whose spec names none: the bureau's civil time. */
export const DEFAULT_SCHEDULE_TIMEZONE = 'Asia/Shanghai';

/**
 * Memo key, on the workflow action, of a hash of the options that last wrote the schedule. The
 * server compiles cron strings into calendars, so `describe` cannot be compared with the options
 * themselves; the hash can.
 */
const FINGERPRINT = 'youfuScheduleFingerprint';

/** What a service wants its schedule to be. */
export interface EnsureScheduleOptions {
  /** A business id, e.g. `adjustment:yearly`; one schedule per id in the namespace. */
  scheduleId: string;
  /** When to start the workflow (cron strings, calendars, intervals); time zone Asia/Shanghai unless given. */
  spec: ScheduleSpec;
  /** The workflow each action starts; `workflowId` defaults to `<scheduleId>-workflow`. */
  action: { workflowType: string; taskQueue: string; args?: unknown[]; workflowId?: string };
  /** What to do when the previous run is still going; Temporal's default is SKIP. */
  overlap?: ScheduleOverlapPolicy;
  /** Create the schedule paused. Applied at creation only, so an operator's later pause stays. */
  paused?: boolean;
  /** Note shown with the schedule's state. Applied at creation only, like `paused`. */
  note?: string;
}

/**
 * Makes the schedule `opts.scheduleId` match `opts`, so every service start can call it: creates it
 * if missing, updates spec, action and overlap policy when they differ from what the last call
 * wrote (a difference in key order counts, and costs only a harmless update), and otherwise leaves
 * it alone. The pause state and note are kept on update. A concurrent creator makes this call fall
 * back to the comparison. Edits made outside this function (e.g. in the UI) are not detected.
 */
export async function ensureSchedule(client: Client, opts: EnsureScheduleOptions): Promise<'created' | 'updated' | 'unchanged'> {
  const spec = { ...opts.spec, timezone: opts.spec.timezone ?? DEFAULT_SCHEDULE_TIMEZONE };
  const action = { type: 'startWorkflow' as const, ...opts.action };
  const policies = { overlap: opts.overlap };
  const fingerprint = createHash('sha256').update(JSON.stringify({ spec, action, policies })).digest('base64url');
  const schedule = { spec, action: { ...action, memo: { [FINGERPRINT]: fingerprint } }, policies };
  try {
    await client.schedule.create({ scheduleId: opts.scheduleId, ...schedule, state: { paused: opts.paused ?? false, note: opts.note } });
    return 'created';
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  const handle = client.schedule.getHandle(opts.scheduleId);
  const current = await handle.describe();
  if (current.action.memo?.[FINGERPRINT] === fingerprint) return 'unchanged';
  await handle.update((previous) => ({ ...schedule, state: previous.state }));
  return 'updated';
}
