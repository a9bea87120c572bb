import { describe, expect, it } from 'vitest';
import { addMonths, isValidDate, monthOf, monthsBetween, shanghaiDate } from './civil';

describe('civil dates', () => {
  it('validates real calendar dates only', () => {
    expect(isValidDate('2024-02-29')).toBe(true);
    expect(isValidDate('2023-02-29')).toBe(false);
    expect(isValidDate('2023-13-01')).toBe(false);
    expect(isValidDate('2023-1-01')).toBe(false);
  });
  it('does month arithmetic across years', () => {
    expect(addMonths('2022-08', 5)).toBe('2023-01');
    expect(addMonths('2022-01', -1)).toBe('2021-12');
    expect(monthsBetween('2022-08', '2022-12')).toBe(4);
    expect(monthsBetween('2022-12', '2022-08')).toBe(0);
    expect(monthOf('2022-08-31')).toBe('2022-08');
  });
  it('reads today in Asia/Shanghai, not UTC', () => {
    expect(shanghaiDate(new Date('2022-07-31T16:30:00Z'))).toBe('2022-08-01');
    expect(shanghaiDate(new Date('2022-07-31T15:59:59Z'))).toBe('2022-07-31');
  });
});
