/**
 * The resettlement service's activities (task queue `resettlement`), for the case workflow
 * (workflows/resettlement): what a case waits for next, and acting when a deadline passed. The
 * due date a deadline acts on comes from the workflow; whether it still applies, from the case.
 */
import { EntitledPersonServiceService, Gender, type RegistrationDetails } from '../../protos/gen/youfu/persons/v1/persons';
import { addDays, addMonths, firstDay, monthOf, shanghaiMidnight, type CivilDate } from '../lib/civil';
import type { ServiceClient } from '../lib/clients';
import { entitlementEnums } from '../lib/entitlement';
import { AppError, isTransient } from '../lib/errors';
import type { PiiVault } from '../lib/pii';
import { resettlementEvents as ev } from '../lib/contracts';
import type { Pool } from '../lib/db';
import { money, toProtoDate, toProtoMonth } from '../lib/proto';
import { settingAt } from '../lib/settings';
import { nextAllowanceMonth, OPEN, onboardingDue, placementDue, STATUSES, studyWindowEnds, type Deadline } from './domain/rules';
import { enums, MINIMUM_WAGE_KEY, minimumWageValue, stepOf } from './handlers';
import * as store from './store';
import { stepEvent } from './store';

export interface DueDeadline {
  /** A deadline, or ALLOWANCE: a month of the waiting allowance to record once it ended. */
  deadline: Deadline | 'ALLOWANCE';
  /** The last day the step may happen. */
  dueOn: CivilDate;
  /** When it counts as missed: 00:00 Asia/Shanghai of the next day (ISO instant). */
  at: string;
}

/** Every deadline counts as missed at 00:00 Asia/Shanghai of the day after its due date (for reporting: day 61, `reportingWindow`'s lapse). */
const after = (dueOn: CivilDate) => shanghaiMidnight(addDays(dueOn, 1)).toISOString();

/** Whether the case (as it is now) still waits on this deadline with this due date. */
const waitsOn = (c: store.CaseRow, deadline: DueDeadline['deadline'], dueOn: CivilDate) => deadlinesOf(c).some((x) => x.deadline === deadline && x.dueOn === dueOn);

/** The deadlines a case waits on now (earliest first); none once it lapsed. */
export function deadlinesOf(c: store.CaseRow): DueDeadline[] {
  const out: DueDeadline[] = [];
  if (c.status === 'LAPSED') return out;
  if (c.status === 'RECEIVED' && !c.late_reason) out.push({ deadline: 'REPORTING', dueOn: c.report_by, at: after(c.report_by) });
  if (c.mode === 'ASSIGNED_WORK' && c.status === 'PLACEMENT_CHOSEN' && !c.missed.includes('PLACEMENT')) {
    const dueOn = placementDue(c.reported_on!);
    out.push({ deadline: 'PLACEMENT', dueOn, at: after(dueOn) });
  }
  if (c.status === 'JOB_OFFERED' && !c.missed.includes('ONBOARDING')) {
    const dueOn = onboardingDue(c.job_offer!.referredOn);
    out.push({ deadline: 'ONBOARDING', dueOn, at: after(dueOn) });
  }
  if (c.college_student && c.reported_on && !c.missed.includes('STUDY_WINDOW') && !c.support.some((x) => x.kind === 'RESUMED_STUDY')) {
    const dueOn = studyWindowEnds(c.discharged_on);
    out.push({ deadline: 'STUDY_WINDOW', dueOn, at: after(dueOn) });
  }
  if (c.mode === 'ASSIGNED_WORK' && c.reported_on) {
    const m = nextAllowanceMonth(c.reported_on, c.onboarded_on, new Set(c.allowances.map((a) => a.month)));
    if (m) {
      const dueOn = addDays(firstDay(addMonths(m, 1)), -1);
      out.push({ deadline: 'ALLOWANCE', dueOn, at: after(dueOn) });
    }
  }
  return out.sort((a, b) => a.at.localeCompare(b.at));
}

/** The registration persons is asked to propose for a transferred case (domain: issue 11's mapping). */
function registrationOf(c: store.CaseRow, pii: PiiVault): RegistrationDetails {
  const t = c.registry_transfer!;
  const dis = c.disability!;
  return {
    nationalId: pii.decrypt(c.id_enc),
    name: pii.decrypt(c.name_enc),
    gender: c.gender === 'MALE' ? Gender.GENDER_MALE : Gender.GENDER_FEMALE,
    birthDate: toProtoDate(c.birth_date),
    districtCode: c.district,
    residence: entitlementEnums.residence.toNumber(c.residence),
    contact: { phone: c.phone_enc ? pii.decrypt(c.phone_enc) : '', address: '' },
    approvalDate: toProtoDate(t.requestedOn),
    payee: { bank: c.payee_bank!, accountNumber: pii.decrypt(c.payee_account_enc!), accountName: pii.decrypt(c.payee_name_enc!) },
    identities: [
      {
        attributes: {
          category: entitlementEnums.category.toNumber('DISABLED_SERVICEMAN'),
          disabilityGrade: dis.grade,
          cause: entitlementEnums.cause.toNumber(dis.cause),
          enlistmentPeriod: 0,
          serviceYears: 0,
          mentalDisorder: dis.mentalDisorder,
        },
        effectiveFrom: toProtoDate(dis.assessedOn),
      },
    ],
  };
}

