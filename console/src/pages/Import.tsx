/**
 * Imports: a clerk uploads a legacy registry (CSV or XLSX); the rows go to ImportPersons in
 * batches of 100 under one idempotency key (the file's name and checksum), a progress bar follows
 * them, the rejected rows (the service's reason and field) are shown and downloadable, and an
 * interrupted import resumes where it stopped when the same file is chosen again.
 */
import { Alert, Button, Card, Progress, Space, Statistic, Table, Typography } from 'antd';
import Papa from 'papaparse';
import { useState } from 'react';
import { Link } from 'react-router-dom';
import { ErrorAlert } from '../errors';
import { download, toCsv } from '../export';
import { useWords } from '../i18n';
import { cellText, importKey, parseTable, templateHeader, type ParsedFile, type Table as Rows } from '../imports';
import { fieldOf } from '../registration';
import { useSession } from '../session';

/** Records per call: 100 rows of about 1 KB stay well under the gateway's body limit. */
const BATCH = 100;

interface Rejected {
  row: number;
  reason: string;
  field: string;
  message: string;
}
/** What is kept of an import in the browser until it is complete (a resume needs nothing else). */
interface ImportState {
  sent: number;
  accepted: number;
  rejected: Rejected[];
}
interface Result extends Rejected {
  accepted: boolean;
}

async function readTable(file: File, bytes: ArrayBuffer): Promise<Rows> {
  if (/\.xlsx$/i.test(file.name)) {
    const { default: ExcelJS } = await import('exceljs');
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(bytes);
    const sheet = wb.worksheets[0];
    const rows: Rows = [];
    sheet?.eachRow({ includeEmpty: true }, (row) => rows.push(((row.values as unknown[]) ?? []).slice(1).map(cellText)));
    return rows;
  }
  const text = new TextDecoder('utf-8').decode(bytes).replace(/^\uFEFF/, '');
  return Papa.parse<string[]>(text, { skipEmptyLines: true }).data;
}

