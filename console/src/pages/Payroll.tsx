/**
 * Payroll: a month's lines for anyone; for an approver, running the month (after a confirmation:
 * it moves money) and its totals, the suspended persons and the exceptions with their reasons; the
 * lines exported as CSV or XLSX for the bank, exactly as the API gave them.
 */
import { App, Button, Card, Descriptions, Input, Space, Table, Tag, Typography } from 'antd';
import { useCallback, useEffect, useState } from 'react';
import { Link } from 'react-router-dom';
import { everyPage, LARGEST_PAGE, shanghaiMonth, shanghaiTime, yearMonth, yuan } from '../api';
import { ErrorAlert } from '../errors';
import { Pager, usePages } from '../paging';
import { download, toCsv, toXlsx, type Column } from '../export';
import { useWords } from '../i18n';
import { useSession } from '../session';
import { ListTable } from '../table';

type Money = { fen: string };
interface Line {
  personId: string;
  nationalId: string;
  benefit: string;
  kind: string;
  forMonth?: { year: number; month: number };
  amount?: Money;
  payee?: { bank: string; accountNumber: string; accountName: string };
  category: string;
  districtCode: string;
}
interface Group {
  category?: string;
  districtCode?: string;
  amount?: Money;
  lines: number;
  persons: number;
}
interface Summary {
  month: { year: number; month: number };
  runBy: string;
  runAt?: string;
  total?: Money;
  regular?: Money;
  backPay?: Money;
  recovered?: Money;
  oneOff?: Money;
  lines: number;
  personsPaid: number;
  byCategory?: Group[];
  byDistrict?: Group[];
  skipped?: { personId: string; nationalId: string; status: string; reason: string }[];
  skippedCount?: number;
  exceptions?: { personId: string; nationalId: string; benefit: string; missing: string[] }[];
  exceptionCount?: number;
}


