/**
 * The resettlement service's activities (task queue `resettlement`), for the case workflow
 * (workflows/resettlement): what a case waits for next, and acting when a deadline passed. The
 * due date a deadline acts on comes from the workflow; whether it still applies, from the case.
 */
import { addDays, shanghaiMidnight, type CivilDate } from '../lib/civil';
import { resettlementEvents as ev } from '../lib/contracts';
import type { Pool } from '../lib/db';
import { toProtoDate } from '../lib/proto';
import { OPEN, onboardingDue, placementDue, reportingWindow, type Deadline } from './domain/rules';
import { enums, stepOf } from './handlers';
import * as store from './store';
import { stepEvent } from './store';

export interface DueDeadline {
  deadline: Deadline;
  /** The last day the step may happen. */
  dueOn: CivilDate;
  /** When it counts as missed: 00:00 Asia/Shanghai of the next day (ISO instant). */
  at: string;
}

const after = (dueOn: CivilDate) => shanghaiMidnight(addDays(dueOn, 1)).toISOString();

/** The deadlines a case waits on now (earliest first); none once it is closed or lapsed. */
export function deadlinesOf(c: store.CaseRow): DueDeadline[] {
  const out: DueDeadline[] = [];
  if (c.status === 'RECEIVED' && !c.late_reason) out.push({ deadline: 'REPORTING', dueOn: c.report_by, at: reportingWindow(c.discharge_approved_on).lapsesAt.toISOString() });
  if (c.mode === 'ASSIGNED_WORK' && c.status === 'PLACEMENT_CHOSEN' && !c.missed.includes('PLACEMENT')) {
    const dueOn = placementDue(c.reported_on!);
    out.push({ deadline: 'PLACEMENT', dueOn, at: after(dueOn) });
  }
  if (c.status === 'JOB_OFFERED' && !c.missed.includes('ONBOARDING')) {
    const dueOn = onboardingDue(c.job_offer!.referredOn);
    out.push({ deadline: 'ONBOARDING', dueOn, at: after(dueOn) });
  }
  return out.sort((a, b) => a.at.localeCompare(b.at));
}

export function createResettlementActivities(d: { pool: Pool }) {
  return {
    /** Whether the case is still open, and what it waits on. */
    async caseDeadlines(caseId: string): Promise<{ open: boolean; deadlines: DueDeadline[] }> {
      const c = await store.mustCase(d.pool, caseId);
      return { open: OPEN.includes(c.status), deadlines: deadlinesOf(c) };
    },

    /**
     * A deadline the workflow's timer reached: an unreported case without a justified reason lapses
     * (CaseLapsed); a missed placement or onboarding is flagged (DeadlineMissed). Nothing happens
     * when the case has moved on meanwhile. Idempotent.
     */
    async missDeadline(caseId: string, deadline: Deadline, dueOn: CivilDate): Promise<{ acted: boolean }> {
      const c = await store.mustCase(d.pool, caseId);
      const due = deadlinesOf(c).find((x) => x.deadline === deadline && x.dueOn === dueOn);
      if (!due) return { acted: false };
      const at = new Date(due.at);
      const still = (x: store.CaseRow) => deadlinesOf(x).some((y) => y.deadline === deadline && y.dueOn === dueOn);
      if (deadline === 'REPORTING') {
        const r = await store.step(d.pool, caseId, {
          name: 'LAPSE',
          from: ['RECEIVED'],
          actor: store.SYSTEM,
          at,
          change: (x) => (still(x) ? { status: 'LAPSED' } : null),
          event: (x) => stepEvent(ev.caseLapsed, () => ({ step: stepOf(x, store.SYSTEM), reportBy: toProtoDate(x.report_by) })),
          detail: { dueOn },
        });
        return { acted: r.status === 'LAPSED' };
      }
      const r = await store.step(d.pool, caseId, {
        name: `MISSED_${deadline}`,
        from: [c.status],
        actor: store.SYSTEM,
        at,
        change: (x) => (still(x) ? { missed: [...x.missed, deadline] } : null),
        event: (x) => stepEvent(ev.deadlineMissed, () => ({ step: stepOf(x, store.SYSTEM), deadline: enums.deadline.toNumber(deadline), dueOn: toProtoDate(dueOn) })),
        detail: { dueOn },
      });
      return { acted: r.missed.includes(deadline) };
    },
  };
}
