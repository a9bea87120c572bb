/**
 * The annual adjustment: runs and what is pending, starting a run from a standards draft, and a
 * run's page — its phase and progress (polled while it works), the impact by category and district
 * as tables and a chart, the persons it touches (exportable), the decisions and controls, and a
 * link to the workflow in the Temporal Web UI.
 */
import { App, Button, Card, Descriptions, Form, Input, Progress, Select, Space, Statistic, Steps, Switch, Table, Tag } from 'antd';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { chartYuan, civil, consoleConfig, everyPage, LARGEST_PAGE, shanghaiTime, yearMonth, yuan } from '../api';
import { BarChart } from '../chart';
import { ErrorAlert, showOnFields } from '../errors';
import { Pager, usePages } from '../paging';
import { download, toCsv, type Column } from '../export';
import { useWords } from '../i18n';
import { useSession } from '../session';
import { ListTable } from '../table';
import { PendingItems } from './PendingItems';
import type { Version } from './Standards';

type Money = { fen: string };
interface Totals {
  persons: string;
  personsAffected: string;
  backPay?: Money;
  monthlyChange?: Money;
  budgetToDecember?: Money;
  funeralTopUp?: Money;
}
export interface Adjustment {
  runId: string;
  year: number;
  level: string;
  regionCode: string;
  effectiveFrom?: { year: number; month: number; day: number };
  payrollMonth?: { year: number; month: number };
  versionId: string;
  phase: string;
  personsDone: string;
  personsTotal: string;
  totals?: Totals;
  startedBy: string;
  decidedBy: string;
  decisionNote: string;
  startedAt?: string;
  updatedAt?: string;
  paused: boolean;
  applied?: { persons: string; personsChanged: string; backPay?: Money; lines: string; changedSinceSimulation: string };
  kind: string;
}
interface ImpactTotal extends Totals {
  group: string;
}
interface Impact {
  personId: string;
  districtCode: string;
  category: string;
  oldMonthly?: Money;
  newMonthly?: Money;
  backPay?: Money;
  budgetToDecember?: Money;
  funeralTopUp?: Money;
  applied: boolean;
  changedSinceSimulation: boolean;
}

const WORKING = new Set(['PHASE_SIMULATING', 'PHASE_PUBLISHED', 'PHASE_APPLYING']);
const runPath = (runId: string) => `/adjustments/${encodeURIComponent(runId)}`;

/** Runs, newest first; a clerk starts one here. */
export function AdjustmentsPage() {
  const { t, e } = useWords();
  const { api, can } = useSession();
  const [runs, setRuns] = useState<Adjustment[]>([]);
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    api<{ adjustments: Adjustment[] }>('adjustment', 'ListAdjustments', { page: { pageSize: 100 } }).then((r) => setRuns(r.adjustments ?? []), setError);
  }, [api]);
  return (
    <Space direction="vertical" size="large" style={{ width: '100%' }}>
      {can('clerk') && <StartForm />}
      <PendingItems />
      <Card title={t('adjustments')}>
        <ErrorAlert error={error} />
        <Table<Adjustment>
          data-testid="runs"
          rowKey="runId"
          size="small"
          dataSource={runs}
          pagination={{ pageSize: 20 }}
          locale={{ emptyText: t('noItems') }}
          columns={[
            { title: t('year'), dataIndex: 'runId', render: (id: string) => <Link to={runPath(id)}>{id}</Link> },
            { title: t('kind'), dataIndex: 'kind', render: (k: string) => e(k) },
            { title: t('phase'), dataIndex: 'phase', render: (p: string, r) => <Tag color={WORKING.has(p) ? 'processing' : undefined}>{`${e(p)}${r.paused ? ` · ${t('paused')}` : ''}`}</Tag> },
            { title: t('payrollMonth'), render: (_: unknown, r) => yearMonth.toString(r.payrollMonth) },
            { title: t('backPay'), render: (_: unknown, r) => yuan(r.totals?.backPay) },
            { title: t('startedBy'), dataIndex: 'startedBy' },
            { title: t('updatedAt'), dataIndex: 'updatedAt', render: (x: string) => shanghaiTime(x) },
          ]}
        />
      </Card>
    </Space>
  );
}

