/** Business keys of adjustment runs (workflows/README.md): pure, shared by the service and its workflow. */

/** `adjustment:{year}:national` or `adjustment:{year}:{region code}`. */
export const runIdOf = (year: number, level: 'NATIONAL' | 'LOCAL', regionCode: string) => `adjustment:${year}:${level === 'NATIONAL' ? 'national' : regionCode}`;

/** The simulation child of a run's attempt. */
export const simulationWorkflowId = (runId: string, attemptId: string) => `${runId}:simulation:${attemptId}`;

/** The apply child of a run's attempt. */
export const applyWorkflowId = (runId: string, attemptId: string) => `${runId}:apply:${attemptId}`;

/** A January roll-over: `adjustment:{year}:rollover:{city code}`. */
export const rolloverRunIdOf = (year: number, cityCode: string) => `adjustment:${year}:rollover:${cityCode}`;

/** The key a roll-over applies under in persons (its lines' source, its markers): the wage it uses. */
export const rolloverKeyOf = (year: number, cityCode: string) => `index:AVERAGE_MONTHLY_WAGE:${cityCode}:${year - 1}`;
