import type { CivilDate } from '../../lib/civil';
import type { IdentitySpan, Status, StatusEvent } from './types';

/**
 * Status on a day: the last status change dated on or before it. A death takes effect the day
 * after (the person is still entitled on the day of death). Null before the approval date.
 */
export function statusOn(events: readonly StatusEvent[], date: CivilDate): Status | null {
  let st: Status | null = null;
  for (const e of events) if (e.status === 'DECEASED' ? e.date < date : e.date <= date) st = e.status;
  return st;
}

export const identitiesOn = (identities: readonly IdentitySpan[], date: CivilDate) =>
  identities.filter((i) => i.from <= date && (i.to === null || i.to >= date));

/** Whether a registered person is entitled on a day, and why not. */
export function eligibility(events: readonly StatusEvent[], identities: readonly IdentitySpan[], date: CivilDate): { entitled: boolean; reason: string; status: Status | null; held: IdentitySpan[] } {
  const status = statusOn(events, date);
  const held = identitiesOn(identities, date);
  if (status === null) return { entitled: false, reason: 'NOT_YET_APPROVED', status, held };
  if (status !== 'ACTIVE') return { entitled: false, reason: status, status, held };
  if (!held.length) return { entitled: false, reason: 'NO_IDENTITY', status, held };
  return { entitled: true, reason: '', status, held };
}
