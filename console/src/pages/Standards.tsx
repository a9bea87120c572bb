/** Subsidy standards: the versions, one version's table, the diff between two, an indexed draft, approval. */
import { App, Button, Card, Descriptions, Form, Input, InputNumber, Select, Space, Table, Tag } from 'antd';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { basisPointsOf, civil, moneyOf, shanghaiTime, yuan } from '../api';
import { ActionButton } from '../action';
import { ErrorAlert, showOnFields } from '../errors';
import { previewRows, type PreviewRow, type RuleInput } from '../preview';
import { enumOptions, useWords } from '../i18n';
import { useSession } from '../session';

export interface Version {
  id: string;
  title: string;
  documentNumber: string;
  source: string;
  level: string;
  regionCode: string;
  effectiveFrom?: { year: number; month: number; day: number };
  status: string;
  baseVersionId: string;
  revision: string;
  createdBy: string;
  createdAt?: string;
  approvedBy: string;
  rowCount: number;
}
export interface RowKey {
  category: string;
  cause?: string;
  disabilityGrade?: number;
  enlistmentPeriod?: string;
  component: string;
}
export interface Row {
  key: RowKey;
  annualAmount?: { fen: string };
  perServiceYearAmount?: { fen: string };
  nursingFeeShare?: { basisPoints: number; requiresMentalDisorder?: boolean };
  incomeShareBasisPoints?: number;
}

const unset = (v?: string) => !v || v.endsWith('_UNSPECIFIED');
const percent = (bp: number) => `${(bp / 100).toFixed(2)}%`;

/** A row's key and rule in words. */
export function useRowWords() {
  const { e, lang } = useWords();
  const per = lang === 'zh' ? { year: '元/年', serviceYear: '元/服役年/年', wage: '上年度月平均工资的', income: '上年度人均可支配收入的', mental: '（需精神障碍）' } : { year: 'yuan / year', serviceYear: 'yuan / service year / year', wage: 'of the previous year’s average monthly wage', income: 'of the previous year’s per-capita income', mental: ' (mental disorder)' };
  const key = (k: RowKey) =>
    [e(k.category), unset(k.cause) ? '' : e(k.cause!), k.disabilityGrade ? (lang === 'zh' ? `${k.disabilityGrade}级` : `grade ${k.disabilityGrade}`) : '', unset(k.enlistmentPeriod) ? '' : e(k.enlistmentPeriod!), e(k.component)].filter(Boolean).join(' · ');
  const rule = (r?: Row) => {
    if (!r) return '';
    if (r.annualAmount) return `${yuan(r.annualAmount)} ${per.year}`;
    if (r.perServiceYearAmount) return `${yuan(r.perServiceYearAmount)} ${per.serviceYear}`;
    if (r.nursingFeeShare) return lang === 'zh' ? `${per.wage}${percent(r.nursingFeeShare.basisPoints)}${r.nursingFeeShare.requiresMentalDisorder ? per.mental : ''}` : `${percent(r.nursingFeeShare.basisPoints)} ${per.wage}${r.nursingFeeShare.requiresMentalDisorder ? per.mental : ''}`;
    if (r.incomeShareBasisPoints) return lang === 'zh' ? `${per.income}${percent(r.incomeShareBasisPoints)}` : `${percent(r.incomeShareBasisPoints)} ${per.income}`;
    return '';
  };
  return { key, rule };
}

const statusColor: Record<string, string> = { VERSION_STATUS_DRAFT: 'gold', VERSION_STATUS_APPROVED: 'blue', VERSION_STATUS_PUBLISHED: 'green', VERSION_STATUS_DISCARDED: 'default', VERSION_STATUS_SUPERSEDED: 'default' };