/** StartAdjustment from a prepared standards version (a draft, e.g. an indexed one, or an approved one). */
function StartForm() {
  const { t, e } = useWords();
  const { api } = useSession();
  const navigate = useNavigate();
  const [form] = Form.useForm();
  const [drafts, setDrafts] = useState<Version[]>([]);
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    Promise.all(['VERSION_STATUS_DRAFT', 'VERSION_STATUS_APPROVED'].map((status) => api<{ versions: Version[] }>('standards', 'ListVersions', { status, page: { pageSize: 100 } }))).then(
      (rs) => setDrafts(rs.flatMap((r) => r.versions)),
      setError,
    );
  }, [api]);
  const submit = async (v: { versionId: string; payrollMonth: string }) => {
    setError(undefined);
    const version = drafts.find((d) => d.id === v.versionId)!;
    try {
      const r = await api<{ adjustment: Adjustment }>('adjustment', 'StartAdjustment', {
        year: version.effectiveFrom!.year,
        level: version.level,
        regionCode: version.regionCode,
        payrollMonth: yearMonth.fromString(v.payrollMonth),
        versionId: version.id,
      });
      void navigate(runPath(r.adjustment.runId));
    } catch (err) {
      setError(showOnFields(form, err, (p) => ['payrollMonth', 'versionId'].includes(String(p[0]))));
    }
  };
  return (
    <Card title={t('startAdjustment')}>
      <ErrorAlert error={error} />
      <Form form={form} layout="inline" onFinish={submit} data-testid="start-adjustment">
        <Form.Item label={t('standards')} name="versionId" rules={[{ required: true, message: t('required') }]}>
          <Select style={{ width: 420 }} options={drafts.map((d) => ({ value: d.id, label: `${civil.toString(d.effectiveFrom)} ${d.title} (${e(d.level)}${d.regionCode ? ` ${d.regionCode}` : ''}, ${e(d.status)})` }))} />
        </Form.Item>
        <Form.Item label={t('payrollMonth')} name="payrollMonth" rules={[{ required: true, pattern: /^\d{4}-\d{2}$/, message: 'YYYY-MM' }]}>
          <Input placeholder="YYYY-MM" style={{ width: 120 }} />
        </Form.Item>
        <Button type="primary" htmlType="submit">
          {t('start')}
        </Button>
      </Form>
    </Card>
  );
}

const PHASES = ['PHASE_SIMULATING', 'PHASE_AWAITING_APPROVAL', 'PHASE_PUBLISHED', 'PHASE_APPLYING', 'PHASE_COMPLETED'];

