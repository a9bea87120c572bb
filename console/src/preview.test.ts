import { describe, expect, it } from 'vitest';
import { previewRows } from './preview';
import type { Row } from './pages/Standards';

// Rows as the JSON door gives them (GetVersion), 2021 national figures.
const martyr: Row = { key: { category: 'CATEGORY_MARTYR_SURVIVOR', cause: 'DISABILITY_CAUSE_UNSPECIFIED', disabilityGrade: 0, component: 'ROW_COMPONENT_PERIODIC_BENEFIT' }, annualAmount: { fen: '3386000' } };
const war1: Row = { key: { category: 'CATEGORY_DISABLED_SERVICEMAN', cause: 'DISABILITY_CAUSE_WAR', disabilityGrade: 1, component: 'ROW_COMPONENT_PERIODIC_BENEFIT' }, annualAmount: { fen: '10667000' } };
const duty1: Row = { key: { category: 'CATEGORY_DISABLED_SERVICEMAN', cause: 'DISABILITY_CAUSE_DUTY', disabilityGrade: 1, component: 'ROW_COMPONENT_PERIODIC_BENEFIT' }, annualAmount: { fen: '10330000' } };
const nursing: Row = { key: { category: 'CATEGORY_DISABLED_SERVICEMAN', cause: 'DISABILITY_CAUSE_WAR', disabilityGrade: 1, component: 'ROW_COMPONENT_NURSING_FEE' }, nursingFeeShare: { basisPoints: 5000 } };
const rows = [martyr, war1, duty1, nursing];

describe('the indexed draft preview', () => {
  it('raises and increments the amount rows a rule matches, rounded half up to the unit, and leaves share rows alone', () => {
    const out = previewRows(rows, [{ category: 'CATEGORY_MARTYR_SURVIVOR', raisePercent: '6' }, { category: 'CATEGORY_DISABLED_SERVICEMAN', cause: 'DISABILITY_CAUSE_WAR', gradeFrom: 1, gradeTo: 2, increment: '304.99' }], undefined);
    expect(out.map((r) => [r.key.category, r.key.cause, r.from, r.to])).toEqual([
      // 33,860 × 1.06 = 35,891.60 → 35,890 (10 yuan); 106,670 + 304.99 = 106,974.99 → 106,970.
      ['CATEGORY_MARTYR_SURVIVOR', 'DISABILITY_CAUSE_UNSPECIFIED', 3386000n, 3589000n],
      ['CATEGORY_DISABLED_SERVICEMAN', 'DISABILITY_CAUSE_WAR', 10667000n, 10697000n],
    ]);
  });

  it('rounds to the unit typed (1 yuan: 35,891.60 → 35,892), and skips rules not yet complete or not yuan', () => {
    expect(previewRows(rows, [{ category: 'CATEGORY_MARTYR_SURVIVOR', raisePercent: '6' }], '1').map((r) => r.to)).toEqual([3589200n]);
    expect(previewRows(rows, [{ category: 'CATEGORY_MARTYR_SURVIVOR' }, { category: '', raisePercent: '5' }, { category: 'CATEGORY_DISABLED_SERVICEMAN', increment: '1.234' }], undefined)).toEqual([]);
    expect(previewRows(rows, [{ category: 'CATEGORY_MARTYR_SURVIVOR', raisePercent: '6' }], '0')).toEqual([]);
  });
});
