/**
 * Settlement: the designated hospitals (proposals to designate, activate or suspend one, decided by
 * an approver; a hospital's credentials, registered by an approver and revoked), and a hospital's
 * monthly statement (totals per fund, its entries) approved for payment after a confirmation.
 */
import { App, Button, Card, Descriptions, Form, Input, Select, Space, Tag } from 'antd';
import { useCallback, useEffect, useState } from 'react';
import { shanghaiTime, yearMonth, yuan } from '../api';
import { ActionButton, DecideButtons } from '../action';
import { ErrorAlert, showOnFields } from '../errors';
import { enumOptions, useWords } from '../i18n';
import { Pager, usePages } from '../paging';
import { useSession } from '../session';
import { ListTable } from '../table';

type Money = { fen: string };
interface Proposal {
  proposalId: string;
  kind: string;
  subject: string;
  status: string;
  version: string;
  proposedBy: string;
  proposedAt?: string;
  note: string;
  decidedBy: string;
  decisionNote: string;
  payloadJson: string;
}
interface Credential {
  credentialId: string;
  kind: string;
  value: string;
  expiresAt?: string;
  revokedAt?: string;
  registeredBy: string;
}
interface Hospital {
  hospitalCode: string;
  name: string;
  status: string;
  credentials?: Credential[];
}
interface FundTotal {
  fundCode: string;
  count: string;
  amount?: Money;
}
interface Statement {
  hospitalCode: string;
  period: string;
  status: string;
  settled?: FundTotal[];
  reversed?: FundTotal[];
  netAmount?: Money;
  preparedAt?: string;
  closedAt?: string;
  closedBy: string;
}
interface Entry {
  settlementId: string;
  billNo: string;
  kind: string;
  fundCode: string;
  amount?: Money;
  at?: string;
}

export function SettlementPage() {
  return (
    <Space direction="vertical" size="large" style={{ width: '100%' }}>
      <StatementCard />
      <HospitalCard />
      <Proposals />
    </Space>
  );
}

