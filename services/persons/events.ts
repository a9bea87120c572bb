import { personsEvents } from '../lib/contracts';

/** Events of youfu.persons.v1 (declared once in lib/contracts.ts): pseudonymous person id and masked ID number only. */
export const PERSONS_TOPIC = personsEvents.topic;
export const { personRegistered, personChanged, personStatusChanged, benefitChanged } = personsEvents;