export function createResettlementActivities(d: { pool: Pool; transfer?: { pii: PiiVault; persons: ServiceClient<typeof EntitledPersonServiceService> } }) {
  return {
    /** Whether the case is still open (or a registry transfer waits to be proposed), and what it waits on. */
    async caseDeadlines(caseId: string): Promise<{ open: boolean; deadlines: DueDeadline[]; transfer: boolean }> {
      const c = await store.mustCase(d.pool, caseId);
      const transfer = c.registry_transfer?.status === 'REQUESTED';
      const deadlines = deadlinesOf(c);
      return { open: OPEN.includes(c.status) || transfer || deadlines.length > 0, deadlines, transfer };
    },

    /**
     * Records a month of the waiting allowance once it ended (the workflow's due date: its last
     * day), at the minimum wage in force on the month's first day. Not acted when the month is not
     * owed (any more) or no minimum wage is set yet (the workflow looks again later). Idempotent.
     */
    async recordAllowance(caseId: string, dueOn: CivilDate): Promise<{ acted: boolean }> {
      const month = monthOf(dueOn);
      const wage = await settingAt(d.pool, MINIMUM_WAGE_KEY, minimumWageValue, firstDay(month));
      if (!wage) return { acted: false };
      const at = new Date(after(dueOn));
      const r = await store.step(d.pool, caseId, {
        name: 'RECORD_ALLOWANCE',
        from: STATUSES,
        actor: store.SYSTEM,
        at,
        change: (x) => (waitsOn(x, 'ALLOWANCE', dueOn) ? {} : null),
        also: async (tx) => void (await store.insertAllowance(tx, caseId, month, wage.monthlyFen, at)),
        event: (x) => stepEvent(ev.waitingAllowanceRecorded, () => ({ step: stepOf(x, store.SYSTEM), month: toProtoMonth(month), amount: money(wage.monthlyFen) })),
        detail: { month, amountFen: String(wage.monthlyFen) },
      });
      return { acted: r.allowances.some((a) => a.month === month) };
    },

    /**
     * Proposes the requested registration in persons, acting for the officer who requested it, under
     * the attempt's origin: a repeat (a retry, a crash between the call and the record) finds the
     * same change request. Records PROPOSED with its id, DUPLICATE_PERSON, or REFUSED with persons'
     * reason. Idempotent.
     */
    async proposeRegistration(caseId: string): Promise<{ status: string }> {
      if (!d.transfer) throw new Error('registry transfers need the PII vault and the persons client');
      const { pii, persons } = d.transfer;
      const c = await store.mustCase(d.pool, caseId);
      const t = c.registry_transfer;
      if (t?.status !== 'REQUESTED') return { status: t?.status ?? 'NONE' };
      let outcome: Pick<store.RegistryTransferValue, 'status' | 'changeId' | 'message'>;
      try {
        const { change } = await persons.proposeRegistration({ person: registrationOf(c, pii), origin: t.origin }, undefined, { actor: { subject: t.requestedBy, role: 'clerk' } });
        outcome = { status: 'PROPOSED', changeId: change!.changeId, message: '' };
      } catch (err) {
        if (!(err instanceof AppError) || isTransient(err)) throw err;
        outcome = err.reason === 'DUPLICATE_PERSON' ? { status: 'DUPLICATE_PERSON', changeId: null, message: err.message } : { status: 'REFUSED', changeId: null, message: `${err.reason}: ${err.message}` };
      }
      const r = await store.step(d.pool, caseId, {
        name: `REGISTRY_${outcome.status}`,
        from: STATUSES,
        actor: { subject: t.requestedBy, role: 'clerk', via: 'resettlement' },
        at: new Date(),
        change: (x) => (x.registry_transfer?.status === 'REQUESTED' && x.registry_transfer.attempt === t.attempt ? { registry_transfer: { ...x.registry_transfer, ...outcome } } : null),
        detail: { origin: t.origin, ...outcome },
      });
      return { status: r.registry_transfer?.status ?? 'NONE' };
    },

    /**
     * A deadline the workflow's timer reached: an unreported case without a justified reason lapses
     * (CaseLapsed); a missed placement or onboarding is flagged (DeadlineMissed). Nothing happens
     * when the case has moved on meanwhile. Idempotent.
     */
    async missDeadline(caseId: string, deadline: Deadline, dueOn: CivilDate): Promise<{ acted: boolean }> {
      const lapse = deadline === 'REPORTING';
      const r = await store.step(d.pool, caseId, {
        name: lapse ? 'LAPSE' : `MISSED_${deadline}`,
        from: STATUSES,
        actor: store.SYSTEM,
        at: new Date(after(dueOn)),
        change: (x) => (!waitsOn(x, deadline, dueOn) ? null : lapse ? { status: 'LAPSED' } : { missed: [...x.missed, deadline] }),
        event: (x) =>
          lapse
            ? stepEvent(ev.caseLapsed, () => ({ step: stepOf(x, store.SYSTEM), reportBy: toProtoDate(x.report_by) }))
            : stepEvent(ev.deadlineMissed, () => ({ step: stepOf(x, store.SYSTEM), deadline: enums.deadline.toNumber(deadline), dueOn: toProtoDate(dueOn) })),
        detail: { dueOn },
      });
      return { acted: lapse ? r.status === 'LAPSED' : r.missed.includes(deadline) };
    },
  };
}