export function PayrollPage() {
  const { t, e } = useWords();
  const { api, can } = useSession();
  const { modal } = App.useApp();
  const [month, setMonth] = useState(shanghaiMonth);
  const [shown, setShown] = useState(month);
  const [summary, setSummary] = useState<Summary>();
  const [alreadyRun, setAlreadyRun] = useState(false);
  const [lines, setLines] = useState<Line[]>([]);
  const pages = usePages();
  const { token, setNext, reset } = pages;
  const [error, setError] = useState<unknown>();
  const page = useCallback(
    (pageToken: string, pageSize: number) => api<{ lines?: Line[]; page?: { nextPageToken: string } }>('persons', 'ListPayrollLines', { month: yearMonth.fromString(shown), page: { pageSize, pageToken } }),
    [api, shown],
  );
  useEffect(() => {
    page(token, 50).then((r) => {
      setLines(r.lines ?? []);
      setNext(r.page?.nextPageToken ?? '');
    }, setError);
  }, [page, token, setNext]);
  const show = (m: string) => {
    setSummary(undefined);
    setError(undefined);
    reset();
    setShown(m);
  };
  const run = () =>
    modal.confirm({
      title: t('runPayroll'),
      content: `${t('confirmRunPayroll')} ${month}`,
      onOk: () =>
        api<{ payroll: Summary; alreadyRun: boolean }>('persons', 'RunPayroll', { month: yearMonth.fromString(month) }).then(
          (r) => {
            show(month);
            setSummary(r.payroll);
            setAlreadyRun(r.alreadyRun);
          },
          (err: unknown) => setError(err),
        ),
    });
  const columns: Column<Line>[] = [
    { title: t('personId'), value: (l) => l.personId },
    { title: t('nationalId'), value: (l) => l.nationalId },
    { title: t('accountName'), value: (l) => l.payee?.accountName ?? '' },
    { title: t('bank'), value: (l) => l.payee?.bank ?? '' },
    { title: t('accountNumber'), value: (l) => l.payee?.accountNumber ?? '' },
    { title: t('benefit'), value: (l) => e(l.benefit) },
    { title: t('lineKind'), value: (l) => e(l.kind) },
    { title: t('forMonth'), value: (l) => yearMonth.toString(l.forMonth) },
    { title: t('amount'), value: (l) => yuan(l.amount) },
    { title: t('category'), value: (l) => e(l.category) },
    { title: t('district'), value: (l) => l.districtCode },
  ];
  const everyLine = () => everyPage((pageToken) => page(pageToken, LARGEST_PAGE).then((r) => ({ items: r.lines ?? [], next: r.page?.nextPageToken })));
  const exportAs = async (kind: 'csv' | 'xlsx') => {
    const all = await everyLine();
    const name = `payroll-${shown}`;
    if (kind === 'csv') download(`${name}.csv`, toCsv(all, columns));
    else download(`${name}.xlsx`, await toXlsx(shown, all, columns));
  };
  const groups = (first: string, word: (g: Group) => string) => [
    { title: first, render: (_: unknown, g: Group) => word(g) },
    { title: t('amount'), render: (_: unknown, g: Group) => yuan(g.amount) },
    { title: t('lines'), dataIndex: 'lines' },
    { title: t('personsCount'), dataIndex: 'persons' },
  ];
  return (
    <Space direction="vertical" size="large" style={{ width: '100%' }}>
      <Card title={t('payroll')}>
        <Space wrap>
          <label htmlFor="payroll-month">{t('month')}</label>
          <Input id="payroll-month" value={month} onChange={(ev) => setMonth(ev.target.value)} placeholder="YYYY-MM" style={{ width: 120 }} onPressEnter={() => show(month)} />
          <Button onClick={() => show(month)}>{t('search')}</Button>
          {can('approver') && (
            <Button type="primary" onClick={run}>
              {t('runPayroll')}
            </Button>
          )}
          <Button onClick={() => void exportAs('csv').catch(setError)}>{t('exportCsv')}</Button>
          <Button onClick={() => void exportAs('xlsx').catch(setError)}>{t('exportXlsx')}</Button>
        </Space>
        {!can('approver') && (
          <Typography.Paragraph type="secondary" style={{ marginTop: 12 }}>
            {t('payrollLinesHint')}
          </Typography.Paragraph>
        )}
      </Card>
      <ErrorAlert error={error} />
      {summary && (
        <Card title={`${t('payroll')} ${yearMonth.toString(summary.month)}`} extra={alreadyRun && <Tag color="blue">{t('alreadyRun')}</Tag>}>
          <Descriptions bordered size="small" column={4} data-testid="payroll-summary">
            <Descriptions.Item label={t('total')}>
              <span data-testid="payroll-total">{yuan(summary.total)}</span>
            </Descriptions.Item>
            <Descriptions.Item label={t('regular')}>{yuan(summary.regular)}</Descriptions.Item>
            <Descriptions.Item label={t('backPay')}>{yuan(summary.backPay)}</Descriptions.Item>
            <Descriptions.Item label={t('recovered')}>{yuan(summary.recovered)}</Descriptions.Item>
            <Descriptions.Item label={t('oneOff')}>{yuan(summary.oneOff)}</Descriptions.Item>
            <Descriptions.Item label={t('lines')}>
              <span data-testid="payroll-lines">{summary.lines}</span>
            </Descriptions.Item>
            <Descriptions.Item label={t('personsPaid')}>{summary.personsPaid}</Descriptions.Item>
            <Descriptions.Item label={t('runBy')}>{`${summary.runBy} ${shanghaiTime(summary.runAt)}`}</Descriptions.Item>
          </Descriptions>
          <Space align="start" wrap style={{ marginTop: 16 }}>
            <Table<Group> size="small" pagination={false} rowKey={(g) => g.category ?? ''} dataSource={summary.byCategory ?? []} columns={groups(t('category'), (g) => e(g.category ?? ''))} />
            <Table<Group> size="small" pagination={false} rowKey={(g) => g.districtCode ?? ''} dataSource={summary.byDistrict ?? []} columns={groups(t('district'), (g) => g.districtCode ?? '')} />
          </Space>
          <Typography.Title level={5} style={{ marginTop: 16 }}>{`${t('skipped')} (${summary.skippedCount ?? 0})`}</Typography.Title>
          <Table
            data-testid="payroll-skipped"
            size="small"
            pagination={{ pageSize: 10 }}
            rowKey="personId"
            dataSource={summary.skipped ?? []}
            locale={{ emptyText: t('noItems') }}
            columns={[
              { title: t('nationalId'), dataIndex: 'nationalId', render: (x: string, r: { personId: string }) => <Link to={`/persons/${r.personId}`}>{x}</Link> },
              { title: t('status'), dataIndex: 'status', render: (s: string) => e(s) },
              { title: t('reason'), dataIndex: 'reason' },
            ]}
          />
          <Typography.Title level={5} style={{ marginTop: 16 }}>{`${t('exceptions')} (${summary.exceptionCount ?? 0})`}</Typography.Title>
          <Table<NonNullable<Summary['exceptions']>[number]>
            data-testid="payroll-exceptions"
            size="small"
            pagination={{ pageSize: 10 }}
            rowKey={(r) => `${r.personId}${r.benefit}`}
            dataSource={summary.exceptions ?? []}
            locale={{ emptyText: t('noItems') }}
            columns={[
              { title: t('nationalId'), dataIndex: 'nationalId', render: (x: string, r) => <Link to={`/persons/${r.personId}`}>{x}</Link> },
              { title: t('benefit'), dataIndex: 'benefit', render: (s: string) => e(s) },
              { title: t('missing'), dataIndex: 'missing', render: (m: string[]) => m.join('、') },
            ]}
          />
        </Card>
      )}
      <Card title={`${t('payrollLines')} · ${shown}`}>
        <ListTable<Line>
          data-testid="payroll-lines-table"
          rowKey={(l) => `${l.personId}${l.benefit}${l.kind}${yearMonth.toString(l.forMonth)}`}
          dataSource={lines}
          columns={columns.map((c) => ({ title: c.title, key: c.title, render: (_: unknown, l: Line) => c.value(l) }))}
        />
        <Pager pages={pages} />
      </Card>
    </Space>
  );
}
