import { describe, expect, it } from 'vitest';
import { applyBasisPoints, divRoundHalfUp, formatYuan, parseYuan, roundToUnit } from './money';

describe('money rounding', () => {
  it('divides rounding half up', () => {
    expect(divRoundHalfUp(11_627_000n, 12n)).toBe(968_917n); // 116,270 yuan a year → 9,689.17 a month
    expect(divRoundHalfUp(5n, 2n)).toBe(3n);
    expect(divRoundHalfUp(4n, 3n)).toBe(1n);
    expect(divRoundHalfUp(-5n, 2n)).toBe(-3n);
    expect(() => divRoundHalfUp(1n, 0n)).toThrow();
  });
  it('applies basis points and rounds to a unit', () => {
    expect(applyBasisPoints(10_000n, 5000)).toBe(5000n);
    expect(applyBasisPoints(333n, 5000)).toBe(167n);
    expect(roundToUnit(12_324_620n, 1000n)).toBe(12_325_000n); // 123,246.20 yuan → 123,250
    expect(roundToUnit(12_324_499n, 1000n)).toBe(12_324_000n);
  });
  it('formats yuan for display', () => {
    expect(formatYuan(968_917n)).toBe('9689.17');
    expect(formatYuan(-5n)).toBe('-0.05');
  });
  it('parses yuan with at most two decimals exactly', () => {
    expect(parseYuan('3200')).toBe(320_000n);
    expect(parseYuan('3200.5')).toBe(320_050n);
    expect(parseYuan('0.07')).toBe(7n);
    expect(parseYuan('-12.34')).toBe(-1234n);
    expect(parseYuan('999999999999999.99')).toBe(99_999_999_999_999_999n); // beyond 2^53: still exact
    for (const bad of ['3200.005', '1e3', '', '.5', '5.', '+5', ' 5', '5,000.00', '0x10', 'NaN']) expect(parseYuan(bad), bad).toBeUndefined();
  });
});
