import { describe, expect, it } from 'vitest';
import { cellText, dateText, enumOf, parseTable, templateHeader } from './imports';
import { fieldOf } from './registration';

describe('a legacy registry file as import records', () => {
  it('maps the columns by their Chinese or English words, words to enum names, dates to civil dates, and numbers rows as the file does', () => {
    const header = ['身份证号', 'Name', '性别', '出生日期', '区县代码', '户籍性质', '批准日期', '开户行', '账号', '户名', '优抚身份', '残疾等级', '致残原因', '身份生效日期', '已发放至', '备用'];
    const row = ['440106199001011234', '张三', '男', '1990/1/1', '440106', '农村', '20210901', '工商银行', '6222', '张三', '残疾军人', '5', '因战', '2020-05-01', '2021-12', 'x'];
    const f = parseTable([header, row, [], ['440106199001011235', '', 'female', 'yesterday', '', '?', '', '', '', '', 'MARTYR_SURVIVOR', 'five', '', '', 'soon', '']]);
    expect(f.unknownColumns).toEqual(['备用']);
    expect(f.records[0]).toEqual({
      row: 2,
      paidThrough: { year: 2021, month: 12 },
      person: {
        nationalId: '440106199001011234',
        name: '张三',
        gender: 'GENDER_MALE',
        birthDate: { year: 1990, month: 1, day: 1 },
        districtCode: '440106',
        residence: 'RESIDENCE_RURAL',
        approvalDate: { year: 2021, month: 9, day: 1 },
        payee: { bank: '工商银行', accountNumber: '6222', accountName: '张三' },
        identities: [{ attributes: { category: 'CATEGORY_DISABLED_SERVICEMAN', disabilityGrade: 5, cause: 'DISABILITY_CAUSE_WAR' }, effectiveFrom: { year: 2020, month: 5, day: 1 } }],
      },
    });
    // The blank line is skipped; the row after it is row 4. What cannot be read is left for the API to refuse by its field.
    const r = f.records[1]!;
    expect(r.row).toBe(4);
    expect(r.paidThrough).toBeUndefined();
    expect(r.person).toMatchObject({ name: '', gender: 'GENDER_FEMALE', birthDate: undefined, residence: 'RESIDENCE_UNSPECIFIED', identities: [{ attributes: { category: 'CATEGORY_MARTYR_SURVIVOR', disabilityGrade: 0 } }] });
    expect(f.rows).toHaveLength(2);
  });

  it('reads dates, enums and XLSX cells', () => {
    expect(dateText('2021.9.1')).toBe('2021-09-01');
    expect(dateText('2021-13-45')).toBe('2021-13-45');
    expect(enumOf('RESIDENCE_', 'urban')).toBe('RESIDENCE_URBAN');
    expect(enumOf('CATEGORY_', '烈士遗属')).toBe('CATEGORY_MARTYR_SURVIVOR');
    expect(enumOf('GENDER_', '城镇')).toBe('GENDER_UNSPECIFIED');
    expect(cellText(new Date(Date.UTC(2021, 8, 1)))).toBe('2021-09-01');
    expect(cellText({ richText: [{ text: '张' }, { text: '三' }] })).toBe('张三');
    expect(cellText({ formula: 'A1', result: 5 })).toBe('5');
    expect(cellText(null)).toBe('');
    expect(templateHeader()).toContain('已发放至');
    expect(fieldOf('person.identities[0].attributes.disabilityGrade')?.word).toBe('disabilityGrade');
    expect(fieldOf('person.payee.accountNumber')?.word).toBe('accountNumber');
    expect(fieldOf('row')).toBeUndefined();
  });
});
