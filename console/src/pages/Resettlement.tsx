/**
 * Veteran resettlement: the cases (filters: status, district, mode, overdue), a new case from the
 * received files, and a case's page — its timeline with deadlines, what was decided, and the
 * actions its status offers (the service decides whether each is allowed, and why not).
 */
import { Alert, Button, Card, Col, Descriptions, Form, Input, Row, Select, Space, Switch, Table, Tag, Timeline } from 'antd';
import { useCallback, useEffect, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { civil, shanghaiTime, yuan } from '../api';
import { ActionButton, DecideButtons, type ActionField } from '../action';
import { ErrorAlert, showOnFields } from '../errors';
import { enumOptions, useWords, type Word } from '../i18n';
import { Pager, usePages } from '../paging';
import { useSession } from '../session';
import { ListTable } from '../table';

type Day = { year: number; month: number; day: number };
type Money = { fen: string };
export interface Case {
  caseId: string;
  nationalIdMasked: string;
  name: string;
  serviceBranch: string;
  rankType: string;
  ncoLevel: number;
  enlistedOn?: Day;
  dischargedOn?: Day;
  dischargeApprovedOn?: Day;
  honours?: string[];
  disability?: { grade: number; cause: string };
  district: string;
  status: string;
  reportOnTimeBy?: Day;
  reportBy?: Day;
  reportedOn?: Day;
  reporting: string;
  lateReason: string;
  mode: string;
  allowedModes?: string[];
  subsidy?: { halfYears: number; perYearBase?: Money; honourBp: number; amount?: Money; centralRetirementPayment?: Money; proposedBy: string; approvedBy: string; status: string; note: string };
  jobOffer?: { employer: string; letterNumber: string; referredOn?: Day };
  onboardedOn?: Day;
  missed?: string[];
  receivedBy: string;
  receivedAt?: string;
  updatedAt?: string;
  version: string;
  closingNote: string;
  serviceMonths: number;
  reinstatement?: { reason: string; proposedBy: string; decidedBy: string; status: string; note: string };
  registryTransfer?: { attempt: number; status: string; changeId: string; message: string };
  support?: { recordId: string; kind: string; startedOn?: Day; provider: string; amount?: Money; note: string }[];
  allowances?: { month: { year: number; month: number }; amount?: Money }[];
}

const statusColor = (s: string) => (s === 'CASE_STATUS_CLOSED' ? 'green' : s === 'CASE_STATUS_LAPSED' ? 'red' : 'blue');

export function CasesPage() {
  const { t, e } = useWords();
  const { api, can } = useSession();
  const [filters, setFilters] = useState<{ status?: string; district?: string; mode?: string; overdue?: boolean }>({});
  const [cases, setCases] = useState<Case[]>([]);
  const pages = usePages();
  const { token, setNext, reset } = pages;
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    api<{ cases?: Case[]; page?: { nextPageToken: string } }>('resettlement', 'ListCases', { ...filters, page: { pageSize: 20, pageToken: token } }).then((r) => {
      setCases(r.cases ?? []);
      setNext(r.page?.nextPageToken ?? '');
    }, setError);
  }, [api, filters, token, setNext]);
  return (
    <Space direction="vertical" size="large" style={{ width: '100%' }}>
      {can('clerk') && <ReceiveCaseForm />}
      <Settings />
      <Card title={t('cases')}>
        <Form
          name="cases"
          layout="inline"
          style={{ marginBottom: 16 }}
          onFinish={(v: typeof filters) => {
            setFilters(Object.fromEntries(Object.entries(v).filter(([, x]) => x)));
            reset();
          }}
        >
          <Form.Item label={t('status')} name="status">
            <Select allowClear placeholder={t('any')} style={{ width: 140 }} options={enumOptions('CASE_STATUS_', e)} />
          </Form.Item>
          <Form.Item label={t('district')} name="district">
            <Input style={{ width: 110 }} maxLength={6} />
          </Form.Item>
          <Form.Item label={t('placementMode')} name="mode">
            <Select allowClear placeholder={t('any')} style={{ width: 160 }} options={enumOptions('PLACEMENT_MODE_', e)} />
          </Form.Item>
          <Form.Item label={t('overdue')} name="overdue" valuePropName="checked">
            <Switch />
          </Form.Item>
          <Button htmlType="submit">{t('search')}</Button>
        </Form>
        <ErrorAlert error={error} />
        <ListTable<Case>
          data-testid="cases"
          rowKey="caseId"
          dataSource={cases}
          columns={[
            { title: t('name'), dataIndex: 'name', render: (n: string, c) => <Link to={`/resettlement/${c.caseId}`}>{n}</Link> },
            { title: t('nationalId'), dataIndex: 'nationalIdMasked' },
            { title: t('district'), dataIndex: 'district' },
            { title: t('status'), dataIndex: 'status', render: (s: string) => <Tag color={statusColor(s)}>{e(s)}</Tag> },
            { title: t('placementMode'), dataIndex: 'mode', render: (m: string) => (m && !m.endsWith('UNSPECIFIED') ? e(m) : '') },
            { title: t('reportBy'), render: (_: unknown, c) => civil.toString(c.reportBy) },
            { title: t('missedDeadlines'), render: (_: unknown, c) => (c.missed ?? []).map((d) => <Tag color="red" key={d}>{e(d)}</Tag>) },
          ]}
        />
        <Pager pages={pages} />
      </Card>
    </Space>
  );
}

