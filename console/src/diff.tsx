/** A change as before / after: the audit trail's masked snapshots of the person, the fields that differ. */
import { Table } from 'antd';
import { useWords } from './i18n';

/** `{ payee: { account: '…' }, identities: [{ grade: 5 }] }` → `payee.account`, `identities[0].grade`. */
export function flatten(value: unknown, prefix = '', out = new Map<string, string>()): Map<string, string> {
  if (Array.isArray(value)) value.forEach((v, i) => flatten(v, `${prefix}[${i}]`, out));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  else out.set(prefix, value === null || value === undefined ? '' : String(value));
  return out;
}

/** The paths whose values differ (added and removed ones too), in the after's order, then the removed. */
export function changedFields(before: unknown, after: unknown) {
  const b = flatten(before);
  const a = flatten(after);
  const paths = [...new Set([...a.keys(), ...b.keys()])];
  return paths.filter((p) => (b.get(p) ?? '') !== (a.get(p) ?? '')).map((p) => ({ path: p, before: b.get(p) ?? '', after: a.get(p) ?? '' }));
}

const parse = (json: string): unknown => (json ? JSON.parse(json) : {});

export function BeforeAfter({ before, after, testId }: { before: string; after: string; testId?: string }) {
  const { t } = useWords();
  return (
    <Table
      data-testid={testId}
      size="small"
      pagination={false}
      rowKey="path"
      dataSource={changedFields(parse(before), parse(after)).filter((r) => r.path !== 'version')}
      locale={{ emptyText: t('noItems') }}
      columns={[
        { title: t('field'), dataIndex: 'path' },
        { title: t('before'), dataIndex: 'before' },
        { title: t('after'), dataIndex: 'after' },
      ]}
    />
  );
}