/** The versions, newest effective date first, filtered by status. */
export function StandardsPage() {
  const { t, e } = useWords();
  const { api } = useSession();
  const [status, setStatus] = useState<string>();
  const [versions, setVersions] = useState<Version[]>([]);
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    api<{ versions: Version[] }>('standards', 'ListVersions', { ...(status ? { status } : {}), page: { pageSize: 200 } }).then((r) => setVersions(r.versions), setError);
  }, [api, status]);
  return (
    <Card title={t('standards')} extra={<Select aria-label={t('status')} allowClear placeholder={t('any')} style={{ width: 160 }} value={status} onChange={setStatus} options={enumOptions('VERSION_STATUS_', e)} />}>
      <ErrorAlert error={error} />
      <Table<Version>
        data-testid="versions"
        rowKey="id"
        size="small"
        dataSource={versions}
        pagination={{ pageSize: 20 }}
        locale={{ emptyText: t('noItems') }}
        columns={[
          { title: t('title'), dataIndex: 'title', render: (x: string, v) => <Link to={`/standards/${v.id}`}>{x}</Link> },
          { title: t('documentNumber'), dataIndex: 'documentNumber' },
          { title: t('level'), render: (_: unknown, v) => `${e(v.level)}${v.regionCode ? ` ${v.regionCode}` : ''}` },
          { title: t('effectiveDate'), render: (_: unknown, v) => civil.toString(v.effectiveFrom) },
          { title: t('status'), dataIndex: 'status', render: (s: string) => <Tag color={statusColor[s]}>{e(s)}</Tag> },
          { title: t('rows'), dataIndex: 'rowCount' },
          { title: t('createdBy'), dataIndex: 'createdBy' },
        ]}
      />
    </Card>
  );
}

interface Diff {
  added: Row[];
  changed: { key: RowKey; from: Row; to: Row }[];
  removed: Row[];
  unchangedCount: number;
}