/** One run, refreshed every second while it works. */
export function AdjustmentPage() {
  const runId = decodeURIComponent(useParams().id ?? '');
  const { t, e } = useWords();
  const { api, can, session } = useSession();
  const { modal, message } = App.useApp();
  const [run, setRun] = useState<Adjustment>();
  const [temporalUrl, setTemporalUrl] = useState('');
  const [error, setError] = useState<unknown>();
  const load = useCallback(() => api<{ adjustment: Adjustment }>('adjustment', 'GetAdjustment', { runId }).then((r) => setRun(r.adjustment), setError), [api, runId]);
  useEffect(() => void load(), [load]);
  useEffect(() => void consoleConfig().then((c) => setTemporalUrl(c.temporalWorkflowUrl.replace('{workflowId}', encodeURIComponent(runId)))), [runId]);
  const working = !!run && WORKING.has(run.phase) && !run.paused;
  useEffect(() => {
    if (!working) return;
    const timer = setInterval(() => void load(), 1000);
    return () => clearInterval(timer);
  }, [working, load]);
  if (!run) return <ErrorAlert error={error} />;
  const act = (method: string, body: Record<string, unknown> = {}) =>
    api<{ adjustment: Adjustment }>('adjustment', method, { runId, ...body }).then(
      (r) => {
        setRun(r.adjustment);
        setError(undefined);
      },
      (err: unknown) => setError(err),
    );
  const done = Number(run.personsDone ?? 0);
  const total = Number(run.personsTotal ?? 0);
  const stepOf = PHASES.indexOf(run.phase);
  const awaiting = run.phase === 'PHASE_AWAITING_APPROVAL';
  const beforePublication = ['PHASE_SIMULATING', 'PHASE_AWAITING_APPROVAL'].includes(run.phase);
  const approve = () => {
    let note = '';
    modal.confirm({
      title: t('approve'),
      content: (
        <Space direction="vertical" style={{ width: '100%' }}>
          <span data-testid="approve-summary">{`${t('confirmApproveAdjustment')} ${yearMonth.toString(run.payrollMonth)}, ${t('backPay')} ¥${yuan(run.totals?.backPay)}`}</span>
          <Input aria-label={t('note')} placeholder={t('note')} onChange={(ev) => (note = ev.target.value)} />
        </Space>
      ),
      onOk: () => act('ApproveAdjustment', { payrollMonth: run.payrollMonth, note }).then(() => message.success(t('approved'))),
    });
  };
  const reject = () => {
    let reason = '';
    modal.confirm({
      title: t('reject'),
      content: <Input aria-label={t('reason')} placeholder={t('reason')} onChange={(ev) => (reason = ev.target.value)} />,
      onOk: () => act('RejectAdjustment', { reason }),
    });
  };
  return (
    <Space direction="vertical" size="large" style={{ width: '100%' }}>
      <ErrorAlert error={error} />
      <Card
        title={runId}
        extra={
          <Space>
            {temporalUrl && (
              <a href={temporalUrl} target="_blank" rel="noreferrer" data-testid="temporal-link">
                {t('temporalRun')}
              </a>
            )}
            {can('clerk', 'approver') && run.phase === 'PHASE_SIMULATING' && (run.paused ? <Button onClick={() => act('ResumeAdjustment')}>{t('resume')}</Button> : <Button onClick={() => act('PauseAdjustment')}>{t('pause')}</Button>)}
            {can('clerk', 'approver') && beforePublication && (
              <Button danger onClick={() => modal.confirm({ title: t('confirmCancel'), onOk: () => act('CancelAdjustment') })}>
                {t('cancel')}
              </Button>
            )}
            {can('approver') && awaiting && run.startedBy !== session?.subject && (
              <>
                <Button onClick={reject}>{t('reject')}</Button>
                <Button type="primary" onClick={approve}>
                  {t('approve')}
                </Button>
              </>
            )}
          </Space>
        }
      >
        <Steps
          size="small"
          current={stepOf < 0 ? 1 : stepOf}
          status={run.phase === 'PHASE_REJECTED' || run.phase === 'PHASE_CANCELLED' ? 'error' : run.phase === 'PHASE_COMPLETED' ? 'finish' : 'process'}
          items={PHASES.map((p) => ({ title: e(p) }))}
          style={{ marginBottom: 24 }}
        />
        <Descriptions size="small" bordered column={3}>
          <Descriptions.Item label={t('phase')}>
            <Tag data-testid="run-phase">{e(run.phase)}</Tag>
            {run.paused && <Tag color="orange">{t('paused')}</Tag>}
          </Descriptions.Item>
          <Descriptions.Item label={t('effectiveDate')}>{civil.toString(run.effectiveFrom)}</Descriptions.Item>
          <Descriptions.Item label={t('payrollMonth')}>{yearMonth.toString(run.payrollMonth)}</Descriptions.Item>
          <Descriptions.Item label={t('standards')}>{run.versionId ? <Link to={`/standards/${run.versionId}`}>{run.versionId.slice(0, 8)}</Link> : ''}</Descriptions.Item>
          <Descriptions.Item label={t('startedBy')}>{`${run.startedBy} ${shanghaiTime(run.startedAt)}`}</Descriptions.Item>
          <Descriptions.Item label={t('decidedBy')}>{`${run.decidedBy ?? ''} ${run.decisionNote ?? ''}`}</Descriptions.Item>
        </Descriptions>
        <div style={{ marginTop: 16 }}>
          {t('progress')}
          <Progress data-testid="run-progress" percent={total ? Math.floor((done * 100) / total) : run.phase === 'PHASE_SIMULATING' ? 0 : 100} status={working ? 'active' : undefined} format={() => `${done} / ${total}`} />
        </div>
        <Space size="large" wrap style={{ marginTop: 16 }} data-testid="run-totals">
          <Statistic title={t('personsCount')} value={run.totals?.persons ?? '0'} />
          <Statistic title={t('personsAffected')} value={run.totals?.personsAffected ?? '0'} />
          <Statistic title={t('backPay')} value={yuan(run.totals?.backPay)} prefix="¥" />
          <Statistic title={t('monthlyChange')} value={yuan(run.totals?.monthlyChange)} prefix="¥" />
          <Statistic title={t('budgetToDecember')} value={yuan(run.totals?.budgetToDecember)} prefix="¥" />
          <Statistic title={t('funeralTopUp')} value={yuan(run.totals?.funeralTopUp)} prefix="¥" />
        </Space>
      </Card>
      {run.phase !== 'PHASE_SIMULATING' && <ImpactReport run={run} />}
    </Space>
  );
}