interface SettingProposal {
  proposalId: string;
  key: string;
  status: string;
  proposedBy: string;
  decidedBy: string;
  payloadJson: string;
  note: string;
  proposedAt?: string;
}

/** The resettlement settings (the minimum wage of the waiting allowance, the subsidy's per-year base): proposed by a clerk, decided by another person. */
function Settings() {
  const { t, e } = useWords();
  const { api, can, session } = useSession();
  const [proposals, setProposals] = useState<SettingProposal[]>([]);
  const [error, setError] = useState<unknown>();
  const load = useCallback(() => api<{ proposals?: SettingProposal[] }>('resettlement', 'ListSettingProposals', { page: { pageSize: 20 } }).then((r) => setProposals(r.proposals ?? []), setError), [api]);
  useEffect(() => void load(), [load]);
  const decide = (proposalId: string, approve: boolean) =>
    api('resettlement', 'DecideSetting', { proposalId, approve, note: '' }).then(
      () => load(),
      (err: unknown) => setError(err),
    );
  const what = (p: SettingProposal) => {
    const v = JSON.parse(p.payloadJson || '{}') as { effectiveFrom?: string; value?: { monthlyFen?: string; perYearFen?: string } };
    const fen = v.value?.monthlyFen ?? v.value?.perYearFen;
    return `${v.effectiveFrom ?? ''} ¥${fen === undefined ? '' : yuan({ fen: String(fen) })}`;
  };
  const propose = (method: string, amount: string, word: Word) => (
    <ActionButton
      label={t(word)}
      fields={[
        { name: 'effectiveFrom', label: t('effectiveDate'), type: 'date' },
        { name: amount, label: t('amount'), type: 'yuan' },
        { name: 'note', label: t('note'), type: 'text' },
      ]}
      run={async (body) => {
        await api('resettlement', method, body);
        await load();
      }}
    />
  );
  return (
    <Card
      title={t('resettlementSettings')}
      extra={
        can('clerk') && (
          <Space>
            {propose('ProposeSubsidyBase', 'perYearBase', 'proposeSubsidyBase')}
            {propose('ProposeMinimumWage', 'monthly', 'proposeMinimumWage')}
          </Space>
        )
      }
    >
      <ErrorAlert error={error} />
      <ListTable<SettingProposal>
        data-testid="setting-proposals"
        rowKey="proposalId"
        dataSource={proposals}
        columns={[
          { title: t('kind'), dataIndex: 'key', render: (k: string) => t(k === 'resettlement.subsidyBase' ? 'subsidyBase' : k === 'resettlement.minimumWage' ? 'minimumWage' : 'kind') },
          { title: t('change'), render: (_: unknown, p) => what(p) },
          { title: t('note'), dataIndex: 'note' },
          { title: t('status'), dataIndex: 'status', render: (x: string) => e(`DECISION_${x}`) },
          { title: t('proposedBy'), render: (_: unknown, p) => `${p.proposedBy} ${shanghaiTime(p.proposedAt)}` },
          { title: t('decidedBy'), dataIndex: 'decidedBy' },
          {
            title: '',
            render: (_: unknown, p) =>
              can('approver') && p.status === 'PENDING' && p.proposedBy !== session?.subject ? <DecideButtons decide={(approve) => decide(p.proposalId, approve)} /> : null,
          },
        ]}
      />
    </Card>
  );
}