/** One version: its header, its table, its diff against another (its base by default), and what may be done with it. */
export function VersionPage() {
  const { id = '' } = useParams();
  const { t, e } = useWords();
  const { api, can, session } = useSession();
  const { modal, message } = App.useApp();
  const navigate = useNavigate();
  const words = useRowWords();
  const [version, setVersion] = useState<Version>();
  const [rows, setRows] = useState<Row[]>([]);
  const [others, setOthers] = useState<Version[]>([]);
  const [against, setAgainst] = useState<string>();
  const [diff, setDiff] = useState<Diff>();
  const [error, setError] = useState<unknown>();
  const load = useCallback(async () => {
    const r = await api<{ version: Version; rows: Row[] }>('standards', 'GetVersion', { versionId: id });
    setVersion(r.version);
    setRows(r.rows);
    const list = await api<{ versions: Version[] }>('standards', 'ListVersions', { level: r.version.level, regionCode: r.version.regionCode, page: { pageSize: 200 } });
    setOthers(list.versions.filter((v) => v.id !== id));
    setAgainst((a) => a ?? (r.version.baseVersionId || undefined));
  }, [api, id]);
  useEffect(() => void load().catch(setError), [load]);
  useEffect(() => {
    if (!against) return setDiff(undefined);
    api<Diff>('standards', 'DiffVersions', { fromVersionId: against, toVersionId: id }).then(setDiff, setError);
    // Again after every edit of the draft (its revision).
  }, [api, against, id, version?.revision]);
  const act = (method: string, body: Record<string, unknown>) =>
    api('standards', method, { versionId: id, expectedRevision: version!.revision, ...body }).then(
      () => load(),
      (err: unknown) => setError(err),
    );
  if (!version) return <ErrorAlert error={error} />;
  const draft = version.status === 'VERSION_STATUS_DRAFT';
  /** One row's new amount (UpsertDraftRows at the revision seen: someone else's edit in between is refused). */
  const saveRow = async (row: Row, fen: string) => {
    const amount = row.perServiceYearAmount ? { perServiceYearAmount: { fen } } : { annualAmount: { fen } };
    try {
      await api('standards', 'UpsertDraftRows', { versionId: id, expectedRevision: version.revision, rows: [{ key: row.key, ...amount }] });
      await load();
      setError(undefined);
    } catch (err) {
      setError(err);
    }
  };
  const editable = version.status === 'VERSION_STATUS_DRAFT' || version.status === 'VERSION_STATUS_APPROVED';
  return (
    <Space direction="vertical" size="large" style={{ width: '100%' }}>
      <ErrorAlert error={error} />
      <Card
        title={version.title}
        extra={
          <Space>
            {can('approver') && version.status === 'VERSION_STATUS_DRAFT' && version.createdBy !== session?.subject && (
              <Button type="primary" onClick={() => modal.confirm({ title: t('confirmApproveVersion'), onOk: () => act('ApproveVersion', {}).then(() => message.success(t('approved'))) })}>
                {t('approve')}
              </Button>
            )}
            {can('clerk') && version.status === 'VERSION_STATUS_PUBLISHED' && (
              <ActionButton
                label={t('copyAsDraft')}
                fields={[
                  { name: 'title', label: t('title'), type: 'text' },
                  { name: 'documentNumber', label: t('documentNumber'), type: 'text', optional: true },
                  { name: 'source', label: t('source'), type: 'text' },
                  { name: 'effectiveFrom', label: t('effectiveDate'), type: 'date' },
                ]}
                run={async (body) => {
                  const r = await api<{ version: Version }>('standards', 'CreateDraft', { ...body, level: version.level, regionCode: version.regionCode, baseVersionId: version.id });
                  void navigate(`/standards/${r.version.id}`);
                }}
              />
            )}
            {can('clerk', 'approver') && editable && (
              <Button danger onClick={() => modal.confirm({ title: t('discard'), content: <Input id="discard-reason" aria-label={t('reason')} placeholder={t('reason')} />, onOk: () => act('DiscardDraft', { reason: (document.getElementById('discard-reason') as HTMLInputElement).value }) })}>
                {t('discard')}
              </Button>
            )}
          </Space>
        }
      >
        <Descriptions size="small" bordered column={3} data-testid="version">
          <Descriptions.Item label={t('status')}>
            <Tag color={statusColor[version.status]} data-testid="version-status">
              {e(version.status)}
            </Tag>
          </Descriptions.Item>
          <Descriptions.Item label={t('documentNumber')}>{version.documentNumber}</Descriptions.Item>
          <Descriptions.Item label={t('effectiveDate')}>{civil.toString(version.effectiveFrom)}</Descriptions.Item>
          <Descriptions.Item label={t('level')}>{`${e(version.level)} ${version.regionCode}`}</Descriptions.Item>
          <Descriptions.Item label={t('createdBy')}>{`${version.createdBy} ${shanghaiTime(version.createdAt)}`}</Descriptions.Item>
          <Descriptions.Item label={t('source')}>{version.source}</Descriptions.Item>
        </Descriptions>
      </Card>
      <Card
        title={t('compareWith')}
        extra={<Select aria-label={t('compareWith')} allowClear style={{ width: 360 }} value={against} onChange={setAgainst} options={others.map((v) => ({ value: v.id, label: `${civil.toString(v.effectiveFrom)} ${v.title} (${e(v.status)})` }))} />}
      >
        {diff ? (
          <>
            <Space style={{ marginBottom: 12 }}>
              <Tag color="green">{`${t('added')} ${diff.added.length}`}</Tag>
              <Tag color="orange">{`${t('changedRows')} ${diff.changed.length}`}</Tag>
              <Tag color="red">{`${t('removed')} ${diff.removed.length}`}</Tag>
              <Tag>{`${t('unchanged')} ${diff.unchangedCount ?? 0}`}</Tag>
            </Space>
            <Table<{ kind: string; key: RowKey; from: string; to: string }>
              data-testid="diff"
              size="small"
              pagination={false}
              rowKey={(r) => `${r.kind}${words.key(r.key)}`}
              dataSource={[
                ...diff.changed.map((c) => ({ kind: t('changedRows'), key: c.key, from: words.rule(c.from), to: words.rule(c.to) })),
                ...diff.added.map((r) => ({ kind: t('added'), key: r.key, from: '', to: words.rule(r) })),
                ...diff.removed.map((r) => ({ kind: t('removed'), key: r.key, from: words.rule(r), to: '' })),
              ]}
              columns={[
                { title: '', dataIndex: 'kind', width: 80 },
                { title: t('rowKey'), render: (_: unknown, r) => words.key(r.key) },
                { title: t('from'), dataIndex: 'from' },
                { title: t('to'), dataIndex: 'to' },
              ]}
            />
          </>
        ) : (
          t('noItems')
        )}
      </Card>
      {can('clerk') && version.status === 'VERSION_STATUS_PUBLISHED' && <IndexedDraftForm base={version} rows={rows} />}
      <Card title={`${t('rows')} (${rows.length})`}>
        <Table
          data-testid="rows"
          size="small"
          rowKey={(r) => words.key(r.key)}
          dataSource={rows}
          pagination={{ pageSize: 50 }}
          columns={[
            { title: t('rowKey'), render: (_: unknown, r: Row) => words.key(r.key) },
            { title: t('rule'), render: (_: unknown, r: Row) => (draft && can('clerk') && (r.annualAmount || r.perServiceYearAmount) ? <AmountCell row={r} words={words} save={saveRow} /> : words.rule(r)) },
          ]}
        />
      </Card>
    </Space>
  );
}

