/** A person's benefits (periods and back-pay lines), audit trail (each change as before / after) and the clerk's change proposals. */
import { App, Button, Card, Form, Input, Select, Space, Switch } from 'antd';
import { useEffect, useState } from 'react';
import { Link } from 'react-router-dom';
import { civil, shanghaiMonth, shanghaiTime, yearMonth, yuan } from '../api';
import { BeforeAfter } from '../diff';
import { ErrorAlert, showOnFields } from '../errors';
import { enumOptions, useWords, type Word } from '../i18n';
import { useSession } from '../session';
import { ListTable } from '../table';

type Money = { fen: string };
type Month = { year: number; month: number };
interface Period {
  periodId: string;
  benefit: string;
  fromMonth?: Month;
  toMonth?: Month;
  monthlyAmount?: Money;
  category: string;
  missing?: string[];
  recordedByChange: string;
  supersededByChange: string;
}
interface Line {
  lineId: string;
  benefit: string;
  month?: Month;
  kind: string;
  amount?: Money;
  source: string;
  settled?: Money;
  recordedAt?: string;
}
export interface AuditEntry {
  at?: string;
  changeId: string;
  action: string;
  actor: string;
  actorRole: string;
  via: string;
  proposedBy: string;
  before: string;
  after: string;
}

export function Benefits({ personId }: { personId: string }) {
  const { t, e } = useWords();
  const { api } = useSession();
  const [history, setHistory] = useState(false);
  const [data, setData] = useState<{ periods?: Period[]; adjustments?: Line[] }>({});
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    api<{ periods?: Period[]; adjustments?: Line[] }>('persons', 'GetBenefits', { personId, includeSuperseded: history }).then(setData, setError);
  }, [api, personId, history]);
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      <ErrorAlert error={error} />
      <Space>
        <Switch aria-label={t('showHistory')} checked={history} onChange={setHistory} />
        {t('showHistory')}
      </Space>
      <ListTable<Period>
        data-testid="periods"
        rowKey="periodId"
        dataSource={data.periods ?? []}
        columns={[
          { title: t('benefit'), dataIndex: 'benefit', render: (b: string) => e(b) },
          { title: t('category'), dataIndex: 'category', render: (c: string) => e(c) },
          { title: t('fromMonth'), render: (_: unknown, p) => yearMonth.toString(p.fromMonth) },
          { title: t('toMonth'), render: (_: unknown, p) => yearMonth.toString(p.toMonth) },
          { title: t('monthlyAmount'), render: (_: unknown, p) => yuan(p.monthlyAmount) },
          { title: t('missing'), render: (_: unknown, p) => (p.missing ?? []).join('、') },
          { title: t('change'), render: (_: unknown, p) => <Link to={`/changes/${p.recordedByChange}`}>{p.recordedByChange.slice(0, 8)}</Link> },
          { title: t('superseded'), render: (_: unknown, p) => (p.supersededByChange ? <Link to={`/changes/${p.supersededByChange}`}>{p.supersededByChange.slice(0, 8)}</Link> : '') },
        ]}
      />
      <ListTable<Line>
        data-testid="adjustment-lines"
        rowKey="lineId"
        dataSource={data.adjustments ?? []}
        columns={[
          { title: t('lineKind'), dataIndex: 'kind', render: (k: string) => e(k) },
          { title: t('benefit'), dataIndex: 'benefit', render: (b: string) => e(b) },
          { title: t('forMonth'), render: (_: unknown, l) => yearMonth.toString(l.month) },
          { title: t('amount'), render: (_: unknown, l) => yuan(l.amount) },
          { title: t('settled'), render: (_: unknown, l) => yuan(l.settled) },
          { title: t('source'), render: (_: unknown, l) => <Link to={`/changes/${l.source}`}>{l.source.slice(0, 8)}</Link> },
          { title: t('at'), dataIndex: 'recordedAt', render: (x: string) => shanghaiTime(x) },
        ]}
      />
    </Space>
  );
}

interface PayLine {
  benefit: string;
  kind: string;
  forMonth?: Month;
  amount?: Money;
  payee?: { bank: string; accountNumber: string };
}