/** A hospital's statement of a month; an approver approves a PREPARED one (the bureau then pays its net amount). */
function StatementCard() {
  const { t } = useWords();
  const { api, can } = useSession();
  const { modal } = App.useApp();
  const [query, setQuery] = useState<{ hospitalCode: string; period: string }>();
  const [statement, setStatement] = useState<Statement>();
  const [entries, setEntries] = useState<Entry[]>([]);
  const pages = usePages();
  const { token, setNext } = pages;
  const [error, setError] = useState<unknown>();
  const load = useCallback(async () => {
    if (!query) return;
    const r = await api<{ statement: Statement; entries?: Entry[]; page?: { nextPageToken: string } }>('settlement', 'GetStatement', { hospitalCode: query.hospitalCode, period: yearMonth.fromString(query.period), page: { pageSize: 50, pageToken: token } });
    setStatement(r.statement);
    setEntries(r.entries ?? []);
    setNext(r.page?.nextPageToken ?? '');
    setError(undefined);
  }, [api, query, token, setNext]);
  useEffect(() => void load().catch(setError), [load]);
  const approve = () =>
    modal.confirm({
      title: t('approve'),
      content: <span data-testid="statement-confirm">{`${t('confirmApproveStatement')} ${statement!.hospitalCode} ${statement!.period}: ¥${yuan(statement!.netAmount)}`}</span>,
      onOk: () =>
        api('settlement', 'ApproveStatement', { hospitalCode: statement!.hospitalCode, period: yearMonth.fromString(statement!.period), note: '' }).then(
          () => load(),
          (err: unknown) => setError(err),
        ),
    });
  const funds = (rows?: FundTotal[]) => (rows ?? []).map((f) => `${f.fundCode}: ${f.count} / ¥${yuan(f.amount)}`).join('；');
  return (
    <Card title={t('statements')}>
      <Form
        name="statement"
        layout="inline"
        onFinish={(v: { hospitalCode: string; period: string }) => {
          pages.reset();
          setQuery(v);
        }}
        style={{ marginBottom: 16 }}
      >
        <Form.Item label={t('hospitalCode')} name="hospitalCode" rules={[{ required: true, message: t('required') }]}>
          <Input style={{ width: 160 }} />
        </Form.Item>
        <Form.Item label={t('period')} name="period" rules={[{ required: true, pattern: /^\d{4}-\d{2}$/, message: 'YYYY-MM' }]}>
          <Input placeholder="YYYY-MM" style={{ width: 110 }} />
        </Form.Item>
        <Button htmlType="submit">{t('search')}</Button>
      </Form>
      <ErrorAlert error={error} />
      {statement && (
        <>
          <Descriptions bordered size="small" column={3} data-testid="statement">
            <Descriptions.Item label={t('status')}>
              <Tag data-testid="statement-status">{t(`statement.${statement.status}` as 'statement.STATEMENT_STATUS_OPEN')}</Tag>
            </Descriptions.Item>
            <Descriptions.Item label={t('netAmount')}>
              <span data-testid="statement-net">{yuan(statement.netAmount)}</span>
            </Descriptions.Item>
            <Descriptions.Item label={t('decidedBy')}>{`${statement.closedBy ?? ''} ${shanghaiTime(statement.closedAt)}`}</Descriptions.Item>
            <Descriptions.Item label={t('settledFunds')} span={3}>
              {funds(statement.settled)}
            </Descriptions.Item>
            <Descriptions.Item label={t('reversedFunds')} span={3}>
              {funds(statement.reversed)}
            </Descriptions.Item>
          </Descriptions>
          {can('approver') && statement.status === 'STATEMENT_STATUS_PREPARED' && (
            <Button type="primary" style={{ marginTop: 16 }} onClick={approve}>
              {t('approve')}
            </Button>
          )}
          <ListTable<Entry>
            style={{ marginTop: 16 }}
            data-testid="statement-entries"
            rowKey={(x) => `${x.settlementId}${x.kind}${x.fundCode}`}
            dataSource={entries}
            columns={[
              { title: t('billNo'), dataIndex: 'billNo' },
              { title: t('kind'), dataIndex: 'kind' },
              { title: t('fund'), dataIndex: 'fundCode' },
              { title: t('amount'), render: (_: unknown, x) => yuan(x.amount) },
              { title: t('at'), dataIndex: 'at', render: (x: string) => shanghaiTime(x) },
            ]}
          />
          <Pager pages={pages} />
        </>
      )}
    </Card>
  );
}

const HOSPITAL_STATUSES = ['HOSPITAL_STATUS_ACTIVE', 'HOSPITAL_STATUS_SUSPENDED'];

