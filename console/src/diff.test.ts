import { describe, expect, it } from 'vitest';
import { changedFields, flatten } from './diff';

describe('a change as before / after', () => {
  it('flattens nested objects and arrays to paths', () => {
    expect([...flatten({ payee: { bank: 'A', account: '6222****0001' }, identities: [{ grade: 5, cause: null }] })]).toEqual([
      ['payee.bank', 'A'],
      ['payee.account', '6222****0001'],
      ['identities[0].grade', '5'],
      ['identities[0].cause', ''],
    ]);
  });

  it('lists the fields that differ, added and removed ones too, and a registration (nothing before) as every field it sets', () => {
    const before = { status: 'ACTIVE', payee: { account: '6222****0001' }, identities: [{ grade: 5 }, { grade: 7 }] };
    const after = { status: 'ACTIVE', payee: { account: '6217****0002' }, identities: [{ grade: 4 }], statusReason: 'x' };
    expect(changedFields(before, after)).toEqual([
      { path: 'payee.account', before: '6222****0001', after: '6217****0002' },
      { path: 'identities[0].grade', before: '5', after: '4' },
      { path: 'statusReason', before: '', after: 'x' },
      { path: 'identities[1].grade', before: '7', after: '' },
    ]);
    expect(changedFields({}, { status: 'ACTIVE' })).toEqual([{ path: 'status', before: '', after: 'ACTIVE' }]);
  });
});
