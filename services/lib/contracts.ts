/**
 * The event contracts of every topic, declared once: the topic name and the CloudEvents type of each
 * payload (its protobuf full name). Publishers enqueue with them; consumers import the same
 * declarations instead of naming topics and types again.
 */
import { AdjustmentApprovalOverdue, AdjustmentCompleted, AdjustmentDue } from '../../protos/gen/youfu/adjustment/v1/events';
import { BenefitChanged, PersonChanged, PersonRegistered, PersonStatusChanged } from '../../protos/gen/youfu/persons/v1/events';
import { SettlementReversed, SettlementSettled, StatementClosed } from '../../protos/gen/youfu/settlement/v1/events';
import { CaseClosed, CaseLapsed, CaseReceived, CaseReinstated, CaseReported, DeadlineMissed, JobOffered, Onboarded, PlacementChosen, RegistryTransferRequested, SubsidyGranted, SupportRecorded, WaitingAllowanceRecorded } from '../../protos/gen/youfu/resettlement/v1/events';
import { IndexValuePublished, VersionPublished } from '../../protos/gen/youfu/standards/v1/events';
import { eventType } from './kafka';

/** `youfu.standards.v1`: published standards versions (aggregate: the version id). */
export const standardsEvents = {
  topic: 'youfu.standards.v1',
  versionPublished: eventType('youfu.standards.v1.VersionPublished', VersionPublished),
  /** Aggregate `<kind>:<city>:<year>`. */
  indexValuePublished: eventType('youfu.standards.v1.IndexValuePublished', IndexValuePublished),
} as const;

/** `youfu.persons.v1`: the registry (aggregate: the pseudonymous person id; masked ID numbers only). */
export const personsEvents = {
  topic: 'youfu.persons.v1',
  personRegistered: eventType('youfu.persons.v1.PersonRegistered', PersonRegistered),
  personChanged: eventType('youfu.persons.v1.PersonChanged', PersonChanged),
  personStatusChanged: eventType('youfu.persons.v1.PersonStatusChanged', PersonStatusChanged),
  benefitChanged: eventType('youfu.persons.v1.BenefitChanged', BenefitChanged),
} as const;

/** `youfu.settlement.v1`: medical settlements (aggregate: the settlement id; masked ID numbers only). */
export const settlementEvents = {
  topic: 'youfu.settlement.v1',
  settlementSettled: eventType('youfu.settlement.v1.SettlementSettled', SettlementSettled),
  settlementReversed: eventType('youfu.settlement.v1.SettlementReversed', SettlementReversed),
  statementClosed: eventType('youfu.settlement.v1.StatementClosed', StatementClosed),
} as const;

/** `youfu.adjustment.v1`: the annual adjustment (aggregate `due:{year}` for AdjustmentDue, the run id for AdjustmentCompleted). */
export const adjustmentEvents = {
  topic: 'youfu.adjustment.v1',
  adjustmentDue: eventType('youfu.adjustment.v1.AdjustmentDue', AdjustmentDue),
  adjustmentCompleted: eventType('youfu.adjustment.v1.AdjustmentCompleted', AdjustmentCompleted),
  adjustmentApprovalOverdue: eventType('youfu.adjustment.v1.AdjustmentApprovalOverdue', AdjustmentApprovalOverdue),
} as const;

/** `youfu.resettlement.v1`: resettlement cases (aggregate: the case id; masked ID numbers only). */
export const resettlementEvents = {
  topic: 'youfu.resettlement.v1',
  caseReceived: eventType('youfu.resettlement.v1.CaseReceived', CaseReceived),
  caseReported: eventType('youfu.resettlement.v1.CaseReported', CaseReported),
  caseLapsed: eventType('youfu.resettlement.v1.CaseLapsed', CaseLapsed),
  caseReinstated: eventType('youfu.resettlement.v1.CaseReinstated', CaseReinstated),
  placementChosen: eventType('youfu.resettlement.v1.PlacementChosen', PlacementChosen),
  subsidyGranted: eventType('youfu.resettlement.v1.SubsidyGranted', SubsidyGranted),
  jobOffered: eventType('youfu.resettlement.v1.JobOffered', JobOffered),
  onboarded: eventType('youfu.resettlement.v1.Onboarded', Onboarded),
  deadlineMissed: eventType('youfu.resettlement.v1.DeadlineMissed', DeadlineMissed),
  registryTransferRequested: eventType('youfu.resettlement.v1.RegistryTransferRequested', RegistryTransferRequested),
  supportRecorded: eventType('youfu.resettlement.v1.SupportRecorded', SupportRecorded),
  waitingAllowanceRecorded: eventType('youfu.resettlement.v1.WaitingAllowanceRecorded', WaitingAllowanceRecorded),
  caseClosed: eventType('youfu.resettlement.v1.CaseClosed', CaseClosed),
} as const;

/** Every topic's contract (the AsyncAPI document is generated from this list and protos/). */
export const ALL_EVENTS = [standardsEvents, personsEvents, settlementEvents, adjustmentEvents, resettlementEvents] as const;