/** A hospital: its designation and credentials; a clerk proposes to designate, activate or suspend it. */
function HospitalCard() {
  const { t, e } = useWords();
  const { api, can } = useSession();
  const { message } = App.useApp();
  const [code, setCode] = useState('');
  const [hospital, setHospital] = useState<Hospital>();
  const [error, setError] = useState<unknown>();
  const [propose] = Form.useForm();
  const [credential] = Form.useForm();
  const load = useCallback(
    (c: string) =>
      api<{ hospital: Hospital }>('settlement', 'GetHospital', { hospitalCode: c }).then(
        (r) => {
          setHospital(r.hospital);
          setError(undefined);
        },
        (err: unknown) => {
          setHospital(undefined);
          setError(err);
        },
      ),
    [api],
  );
  const proposeHospital = async (v: { hospitalCode: string; name: string; status: string; note: string }) => {
    try {
      await api('settlement', 'ProposeHospital', v);
      void message.success(t('proposed'));
      propose.resetFields();
    } catch (err) {
      setError(showOnFields(propose, err, (p) => ['hospitalCode', 'name', 'status', 'note'].includes(String(p[0]))));
    }
  };
  const register = async (v: { kind: 'tokenId' | 'certificateSha256'; value: string; expiresAt: string; note: string }) => {
    try {
      // The end of the day given, in Asia/Shanghai.
      await api('settlement', 'RegisterCredential', { hospitalCode: code, [v.kind]: v.value, expiresAt: `${v.expiresAt}T23:59:59+08:00`, note: v.note });
      credential.resetFields();
      await load(code);
    } catch (err) {
      setError(showOnFields(credential, err, (p) => ['note', 'expiresAt'].includes(String(p[0]))));
    }
  };
  const revoke = (id: string) =>
    api('settlement', 'RevokeCredential', { credentialId: id, note: 'revoked in the console' }).then(
      () => load(code),
      (err: unknown) => setError(err),
    );
  return (
    <Card title={t('hospitals')}>
      <Space style={{ marginBottom: 16 }}>
        <Input aria-label={t('hospitalCode')} placeholder={t('hospitalCode')} value={code} onChange={(ev) => setCode(ev.target.value)} onPressEnter={() => void load(code)} style={{ width: 200 }} />
        <Button onClick={() => void load(code)}>{t('search')}</Button>
      </Space>
      <ErrorAlert error={error} />
      {hospital && (
        <>
          <Descriptions bordered size="small" column={3} data-testid="hospital">
            <Descriptions.Item label={t('hospitalCode')}>{hospital.hospitalCode}</Descriptions.Item>
            <Descriptions.Item label={t('hospitalName')}>{hospital.name}</Descriptions.Item>
            <Descriptions.Item label={t('status')}>{e(hospital.status)}</Descriptions.Item>
          </Descriptions>
          <ListTable<Credential>
            style={{ marginTop: 16 }}
            data-testid="credentials"
            rowKey="credentialId"
            dataSource={hospital.credentials ?? []}
            columns={[
              { title: t('kind'), dataIndex: 'kind' },
              { title: t('credential'), dataIndex: 'value' },
              { title: t('expiresAt'), dataIndex: 'expiresAt', render: (x: string) => shanghaiTime(x) },
              { title: t('revokedAt'), dataIndex: 'revokedAt', render: (x: string) => shanghaiTime(x) },
              { title: t('createdBy'), dataIndex: 'registeredBy' },
              { title: '', render: (_: unknown, c) => (can('clerk', 'approver') && !c.revokedAt ? <Button size="small" danger onClick={() => void revoke(c.credentialId)}>{t('revoke')}</Button> : null) },
            ]}
          />
          {can('approver') && (
            <Form form={credential} name="credential" layout="inline" onFinish={register} style={{ marginTop: 16 }} initialValues={{ kind: 'tokenId' }}>
              <Form.Item name="kind">
                <Select aria-label={t('kind')} style={{ width: 160 }} options={[{ value: 'tokenId', label: 'token jti' }, { value: 'certificateSha256', label: 'certificate SHA-256' }]} />
              </Form.Item>
              <Form.Item label={t('credential')} name="value" rules={[{ required: true, message: t('required') }]}>
                <Input style={{ width: 260 }} />
              </Form.Item>
              <Form.Item label={t('expiresAt')} name="expiresAt" rules={[{ required: true, pattern: /^\d{4}-\d{2}-\d{2}$/, message: 'YYYY-MM-DD' }]}>
                <Input placeholder="YYYY-MM-DD" style={{ width: 120 }} />
              </Form.Item>
              <Form.Item label={t('note')} name="note" rules={[{ required: true, message: t('required') }]}>
                <Input style={{ width: 200 }} />
              </Form.Item>
              <Button htmlType="submit">{t('registerCredential')}</Button>
            </Form>
          )}
        </>
      )}
      {can('clerk') && (
        <Form form={propose} name="proposeHospital" layout="inline" onFinish={proposeHospital} style={{ marginTop: 24 }} data-testid="propose-hospital">
          <Form.Item label={t('hospitalCode')} name="hospitalCode" rules={[{ required: true, message: t('required') }]}>
            <Input style={{ width: 140 }} />
          </Form.Item>
          <Form.Item label={t('hospitalName')} name="name" rules={[{ required: true, message: t('required') }]}>
            <Input style={{ width: 220 }} />
          </Form.Item>
          <Form.Item label={t('status')} name="status" rules={[{ required: true, message: t('required') }]}>
            <Select style={{ width: 120 }} options={HOSPITAL_STATUSES.map((s) => ({ value: s, label: e(s) }))} />
          </Form.Item>
          <Form.Item label={t('note')} name="note" rules={[{ required: true, message: t('required') }]}>
            <Input style={{ width: 220 }} />
          </Form.Item>
          <Button htmlType="submit">{t('proposeHospital')}</Button>
        </Form>
      )}
    </Card>
  );
}