/** What a month's payroll paid the person (ListPayrollLines of the month, for this person). */
export function PersonPayroll({ personId }: { personId: string }) {
  const { t, e } = useWords();
  const { api } = useSession();
  const [month, setMonth] = useState(shanghaiMonth);
  const [lines, setLines] = useState<PayLine[]>([]);
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    if (!/^\d{4}-\d{2}$/.test(month)) return;
    api<{ lines?: PayLine[] }>('persons', 'ListPayrollLines', { month: yearMonth.fromString(month), personId, page: { pageSize: 100 } }).then((r) => {
      setLines(r.lines ?? []);
      setError(undefined);
    }, setError);
  }, [api, personId, month]);
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      <Space>
        <label htmlFor="person-payroll-month">{t('month')}</label>
        <Input id="person-payroll-month" value={month} onChange={(ev) => setMonth(ev.target.value)} placeholder="YYYY-MM" style={{ width: 120 }} />
      </Space>
      <ErrorAlert error={error} />
      <ListTable<PayLine>
        data-testid="person-payroll"
        rowKey={(l) => `${l.benefit}${l.kind}${yearMonth.toString(l.forMonth)}`}
        dataSource={lines}
        columns={[
          { title: t('benefit'), dataIndex: 'benefit', render: (b: string) => e(b) },
          { title: t('lineKind'), dataIndex: 'kind', render: (k: string) => e(k) },
          { title: t('forMonth'), render: (_: unknown, l) => yearMonth.toString(l.forMonth) },
          { title: t('amount'), render: (_: unknown, l) => yuan(l.amount) },
          { title: t('bank'), render: (_: unknown, l) => l.payee?.bank ?? '' },
          { title: t('accountNumber'), render: (_: unknown, l) => l.payee?.accountNumber ?? '' },
        ]}
      />
    </Space>
  );
}

/** Applied changes, oldest first, each with what it changed (masked snapshots, so no names or full numbers). */
export function AuditTrail({ personId }: { personId: string }) {
  const { t } = useWords();
  const { api } = useSession();
  const [entries, setEntries] = useState<AuditEntry[]>([]);
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    api<{ entries?: AuditEntry[] }>('persons', 'GetAuditTrail', { personId }).then((r) => setEntries(r.entries ?? []), setError);
  }, [api, personId]);
  return (
    <>
      <ErrorAlert error={error} />
      <ListTable<AuditEntry>
        data-testid="audit-trail"
        rowKey={(x) => `${x.changeId}${x.at}`}
        dataSource={entries}
        expandable={{ expandedRowRender: (x) => <BeforeAfter before={x.before} after={x.after} />, defaultExpandAllRows: true }}
        columns={[
          { title: t('at'), dataIndex: 'at', render: (x: string) => shanghaiTime(x) },
          { title: t('action'), dataIndex: 'action' },
          { title: t('actor'), render: (_: unknown, x) => `${x.actor} (${x.actorRole})${x.via ? ` via ${x.via}` : ''}` },
          { title: t('proposedBy'), dataIndex: 'proposedBy' },
          { title: t('change'), render: (_: unknown, x) => <Link to={`/changes/${x.changeId}`}>{x.changeId.slice(0, 8)}</Link> },
        ]}
      />
    </>
  );
}

interface Identity {
  identityId: string;
  attributes: { category: string; disabilityGrade: number; cause: string };
}

/** The kinds of ProposeChange and the fields each asks (names as the API's JSON, so its refusals land on them). */
const KINDS: { kind: string; oneof: string; fields: { name: string[]; word: Word; type: 'date' | 'text' | 'identity' | 'category' | 'cause' | 'grade' | 'deathCause' }[] }[] = [
  { kind: 'CHANGE_KIND_SUSPEND', oneof: 'suspend', fields: [{ name: ['effectiveDate'], word: 'effective', type: 'date' }, { name: ['reason'], word: 'reason', type: 'text' }] },
  { kind: 'CHANGE_KIND_RESUME', oneof: 'resume', fields: [{ name: ['effectiveDate'], word: 'effective', type: 'date' }] },
  { kind: 'CHANGE_KIND_TRANSFER_OUT', oneof: 'transferOut', fields: [{ name: ['effectiveDate'], word: 'effective', type: 'date' }, { name: ['reason'], word: 'reason', type: 'text' }] },
  {
    kind: 'CHANGE_KIND_RECORD_DEATH',
    oneof: 'recordDeath',
    fields: [
      { name: ['dateOfDeath'], word: 'dateOfDeath', type: 'date' },
      { name: ['cause'], word: 'deathCause', type: 'deathCause' },
      { name: ['nextOfKin', 'bank'], word: 'bank', type: 'text' },
      { name: ['nextOfKin', 'accountNumber'], word: 'accountNumber', type: 'text' },
      { name: ['nextOfKin', 'accountName'], word: 'accountName', type: 'text' },
    ],
  },
  {
    kind: 'CHANGE_KIND_CHANGE_PAYEE',
    oneof: 'changePayee',
    fields: [
      { name: ['payee', 'bank'], word: 'bank', type: 'text' },
      { name: ['payee', 'accountNumber'], word: 'accountNumber', type: 'text' },
      { name: ['payee', 'accountName'], word: 'accountName', type: 'text' },
    ],
  },
  { kind: 'CHANGE_KIND_RECOMPUTE', oneof: 'recompute', fields: [{ name: ['effectiveDate'], word: 'effective', type: 'date' }] },
  {
    kind: 'CHANGE_KIND_ADD_IDENTITY',
    oneof: 'addIdentity',
    fields: [
      { name: ['identity', 'attributes', 'category'], word: 'identity', type: 'category' },
      { name: ['identity', 'attributes', 'disabilityGrade'], word: 'disabilityGrade', type: 'grade' },
      { name: ['identity', 'attributes', 'cause'], word: 'cause', type: 'cause' },
      { name: ['identity', 'effectiveFrom'], word: 'effective', type: 'date' },
    ],
  },
  {
    kind: 'CHANGE_KIND_CHANGE_IDENTITY',
    oneof: 'changeIdentity',
    fields: [
      { name: ['identityId'], word: 'identityToChange', type: 'identity' },
      { name: ['attributes', 'disabilityGrade'], word: 'disabilityGrade', type: 'grade' },
      { name: ['attributes', 'cause'], word: 'cause', type: 'cause' },
      { name: ['effectiveDate'], word: 'effective', type: 'date' },
    ],
  },
  {
    kind: 'CHANGE_KIND_END_IDENTITY',
    oneof: 'endIdentity',
    fields: [
      { name: ['identityId'], word: 'identityToChange', type: 'identity' },
      { name: ['effectiveDate'], word: 'effective', type: 'date' },
      { name: ['reason'], word: 'reason', type: 'text' },
    ],
  },
];

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const W = { width: 240 };