/** ReceiveCase: the files of a discharged soldier received. */
function ReceiveCaseForm() {
  const { t, e } = useWords();
  const { api } = useSession();
  const navigate = useNavigate();
  const [form] = Form.useForm();
  const [error, setError] = useState<unknown>();
  const submit = async (v: Record<string, any>) => {
    setError(undefined);
    try {
      const r = await api<{ case: Case }>('resettlement', 'ReceiveCase', {
        ...v,
        ncoLevel: Number(v.ncoLevel ?? 0),
        enlistedOn: civil.typed(v.enlistedOn),
        dischargedOn: civil.typed(v.dischargedOn),
        dischargeApprovedOn: civil.typed(v.dischargeApprovedOn),
        honours: v.honours ?? [],
        ...(v.disabilityGrade ? { disability: { grade: Number(v.disabilityGrade), cause: v.disabilityCause, assessedOn: civil.typed(v.assessedOn) } } : {}),
        disabilityGrade: undefined,
        disabilityCause: undefined,
        assessedOn: undefined,
      });
      void navigate(`/resettlement/${r.case.caseId}`);
    } catch (err) {
      setError(showOnFields(form, err, (p) => typeof p[0] === 'string' && !!form.getFieldInstance?.(p[0])));
    }
  };
  const item = (name: string, label: string, input = <Input />, required = true) => (
    <Col span={6} key={name}>
      <Form.Item name={name} label={label} rules={required ? [{ required: true, message: t('required') }] : []}>
        {input}
      </Form.Item>
    </Col>
  );
  const d = <Input placeholder="YYYY-MM-DD" maxLength={10} />;
  return (
    <Card title={t('receiveCase')}>
      <ErrorAlert error={error} />
      <Form form={form} name="receiveCase" layout="vertical" onFinish={submit} data-testid="receive-case">
        <Row gutter={16}>
          {item('nationalId', t('nationalId'), <Input maxLength={18} />)}
          {item('name', t('name'))}
          {item('serviceBranch', t('serviceBranch'))}
          {item('rankType', t('rankType'), <Select options={enumOptions('RANK_TYPE_', e)} />)}
          {item('ncoLevel', t('ncoLevel'), <Input inputMode="numeric" maxLength={1} />, false)}
          {item('enlistedOn', t('enlistedOn'), d)}
          {item('dischargedOn', t('dischargedOn'), d)}
          {item('dischargeApprovedOn', t('dischargeApprovedOn'), d)}
          {item('district', t('district'), <Input maxLength={6} />)}
          {item('residence', t('residence'), <Select options={enumOptions('RESIDENCE_', e)} />)}
          {item('honours', t('honours'), <Select mode="multiple" options={enumOptions('HONOUR_', e)} />, false)}
          {item('disabilityGrade', t('disabilityGrade'), <Input inputMode="numeric" maxLength={2} />, false)}
          {item('disabilityCause', t('cause'), <Select allowClear options={enumOptions('DISABILITY_CAUSE_', e)} />, false)}
          {item('assessedOn', t('assessedOn'), d, false)}
          {item('phone', t('phone'), <Input />, false)}
        </Row>
        <Button type="primary" htmlType="submit">
          {t('submit')}
        </Button>
      </Form>
    </Card>
  );
}