/** A draft's amount, edited in place in yuan (Enter or leaving the field saves it). */
function AmountCell({ row, words, save }: { row: Row; words: ReturnType<typeof useRowWords>; save(row: Row, fen: string): Promise<void> }) {
  const { t } = useWords();
  const amount = row.annualAmount ?? row.perServiceYearAmount!;
  const [text, setText] = useState(yuan(amount));
  const commit = () => {
    const m = moneyOf(text);
    if (m && m.fen !== String(BigInt(amount.fen))) void save(row, m.fen);
  };
  return (
    <Input
      aria-label={words.key(row.key)}
      value={text}
      status={moneyOf(text) ? undefined : 'error'}
      suffix={t(row.perServiceYearAmount ? 'perServiceYear' : 'perYear')}
      style={{ width: 240 }}
      onChange={(ev) => setText(ev.target.value)}
      onPressEnter={commit}
      onBlur={commit}
    />
  );
}

/** Yuan or a percentage as typed: at most 2 decimals (sent exactly: fen, basis points). */
const DECIMAL2 = /^\d{1,12}(\.\d{1,2})?$/;


/** ProposeIndexedDraft from a version: bands of rules (a raise in % or an increment in yuan); the new draft opens with its diff against the base. */
function IndexedDraftForm({ base, rows }: { base: Version; rows: Row[] }) {
  const { t, e } = useWords();
  const words = useRowWords();
  const { api } = useSession();
  const navigate = useNavigate();
  const [form] = Form.useForm();
  const [error, setError] = useState<unknown>();
  const submit = async (v: { title: string; documentNumber?: string; source: string; effectiveFrom: string; roundingUnit?: string; rules: RuleInput[] }) => {
    setError(undefined);
    const rules = v.rules.map((r) => ({
      category: r.category,
      ...(r.cause ? { cause: r.cause } : {}),
      gradeFrom: r.gradeFrom ?? 0,
      gradeTo: r.gradeTo ?? 0,
      ...(r.raisePercent ? { raiseBasisPoints: basisPointsOf(r.raisePercent) } : r.increment ? { increment: moneyOf(r.increment) } : {}),
    }));
    try {
      const res = await api<{ version: Version }>('standards', 'ProposeIndexedDraft', {
        baseVersionId: base.id,
        effectiveFrom: civil.fromString(v.effectiveFrom),
        title: v.title,
        documentNumber: v.documentNumber ?? '',
        source: v.source,
        rules,
        ...(v.roundingUnit ? { roundingUnit: moneyOf(v.roundingUnit) } : {}),
      });
      void navigate(`/standards/${res.version.id}`);
    } catch (err) {
      setError(showOnFields(form, err, (p) => ['title', 'source', 'effectiveFrom', 'documentNumber', 'rules', 'roundingUnit'].includes(String(p[0]))));
    }
  };
  const typed = Form.useWatch<RuleInput[] | undefined>('rules', form);
  const unit = Form.useWatch<string | undefined>('roundingUnit', form);
  const preview = useMemo(() => previewRows(rows, typed ?? [], unit), [rows, typed, unit]);
  return (
    <Card title={t('indexedDraft')}>
      <ErrorAlert error={error} />
      <Form form={form} layout="vertical" onFinish={submit} initialValues={{ source: base.source, rules: [{}] }} data-testid="indexed-draft">
        <Space wrap>
          <Form.Item label={t('title')} name="title" rules={[{ required: true, message: t('required') }]}>
            <Input style={{ width: 320 }} />
          </Form.Item>
          <Form.Item label={t('documentNumber')} name="documentNumber">
            <Input style={{ width: 240 }} />
          </Form.Item>
          <Form.Item label={t('effectiveDate')} name="effectiveFrom" rules={[{ required: true, pattern: /^\d{4}-\d{2}-01$/, message: 'YYYY-MM-01' }]}>
            <Input placeholder="YYYY-MM-01" style={{ width: 140 }} />
          </Form.Item>
          <Form.Item label={t('source')} name="source" rules={[{ required: true, message: t('required') }]}>
            <Input style={{ width: 320 }} />
          </Form.Item>
          <Form.Item label={t('roundingUnit')} name="roundingUnit" rules={[{ pattern: DECIMAL2, message: '10' }]}>
            <Input placeholder="10" style={{ width: 120 }} />
          </Form.Item>
        </Space>
        <Form.List name="rules">
          {(fields, { add, remove }) => (
            <>
              {fields.map((f) => (
                <Space key={f.key} wrap align="baseline">
                  <Form.Item label={t('category')} name={[f.name, 'category']} rules={[{ required: true, message: t('required') }]}>
                    <Select style={{ width: 220 }} options={enumOptions('CATEGORY_', e)} />
                  </Form.Item>
                  <Form.Item label={t('cause')} name={[f.name, 'cause']}>
                    <Select allowClear placeholder={t('any')} style={{ width: 110 }} options={enumOptions('DISABILITY_CAUSE_', e)} />
                  </Form.Item>
                  <Form.Item label={t('gradeFrom')} name={[f.name, 'gradeFrom']}>
                    <InputNumber min={1} max={10} precision={0} />
                  </Form.Item>
                  <Form.Item label={t('gradeTo')} name={[f.name, 'gradeTo']}>
                    <InputNumber min={1} max={10} precision={0} />
                  </Form.Item>
                  <Form.Item label={t('raisePercent')} name={[f.name, 'raisePercent']} rules={[{ pattern: DECIMAL2, message: '6.5' }]}>
                    <Input style={{ width: 110 }} placeholder="6" />
                  </Form.Item>
                  <Form.Item label={t('increment')} name={[f.name, 'increment']} rules={[{ pattern: DECIMAL2, message: '120.00' }]}>
                    <Input style={{ width: 130 }} />
                  </Form.Item>
                  {fields.length > 1 && <Button onClick={() => remove(f.name)}>−</Button>}
                </Space>
              ))}
              <Button onClick={() => add({})} style={{ marginBottom: 16 }}>
                {t('addRule')}
              </Button>
            </>
          )}
        </Form.List>
        <Table<PreviewRow>
          data-testid="indexed-preview"
          title={() => `${t('preview')} (${preview.length})`}
          size="small"
          pagination={{ pageSize: 10 }}
          rowKey={(r) => words.key(r.key)}
          dataSource={preview}
          locale={{ emptyText: t('noItems') }}
          columns={[
            { title: t('rowKey'), render: (_: unknown, r) => words.key(r.key) },
            { title: t('from'), render: (_: unknown, r) => `${yuan({ fen: r.from.toString() })}` },
            { title: t('to'), render: (_: unknown, r) => `${yuan({ fen: r.to.toString() })}` },
          ]}
          style={{ marginBottom: 16 }}
        />
        <div>
          <Button type="primary" htmlType="submit">
            {t('create')}
          </Button>
        </div>
      </Form>
    </Card>
  );
}