/** The change's JSON: dates typed YYYY-MM-DD become { year, month, day } (a malformed one is sent as typed, for the API to refuse by its field); grades are numbers; empty fields are left out. */
function changeOf(value: unknown): unknown {
  if (typeof value === 'string' && DATE.test(value)) return civil.fromString(value);
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== undefined && v !== '')
        .map(([k, v]) => [k, k === 'disabilityGrade' ? Number(v) : changeOf(v)]),
    );
  return value;
}

/** A clerk proposes a change of the person (the version seen goes with it: a stale one is refused). */
export function ProposeChange({ personId, version, identities, onProposed }: { personId: string; version: string; identities: Identity[]; onProposed(changeId: string): void }) {
  const { t, e } = useWords();
  const { api } = useSession();
  const { message } = App.useApp();
  const [form] = Form.useForm();
  const [kind, setKind] = useState(KINDS[0]!);
  const [error, setError] = useState<unknown>();
  const submit = async (v: Record<string, unknown>) => {
    setError(undefined);
    // ChangeIdentity keeps the identity's category: the API wants the whole attributes.
    const body = changeOf(v[kind.oneof]) as Record<string, any>;
    if (kind.oneof === 'changeIdentity') body.attributes = { ...identities.find((i) => i.identityId === body.identityId)?.attributes, ...body.attributes };
    try {
      const r = await api<{ change: { changeId: string } }>('persons', 'ProposeChange', { personId, expectedVersion: version, [kind.oneof]: body });
      void message.success(t('proposed'));
      form.resetFields();
      onProposed(r.change.changeId);
    } catch (err) {
      setError(showOnFields(form, err, (p) => p[0] === kind.oneof));
    }
  };
  const input = (type: (typeof KINDS)[number]['fields'][number]['type']) => {
    switch (type) {
      case 'date':
        return <Input placeholder="YYYY-MM-DD" maxLength={10} style={W} />;
      case 'identity':
        return <Select style={W} options={identities.map((i) => ({ value: i.identityId, label: `${e(i.attributes.category)} ${i.attributes.disabilityGrade || ''}` }))} />;
      case 'category':
        return <Select style={W} options={enumOptions('CATEGORY_', e)} />;
      case 'cause':
        return <Select style={W} allowClear options={enumOptions('DISABILITY_CAUSE_', e)} />;
      case 'deathCause':
        return <Select style={W} options={enumOptions('DEATH_CAUSE_', e)} />;
      case 'grade':
        return <Input inputMode="numeric" maxLength={2} style={W} />;
      default:
        return <Input style={W} />;
    }
  };
  return (
    <Card title={t('proposeChange')}>
      <ErrorAlert error={error} />
      <Form form={form} name="proposeChange" layout="vertical" onFinish={submit} data-testid="propose-change">
        <Form.Item label={t('changeKind')}>
          <Select
            aria-label={t('changeKind')}
            value={kind.kind}
            style={{ width: 240 }}
            onChange={(k: string) => {
              setKind(KINDS.find((x) => x.kind === k)!);
              setError(undefined);
            }}
            options={KINDS.map((k) => ({ value: k.kind, label: e(k.kind) }))}
          />
        </Form.Item>
        <Space wrap align="start">
          {kind.fields.map((f) => (
            <Form.Item key={`${kind.oneof}.${f.name.join('.')}`} label={t(f.word)} name={[kind.oneof, ...f.name]} rules={f.type === 'cause' || f.type === 'grade' ? [] : [{ required: true, message: t('required') }]}>
              {input(f.type)}
            </Form.Item>
          ))}
        </Space>
        <div>
          <Button type="primary" htmlType="submit">
            {t('submit')}
          </Button>
        </div>
      </Form>
    </Card>
  );
}
