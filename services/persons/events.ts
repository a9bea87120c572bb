import { BenefitChanged, PersonChanged, PersonRegistered, PersonStatusChanged } from '../../protos/gen/youfu/persons/v1/events';
import { eventType } from '../lib/kafka';

/** Events of youfu.persons.v1: pseudonymous person id and masked ID number only. */
export const PERSONS_TOPIC = 'youfu.persons.v1';
export const STANDARDS_TOPIC = 'youfu.standards.v1';

export const personRegistered = eventType('youfu.persons.v1.PersonRegistered', PersonRegistered);
export const personChanged = eventType('youfu.persons.v1.PersonChanged', PersonChanged);
export const personStatusChanged = eventType('youfu.persons.v1.PersonStatusChanged', PersonStatusChanged);
export const benefitChanged = eventType('youfu.persons.v1.BenefitChanged', BenefitChanged);