/** Pending designations and settings; an approver other than the proposer decides them. A clerk proposes a rule set here. */
function Proposals() {
  const { t, e } = useWords();
  const { api, can, session } = useSession();
  const { message } = App.useApp();
  const [proposals, setProposals] = useState<Proposal[]>([]);
  const [error, setError] = useState<unknown>();
  const load = useCallback(() => api<{ proposals?: Proposal[] }>('settlement', 'ListProposals', { status: 'PENDING', page: { pageSize: 100 } }).then((r) => setProposals(r.proposals ?? []), setError), [api]);
  useEffect(() => void load(), [load]);
  const decide = (p: Proposal, approve: boolean) =>
    api('settlement', 'DecideProposal', { proposalId: p.proposalId, approve, note: '', expectedVersion: p.version }).then(
      () => load(),
      (err: unknown) => setError(err),
    );
  const payload = (json: string) => {
    try {
      return Object.entries(JSON.parse(json) as Record<string, unknown>)
        .map(([k, v]) => `${k}: ${typeof v === 'string' ? e(v) : JSON.stringify(v)}`)
        .join('；');
    } catch {
      return json;
    }
  };
  return (
    <Card
      title={t('settlementProposals')}
      extra={
        can('clerk') && (
          <ActionButton
            label={t('proposeRuleSet')}
            fields={[
              { name: 'category', label: t('category'), type: 'select', options: enumOptions('CATEGORY_', e) },
              { name: 'disabilityGrade', label: t('disabilityGrade'), type: 'number', optional: true },
              { name: 'visitType', label: t('visitType'), type: 'select', options: enumOptions('VISIT_TYPE_', e) },
              { name: 'effectiveFrom', label: t('effectiveDate'), type: 'date' },
              { name: 'fundCode', label: t('fund'), type: 'select', options: ['350100', '610200'].map((f) => ({ value: f, label: f })) },
              { name: 'ratioBp', label: t('ratioPercent'), type: 'percent' },
              { name: 'annualCap', label: t('annualCap'), type: 'yuan', optional: true },
              { name: 'note', label: t('note'), type: 'text' },
            ]}
            run={async (body) => {
              await api('settlement', 'ProposeRuleSet', body);
              void message.success(t('proposed'));
              await load();
            }}
          />
        )
      }
    >
      <ErrorAlert error={error} />
      <ListTable<Proposal>
        data-testid="settlement-proposals"
        rowKey="proposalId"
        dataSource={proposals}
        columns={[
          { title: t('kind'), dataIndex: 'kind' },
          { title: t('summary'), dataIndex: 'subject' },
          { title: t('change'), dataIndex: 'payloadJson', render: (j: string) => payload(j) },
          { title: t('note'), dataIndex: 'note' },
          { title: t('proposedBy'), render: (_: unknown, p) => `${p.proposedBy} ${shanghaiTime(p.proposedAt)}` },
          {
            title: '',
            render: (_: unknown, p) =>
              can('approver') && p.proposedBy !== session?.subject ? <DecideButtons decide={(approve) => decide(p, approve)} /> : null,
          },
        ]}
      />
    </Card>
  );
}
