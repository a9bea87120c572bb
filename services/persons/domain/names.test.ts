import { describe, expect, it } from 'vitest';
import { sameName } from './names';

describe('sameName', () => {
  it.each([
    ['张三', '张三', true],
    ['张三', ' 张 三 ', true],
    ['买买提·艾力', '买买提•艾力', true],
    ['买买提·艾力', '买买提.艾力', true],
    ['ＺＨＡＮＧ', 'zhang', true],
    ['张三', '张四', false],
    ['', '', false],
    ['张三', '', false],
  ])('%s vs %s → %s', (a, b, same) => expect(sameName(a, b)).toBe(same));
});
