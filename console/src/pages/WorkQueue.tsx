import { Card, Table, Tag } from 'antd';
import { useEffect, useState } from 'react';
import { Link } from 'react-router-dom';
import { shanghaiTime } from '../api';
import { ErrorAlert } from '../errors';
import { useWords } from '../i18n';
import { useSession } from '../session';
import { ListTable } from '../table';
import { PendingItems } from './PendingItems';

export interface Change {
  changeId: string;
  kind: string;
  status: string;
  personId: string;
  nationalIdMasked: string;
  summary: string;
  proposedBy: string;
  proposedAt: string;
  decidedBy: string;
  decisionNote: string;
  effectiveDate?: { year: number; month: number; day: number };
}

export function ChangesTable({ changes, testId }: { changes: Change[]; testId: string }) {
  const { t, e } = useWords();
  return (
    <Table<Change>
      data-testid={testId}
      rowKey="changeId"
      size="small"
      dataSource={changes}
      pagination={{ pageSize: 20 }}
      locale={{ emptyText: t('noItems') }}
      columns={[
        { title: t('kind'), dataIndex: 'kind', render: (k: string) => e(k) },
        { title: t('status'), dataIndex: 'status', render: (s: string) => <Tag>{e(s)}</Tag> },
        { title: t('summary'), dataIndex: 'summary' },
        { title: t('proposedBy'), dataIndex: 'proposedBy' },
        { title: t('proposedAt'), dataIndex: 'proposedAt', render: (s: string) => shanghaiTime(s) },
        { title: '', dataIndex: 'changeId', render: (id: string) => <Link to={`/changes/${id}`}>{t('open')}</Link> },
      ]}
    />
  );
}

/** Change requests waiting for me (an approver: every proposal but my own) and my own proposals. */
export function WorkQueuePage() {
  const { t } = useWords();
  const { api, session, can } = useSession();
  const [proposed, setProposed] = useState<Change[]>([]);
  const [mine, setMine] = useState<Change[]>([]);
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    let live = true;
    (async () => {
      const waiting = await api<{ changes: Change[] }>('persons', 'ListChangeRequests', { status: 'CHANGE_STATUS_PROPOSED', page: { pageSize: 200 } });
      // An empty proposer would match everyone's.
      const all = session?.subject ? await api<{ changes: Change[] }>('persons', 'ListChangeRequests', { proposedBy: session.subject, page: { pageSize: 200 } }) : { changes: [] };
      if (!live) return;
      setProposed(waiting.changes.filter((c) => c.proposedBy !== session?.subject));
      setMine(all.changes);
    })().catch((e: unknown) => live && setError(e));
    return () => {
      live = false;
    };
  }, [api, session?.subject]);
  return (
    <>
      <ErrorAlert error={error} />
      {can('approver') && (
        <Card title={t('waitingForMe')} style={{ marginBottom: 24 }}>
          <ChangesTable changes={proposed} testId="waiting" />
        </Card>
      )}
      <Card title={t('myProposals')} style={{ marginBottom: 24 }}>
        <ChangesTable changes={mine} testId="mine" />
      </Card>
      <PendingItems />
      {can('approver') && <RunsAwaitingMe />}
      <OverdueCases />
    </>
  );
}

/** Annual adjustments simulated and waiting for an approver other than their starter. */
function RunsAwaitingMe() {
  const { t, e } = useWords();
  const { api, session } = useSession();
  const [runs, setRuns] = useState<{ runId: string; phase: string; startedBy: string; updatedAt?: string }[]>([]);
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    api<{ adjustments?: { runId: string; phase: string; startedBy: string; updatedAt?: string }[] }>('adjustment', 'ListAdjustments', { page: { pageSize: 100 } }).then(
      (r) => setRuns((r.adjustments ?? []).filter((a) => a.phase === 'PHASE_AWAITING_APPROVAL' && a.startedBy !== session?.subject)),
      setError,
    );
  }, [api, session?.subject]);
  return (
    <Card title={t('runsAwaitingMe')} size="small" style={{ marginTop: 24 }}>
      <ErrorAlert error={error} />
      <ListTable
        data-testid="runs-waiting"
        rowKey="runId"
        dataSource={runs}
        columns={[
          { title: t('adjustments'), dataIndex: 'runId', render: (id: string) => <Link to={`/adjustments/${encodeURIComponent(id)}`}>{id}</Link> },
          { title: t('phase'), dataIndex: 'phase', render: (p: string) => e(p) },
          { title: t('startedBy'), dataIndex: 'startedBy' },
          { title: t('updatedAt'), dataIndex: 'updatedAt', render: (x: string) => shanghaiTime(x) },
        ]}
      />
    </Card>
  );
}

/** Resettlement cases with a missed deadline. */
function OverdueCases() {
  const { t, e } = useWords();
  const { api } = useSession();
  const [cases, setCases] = useState<{ caseId: string; name: string; status: string; district: string; missed?: string[] }[]>([]);
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    api<{ cases?: { caseId: string; name: string; status: string; district: string; missed?: string[] }[] }>('resettlement', 'ListCases', { overdue: true, page: { pageSize: 50 } }).then((r) => setCases(r.cases ?? []), setError);
  }, [api]);
  return (
    <Card title={t('overdueCases')} size="small" style={{ marginTop: 24 }}>
      <ErrorAlert error={error} />
      <ListTable
        data-testid="overdue-cases"
        rowKey="caseId"
        dataSource={cases}
        columns={[
          { title: t('name'), dataIndex: 'name', render: (n: string, c: { caseId: string }) => <Link to={`/resettlement/${c.caseId}`}>{n}</Link> },
          { title: t('district'), dataIndex: 'district' },
          { title: t('status'), dataIndex: 'status', render: (s: string) => e(s) },
          { title: t('missedDeadlines'), dataIndex: 'missed', render: (m?: string[]) => (m ?? []).map((d) => e(d)).join('、') },
        ]}
      />
    </Card>
  );
}