/** A case: its timeline and deadlines, and the actions its status offers. */
export function CasePage() {
  const { id = '' } = useParams();
  const { t, e } = useWords();
  const { api, can, session } = useSession();
  const [c, setCase] = useState<Case>();
  const [error, setError] = useState<unknown>();
  const load = useCallback(() => api<{ case: Case }>('resettlement', 'GetCase', { caseId: id }).then((r) => setCase(r.case), setError), [api, id]);
  useEffect(() => void load(), [load]);
  if (!c) return <ErrorAlert error={error} />;
  const act = (method: string) => async (body: Record<string, unknown>) => {
    await api('resettlement', method, { caseId: id, ...body });
    await load();
  };
  const f = (name: string, label: string, type: ActionField['type'] = 'text', optional = false, options?: ActionField['options']): ActionField => ({ name, label, type, optional, options });
  const unset = (v?: string) => !v || v.endsWith('_UNSPECIFIED');
  const clerk = can('clerk');
  const approver = can('approver');
  const s = c.status;
  const actions = [
    clerk && s === 'CASE_STATUS_RECEIVED' && <ActionButton key="report" primary label={t('recordReport')} fields={[f('reportedOn', t('reportedOn'), 'date'), f('lateReason', t('lateReason'), 'text', true)]} run={act('RecordReport')} />,
    clerk && s === 'CASE_STATUS_RECEIVED' && <ActionButton key="late" label={t('recordLateReason')} fields={[f('reason', t('lateReason'))]} run={act('RecordLateReason')} />,
    clerk && s === 'CASE_STATUS_REPORTED' && <ActionButton key="mode" primary label={t('choosePlacement')} fields={[f('mode', t('placementMode'), 'select', false, (c.allowedModes ?? []).map((m) => ({ value: m, label: e(m) })))]} run={act('ChoosePlacement')} />,
    clerk && s === 'CASE_STATUS_PLACEMENT_CHOSEN' && c.mode === 'PLACEMENT_MODE_SELF_EMPLOYMENT' && c.subsidy?.status !== 'PENDING' && (
      <ActionButton key="subsidy" primary label={t('proposeSubsidy')} fields={[f('centralRetirementPayment', t('centralRetirementPayment'), 'yuan'), f('note', t('note'), 'text', true)]} run={act('ProposeSubsidy')} />
    ),
    approver && c.subsidy?.status === 'PENDING' && c.subsidy.proposedBy !== session?.subject && (
      <ActionButton key="grant" primary label={t('approveSubsidy')} confirm={<Alert type="warning" showIcon style={{ marginBottom: 16 }} title={`${t('confirmSubsidy')} ¥${yuan(c.subsidy.amount)}`} />} fields={[f('note', t('note'), 'text', true)]} run={(b) => act('DecideSubsidy')({ ...b, approve: true })} />
    ),
    approver && c.subsidy?.status === 'PENDING' && c.subsidy.proposedBy !== session?.subject && <ActionButton key="refuse" danger label={t('reject')} fields={[f('note', t('reason'))]} run={(b) => act('DecideSubsidy')({ ...b, approve: false })} />,
    clerk && s === 'CASE_STATUS_PLACEMENT_CHOSEN' && c.mode === 'PLACEMENT_MODE_ASSIGNED_WORK' && (
      <ActionButton key="offer" primary label={t('recordJobOffer')} fields={[f('employer', t('employer')), f('letterNumber', t('letterNumber')), f('referredOn', t('referredOn'), 'date')]} run={act('RecordJobOffer')} />
    ),
    clerk && s === 'CASE_STATUS_JOB_OFFERED' && <ActionButton key="onboard" primary label={t('recordOnboarding')} fields={[f('onboardedOn', t('onboardedOn'), 'date')]} run={act('RecordOnboarding')} />,
    clerk && ['CASE_STATUS_SUBSIDY_GRANTED', 'CASE_STATUS_ONBOARDED', 'CASE_STATUS_PLACEMENT_CHOSEN'].includes(s) && <ActionButton key="close" label={t('closeCase')} fields={[f('note', t('closingNote'))]} run={act('CloseCase')} />,
    clerk && s === 'CASE_STATUS_LAPSED' && c.reinstatement?.status !== 'PENDING' && <ActionButton key="reinstate" label={t('proposeReinstatement')} fields={[f('reason', t('lateReason'))]} run={act('ProposeReinstatement')} />,
    approver && c.reinstatement?.status === 'PENDING' && c.reinstatement.proposedBy !== session?.subject && (
      <ActionButton key="reinstated" primary label={t('approveReinstatement')} fields={[f('note', t('note'), 'text', true)]} run={(b) => act('DecideReinstatement')({ ...b, approve: true })} />
    ),
    clerk && c.disability && !['CASE_STATUS_LAPSED'].includes(s) && (!c.registryTransfer || ['REJECTED', 'REFUSED'].includes(c.registryTransfer.status)) && (
      <Button key="transfer" onClick={() => void act('TransferToRegistry')({}).catch(setError)}>
        {t('transferToRegistry')}
      </Button>
    ),
    clerk && !['CASE_STATUS_RECEIVED', 'CASE_STATUS_LAPSED'].includes(s) && (
      <ActionButton
        key="support"
        label={t('recordSupport')}
        fields={[f('kind', t('kind'), 'select', false, enumOptions('SUPPORT_KIND_', e)), f('startedOn', t('startedOn'), 'date'), f('provider', t('provider')), f('amount', t('amount'), 'yuan', true), f('note', t('note'), 'text', true)]}
        run={act('RecordSupport')}
      />
    ),
  ].filter(Boolean);
  const events = [
    { label: shanghaiTime(c.receivedAt).slice(0, 10), children: `${t('received')} (${c.receivedBy})` },
    ...(c.reportedOn ? [{ label: civil.toString(c.reportedOn), color: 'green', children: `${t('reportedOn')} · ${e(c.reporting)}${c.lateReason ? ` · ${c.lateReason}` : ''}` }] : []),
    ...(!unset(c.mode) ? [{ label: '', color: 'green', children: `${t('placementMode')}: ${e(c.mode)}` }] : []),
    ...(c.subsidy ? [{ label: '', color: c.subsidy.status === 'APPROVED' ? 'green' : 'blue', children: `${t('subsidy')} ¥${yuan(c.subsidy.amount)} (${c.subsidy.halfYears} × ½ × ¥${yuan(c.subsidy.perYearBase)}${c.subsidy.honourBp ? ` + ${c.subsidy.honourBp / 100}%` : ''}) · ${e(`DECISION_${c.subsidy.status}`)} ${c.subsidy.approvedBy}` }] : []),
    ...(c.jobOffer ? [{ label: civil.toString(c.jobOffer.referredOn), color: 'green', children: `${t('recordJobOffer')}: ${c.jobOffer.employer} ${c.jobOffer.letterNumber}` }] : []),
    ...(c.onboardedOn ? [{ label: civil.toString(c.onboardedOn), color: 'green', children: t('onboardedOn') }] : []),
    ...(c.reinstatement ? [{ label: '', color: 'orange', children: `${t('proposeReinstatement')}: ${c.reinstatement.reason} · ${e(`DECISION_${c.reinstatement.status}`)}` }] : []),
    ...(c.registryTransfer ? [{ label: '', color: 'blue', children: <>{`${t('transferToRegistry')}: ${c.registryTransfer.status} `}{c.registryTransfer.changeId && <Link to={`/changes/${c.registryTransfer.changeId}`}>{c.registryTransfer.changeId.slice(0, 8)}</Link>}</> }] : []),
    ...(c.support ?? []).map((x) => ({ label: civil.toString(x.startedOn), color: 'green', children: `${e(x.kind)}: ${x.provider}${x.amount && x.amount.fen !== '0' ? ` ¥${yuan(x.amount)}` : ''}` })),
    ...(s === 'CASE_STATUS_CLOSED' ? [{ label: shanghaiTime(c.updatedAt).slice(0, 10), color: 'green', children: `${t('closeCase')}: ${c.closingNote}` }] : []),
  ];
  return (
    <Space direction="vertical" size="large" style={{ width: '100%' }}>
      <ErrorAlert error={error} />
      <Card title={`${c.name} · ${c.nationalIdMasked}`} extra={<Space wrap>{actions}</Space>}>
        <Descriptions bordered size="small" column={3} data-testid="case">
          <Descriptions.Item label={t('status')}>
            <Tag color={statusColor(s)} data-testid="case-status">
              {e(s)}
            </Tag>
          </Descriptions.Item>
          <Descriptions.Item label={t('rankType')}>{`${e(c.rankType)}${c.ncoLevel ? ` ${c.ncoLevel}` : ''} · ${c.serviceBranch}`}</Descriptions.Item>
          <Descriptions.Item label={t('district')}>{c.district}</Descriptions.Item>
          <Descriptions.Item label={t('enlistedOn')}>{civil.toString(c.enlistedOn)}</Descriptions.Item>
          <Descriptions.Item label={t('dischargedOn')}>{`${civil.toString(c.dischargedOn)} (${c.serviceMonths} ${t('months')})`}</Descriptions.Item>
          <Descriptions.Item label={t('dischargeApprovedOn')}>{civil.toString(c.dischargeApprovedOn)}</Descriptions.Item>
          <Descriptions.Item label={t('honours')}>{(c.honours ?? []).map((h) => e(h)).join('、')}</Descriptions.Item>
          <Descriptions.Item label={t('disabilityGrade')}>{c.disability ? `${c.disability.grade} · ${e(c.disability.cause)}` : ''}</Descriptions.Item>
          <Descriptions.Item label={t('reportOnTimeBy')}>{civil.toString(c.reportOnTimeBy)}</Descriptions.Item>
          <Descriptions.Item label={t('reportBy')}>{civil.toString(c.reportBy)}</Descriptions.Item>
          <Descriptions.Item label={t('missedDeadlines')}>
            {(c.missed ?? []).map((d) => (
              <Tag color="red" key={d}>
                {e(d)}
              </Tag>
            ))}
          </Descriptions.Item>
          <Descriptions.Item label={t('allowedModes')}>{(c.allowedModes ?? []).map((m) => e(m)).join('、')}</Descriptions.Item>
        </Descriptions>
      </Card>
      <Card title={t('timeline')}>
        <Timeline mode="left" data-testid="case-timeline" items={events} />
        {(c.allowances ?? []).length > 0 && (
          <Table
            size="small"
            pagination={false}
            rowKey={(x) => `${x.month.year}-${x.month.month}`}
            dataSource={c.allowances}
            columns={[
              { title: t('month'), render: (_: unknown, x: NonNullable<Case['allowances']>[number]) => `${x.month.year}-${String(x.month.month).padStart(2, '0')}` },
              { title: t('waitingAllowance'), render: (_: unknown, x: NonNullable<Case['allowances']>[number]) => yuan(x.amount) },
            ]}
          />
        )}
      </Card>
    </Space>
  );
}