export function ImportPage() {
  const { t } = useWords();
  const { api, session } = useSession();
  const [file, setFile] = useState<{ name: string; key: string; parsed: ParsedFile }>();
  const [progress, setProgress] = useState<ImportState>({ sent: 0, accepted: 0, rejected: [] });
  const [stored, setStored] = useState<ImportState>();
  const [busy, setBusy] = useState(false);
  const [change, setChange] = useState<{ changeId: string; status: string }>();
  const [error, setError] = useState<unknown>();
  const storeKey = (key: string) => `youfu.import.${session?.subject}.${key}`;

  const choose = async (f: File) => {
    setError(undefined);
    setChange(undefined);
    const bytes = await f.arrayBuffer();
    const key = await importKey(f.name, bytes);
    const parsed = parseTable(await readTable(f, bytes));
    setFile({ name: f.name, key, parsed });
    const saved = localStorage.getItem(storeKey(key));
    setStored(saved ? (JSON.parse(saved) as ImportState) : undefined);
    setProgress({ sent: 0, accepted: 0, rejected: [] });
  };

  const run = async (from: ImportState) => {
    if (!file) return;
    setBusy(true);
    setError(undefined);
    setStored(undefined);
    const { records } = file.parsed;
    let p = from;
    setProgress(p);
    try {
      for (let i = p.sent; i < records.length || (i === 0 && records.length === 0); i += BATCH) {
        const batch = records.slice(i, i + BATCH);
        const last = i + BATCH >= records.length;
        const body = [{ header: { idempotencyKey: file.key, description: file.name } }, ...batch.map((record) => ({ record })), ...(last ? [{ end: { recordCount: batch.length } }] : [])];
        const r = await api<{ results?: Result[]; summary?: { change?: { changeId: string; status: string } } }>('persons', 'ImportPersons', body);
        const results = r.results ?? [];
        p = {
          sent: i + batch.length,
          accepted: p.accepted + results.filter((x) => x.accepted).length,
          rejected: [...p.rejected, ...results.filter((x) => !x.accepted).map(({ row, reason, field, message }) => ({ row, reason, field, message }))],
        };
        localStorage.setItem(storeKey(file.key), JSON.stringify(p));
        setProgress(p);
        if (last) {
          setChange(r.summary?.change);
          localStorage.removeItem(storeKey(file.key));
          break;
        }
      }
    } catch (err) {
      // Kept: choosing the same file again resumes from the last batch answered.
      setError(err);
      setStored(p);
    } finally {
      setBusy(false);
    }
  };

  const total = file?.parsed.records.length ?? 0;
  const fieldWords = (apiPath: string) => {
    const f = fieldOf(apiPath);
    return f ? `${t(f.word)} (${apiPath})` : apiPath;
  };
  const errorsFile = () => {
    if (!file) return;
    const byRow = new Map(file.parsed.records.map((r, n) => [r.row, file.parsed.rows[n]!]));
    const columns = [
      { title: t('rowNo'), value: (x: Rejected) => String(x.row) },
      { title: t('field'), value: (x: Rejected) => x.field },
      { title: t('reasonCode'), value: (x: Rejected) => x.reason },
      { title: t('explanation'), value: (x: Rejected) => x.message },
      ...file.parsed.header.map((h, i) => ({ title: h, value: (x: Rejected) => byRow.get(x.row)?.[i] ?? '' })),
    ];
    download(`${file.name.replace(/\.[^.]+$/, '')}-errors.csv`, toCsv(progress.rejected, columns));
  };
  return (
    <Space direction="vertical" size="large" style={{ width: '100%' }}>
      <Card title={t('imports')}>
        <Typography.Paragraph type="secondary">{t('importHint')}</Typography.Paragraph>
        <Space wrap>
          <input
            id="import-file"
            type="file"
            accept=".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            aria-label={t('chooseFile')}
            disabled={busy}
            onChange={(ev) => {
              const f = ev.target.files?.[0];
              if (f) void choose(f).catch(setError);
            }}
          />
          <Button onClick={() => download('youfu-import-template.csv', toCsv<string[]>([], templateHeader().map((h) => ({ title: h, value: () => '' }))))}>{t('template')}</Button>
        </Space>
      </Card>
      <ErrorAlert error={error} />
      {file && (
        <Card title={file.name}>
          {file.parsed.unknownColumns.length > 0 && <Alert type="warning" showIcon style={{ marginBottom: 16 }} title={`${t('unreadable')}: ${file.parsed.unknownColumns.join('、')}`} />}
          {stored && !busy && (
            <Alert
              type="info"
              showIcon
              style={{ marginBottom: 16 }}
              title={`${t('importInterrupted')} ${stored.sent} ${t('rowsOf')} ${total}`}
              action={
                <Space>
                  <Button type="primary" onClick={() => void run(stored)}>
                    {t('resumeImport')}
                  </Button>
                </Space>
              }
            />
          )}
          {!stored && !busy && !change && progress.sent === 0 && (
            <Button type="primary" onClick={() => void run({ sent: 0, accepted: 0, rejected: [] })}>
              {`${t('imports')} (${total})`}
            </Button>
          )}
          <Progress data-testid="import-progress" percent={total ? Math.floor((progress.sent * 100) / total) : 0} status={busy ? 'active' : undefined} format={() => `${progress.sent} / ${total}`} />
          <Space size="large" style={{ marginTop: 8 }}>
            <Statistic title={t('acceptedRows')} value={progress.accepted} data-testid="import-accepted" />
            <Statistic title={t('rejectedRows')} value={progress.rejected.length} data-testid="import-rejected" />
          </Space>
          {change && (
            <Alert
              type="success"
              showIcon
              style={{ marginTop: 16 }}
              data-testid="import-done"
              title={
                <>
                  {t('importDone')} <Link to={`/changes/${change.changeId}`}>{change.changeId}</Link>
                </>
              }
            />
          )}
        </Card>
      )}
      {progress.rejected.length > 0 && (
        <Card title={`${t('rejectedRows')} (${progress.rejected.length})`} extra={<Button onClick={errorsFile}>{t('downloadErrors')}</Button>}>
          <Table<Rejected>
            data-testid="import-errors"
            rowKey="row"
            size="small"
            pagination={{ pageSize: 20 }}
            dataSource={progress.rejected}
            columns={[
              { title: t('rowNo'), dataIndex: 'row' },
              { title: t('field'), dataIndex: 'field', render: (x: string) => fieldWords(x) },
              { title: t('reasonCode'), dataIndex: 'reason' },
              { title: t('explanation'), dataIndex: 'message' },
            ]}
          />
        </Card>
      )}
    </Space>
  );
}