/** The impact report: totals by category and district (tables and a chart), the persons, an export. */
function ImpactReport({ run }: { run: Adjustment }) {
  const { t, e } = useWords();
  const { api } = useSession();
  const [changedOnly, setChangedOnly] = useState(false);
  const pages = usePages();
  const { token, setNext, reset } = pages;
  const [report, setReport] = useState<{ impacts: Impact[]; byCategory: ImpactTotal[]; byDistrict: ImpactTotal[]; total?: ImpactTotal }>();
  const [error, setError] = useState<unknown>();
  const page = useCallback(
    (pageToken: string, pageSize: number) =>
      api<{ impacts?: Impact[]; byCategory?: ImpactTotal[]; byDistrict?: ImpactTotal[]; total?: ImpactTotal; page?: { nextPageToken: string } }>('adjustment', 'ListImpact', { runId: run.runId, changedSinceSimulation: changedOnly, page: { pageSize, pageToken } }),
    [api, run.runId, changedOnly],
  );
  useEffect(() => {
    page(token, 20).then(
      (r) => {
        setReport({ impacts: r.impacts ?? [], byCategory: r.byCategory ?? [], byDistrict: r.byDistrict ?? [], total: r.total });
        setNext(r.page?.nextPageToken ?? '');
      },
      setError,
    );
  }, [page, token, setNext, run.phase]);
  // Impact groups name the category without its prefix (MARTYR_SURVIVOR).
  const category = useCallback((g: string) => e(g.startsWith('CATEGORY_') ? g : `CATEGORY_${g}`), [e]);
  const chart = useMemo(() => {
    const groups = report?.byCategory ?? [];
    return {
      labels: groups.map((g) => category(g.group)),
      series: [
        { name: t('backPay'), values: groups.map((g) => chartYuan(g.backPay)), labels: groups.map((g) => `¥${yuan(g.backPay)}`) },
        { name: t('budgetToDecember'), values: groups.map((g) => chartYuan(g.budgetToDecember)), labels: groups.map((g) => `¥${yuan(g.budgetToDecember)}`) },
      ],
    };
  }, [report, category, t]);
  const columns: Column<Impact>[] = [
    { title: t('personId'), value: (i) => i.personId },
    { title: t('category'), value: (i) => e(i.category) },
    { title: t('district'), value: (i) => i.districtCode },
    { title: t('oldMonthly'), value: (i) => yuan(i.oldMonthly) },
    { title: t('newMonthly'), value: (i) => yuan(i.newMonthly) },
    { title: t('backPay'), value: (i) => yuan(i.backPay) },
    { title: t('budgetToDecember'), value: (i) => yuan(i.budgetToDecember) },
    { title: t('funeralTopUp'), value: (i) => yuan(i.funeralTopUp) },
    { title: t('changedSinceSimulation'), value: (i) => (i.changedSinceSimulation ? '✓' : '') },
  ];
  const exportCsv = async () => {
    const all = await everyPage((pageToken) => page(pageToken, LARGEST_PAGE).then((r) => ({ items: r.impacts ?? [], next: r.page?.nextPageToken })));
    download(`${run.runId.replace(/:/g, '-')}-impact.csv`, toCsv(all, columns));
  };
  const groupColumns = (first: string, word: (g: string) => string) => [
    { title: first, dataIndex: 'group', render: (g: string) => (g ? word(g) : t('total')) },
    { title: t('personsCount'), dataIndex: 'persons' },
    { title: t('personsAffected'), dataIndex: 'personsAffected' },
    { title: t('backPay'), render: (_: unknown, g: ImpactTotal) => yuan(g.backPay) },
    { title: t('monthlyChange'), render: (_: unknown, g: ImpactTotal) => yuan(g.monthlyChange) },
    { title: t('budgetToDecember'), render: (_: unknown, g: ImpactTotal) => yuan(g.budgetToDecember) },
  ];
  return (
    <>
      <ErrorAlert error={error} />
      <Card title={`${t('impact')} · ${t('byCategory')}`}>
        {report && <BarChart testId="impact-chart" ariaLabel={`${t('impact')} · ${t('byCategory')}`} labels={chart.labels} series={chart.series} />}
        <Table<ImpactTotal> data-testid="impact-by-category" rowKey="group" size="small" pagination={false} dataSource={[...(report?.byCategory ?? []), ...(report?.total ? [{ ...report.total, group: '' }] : [])]} columns={groupColumns(t('category'), category)} />
      </Card>
      <Card title={`${t('impact')} · ${t('byDistrict')}`}>
        <Table<ImpactTotal> data-testid="impact-by-district" rowKey="group" size="small" pagination={false} dataSource={report?.byDistrict ?? []} columns={groupColumns(t('district'), (g) => g)} />
      </Card>
      <Card
        title={t('persons')}
        extra={
          <Space>
            <Switch
              aria-label={t('changedSinceSimulation')}
              checked={changedOnly}
              onChange={(v) => {
                setChangedOnly(v);
                reset();
              }}
            />
            {t('changedSinceSimulation')}
            <Button onClick={() => void exportCsv().catch(setError)}>{t('exportCsv')}</Button>
          </Space>
        }
      >
        <ListTable<Impact>
          data-testid="impact-persons"
          rowKey="personId"
          dataSource={report?.impacts ?? []}
          columns={columns.map((c, i) => ({ title: c.title, key: c.title, render: (_: unknown, r: Impact) => (i === 0 ? <Link to={`/persons/${r.personId}`}>{r.personId.slice(0, 8)}</Link> : c.value(r)) }))}
        />
        <Pager pages={pages} />
      </Card>
    </>
  );
}
