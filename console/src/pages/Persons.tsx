import { Button, Card, Descriptions, Form, Input, Select, Space, Table, Tabs, Tag } from 'antd';
import { useCallback, useEffect, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { civil } from '../api';
import { ErrorAlert } from '../errors';
import { Pager, usePages } from '../paging';
import { enumOptions, useWords } from '../i18n';
import { useSession } from '../session';
import { ListTable } from '../table';
import { AuditTrail, Benefits, PersonPayroll, ProposeChange } from './PersonTabs';
import { ChangesTable, type Change } from './WorkQueue';

interface Person {
  personId: string;
  nationalIdMasked: string;
  name: string;
  districtCode: string;
  status: string;
  version: string;
  approvalDate?: { year: number; month: number; day: number };
  identities: { identityId: string; attributes: { category: string; disabilityGrade: number; cause: string }; effectiveFrom?: { year: number; month: number; day: number }; effectiveTo?: { year: number; month: number; day: number } }[];
  residence: string;
  gender: string;
  payee?: { bank: string; accountNumber: string; accountName: string };
}

/** The registry with filters (category, district, status) and paging. */
export function PersonsPage() {
  const { t, e } = useWords();
  const { api } = useSession();
  const [filters, setFilters] = useState<{ category?: string; districtCode?: string; status?: string }>({});
  const [persons, setPersons] = useState<Person[]>([]);
  const pages = usePages();
  const { token, setNext, reset } = pages;
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    api<{ persons: Person[]; page?: { nextPageToken: string } }>('persons', 'ListPersons', { ...filters, page: { pageSize: 20, pageToken: token } }).then(
      (r) => {
        setPersons(r.persons);
        setNext(r.page?.nextPageToken ?? '');
        setError(undefined);
      },
      (err: unknown) => setError(err),
    );
  }, [api, filters, token, setNext]);
  return (
    <Card title={t('persons')}>
      <Form
        layout="inline"
        style={{ marginBottom: 16 }}
        onFinish={(v: typeof filters) => {
          setFilters(Object.fromEntries(Object.entries(v).filter(([, x]) => x)));
          reset();
        }}
      >
        <Form.Item label={t('category')} name="category">
          <Select allowClear style={{ width: 220 }} placeholder={t('any')} options={enumOptions('CATEGORY_', e)} />
        </Form.Item>
        <Form.Item label={t('district')} name="districtCode">
          <Input style={{ width: 120 }} maxLength={6} />
        </Form.Item>
        <Form.Item label={t('status')} name="status">
          <Select allowClear style={{ width: 140 }} placeholder={t('any')} options={enumOptions('PERSON_STATUS_', e)} />
        </Form.Item>
        <Button htmlType="submit">{t('search')}</Button>
      </Form>
      <ErrorAlert error={error} />
      <ListTable<Person>
        data-testid="persons"
        rowKey="personId"
        dataSource={persons}
        columns={[
          { title: t('name'), dataIndex: 'name', render: (n: string, p) => <Link to={`/persons/${p.personId}`}>{n}</Link> },
          { title: t('nationalId'), dataIndex: 'nationalIdMasked' },
          { title: t('district'), dataIndex: 'districtCode' },
          { title: t('category'), dataIndex: 'identities', render: (ids: Person['identities']) => ids.map((i) => e(i.attributes.category)).join('、') },
          { title: t('status'), dataIndex: 'status', render: (s: string) => <Tag>{e(s)}</Tag> },
        ]}
      />
      <Pager pages={pages} />
    </Card>
  );
}

/** A person: identities, status, payee, and the change requests about them. */
export function PersonPage() {
  const { id = '' } = useParams();
  const { t, e } = useWords();
  const { api, can } = useSession();
  const navigate = useNavigate();
  const [person, setPerson] = useState<Person>();
  const [changes, setChanges] = useState<Change[]>([]);
  const [error, setError] = useState<unknown>();
  const load = useCallback(async () => {
    const [p, c] = await Promise.all([
      api<{ person: Person }>('persons', 'GetPerson', { personId: id }),
      api<{ changes: Change[] }>('persons', 'ListChangeRequests', { personId: id, page: { pageSize: 100 } }),
    ]);
    setPerson(p.person);
    setChanges(c.changes);
  }, [api, id]);
  useEffect(() => void load().catch(setError), [load]);
  const details = person && (
    <>
      <Descriptions bordered size="small" column={2} data-testid="person">
        <Descriptions.Item label={t('status')}>{e(person.status)}</Descriptions.Item>
        <Descriptions.Item label={t('version')}>{person.version}</Descriptions.Item>
        <Descriptions.Item label={t('gender')}>{e(person.gender)}</Descriptions.Item>
        <Descriptions.Item label={t('residence')}>{e(person.residence)}</Descriptions.Item>
        <Descriptions.Item label={t('district')}>{person.districtCode}</Descriptions.Item>
        <Descriptions.Item label={t('approvalDate')}>{civil.toString(person.approvalDate)}</Descriptions.Item>
        <Descriptions.Item label={t('bank')}>{person.payee?.bank}</Descriptions.Item>
        <Descriptions.Item label={t('accountNumber')}>{person.payee?.accountNumber}</Descriptions.Item>
      </Descriptions>
      <Table
        style={{ marginTop: 16 }}
        rowKey="identityId"
        size="small"
        pagination={false}
        dataSource={person.identities}
        columns={[
          { title: t('identity'), render: (_: unknown, i: Person['identities'][number]) => e(i.attributes.category) },
          { title: t('disabilityGrade'), render: (_: unknown, i: Person['identities'][number]) => i.attributes.disabilityGrade || '' },
          { title: t('cause'), render: (_: unknown, i: Person['identities'][number]) => (i.attributes.cause === 'DISABILITY_CAUSE_UNSPECIFIED' ? '' : e(i.attributes.cause)) },
          { title: t('effectiveFrom'), render: (_: unknown, i: Person['identities'][number]) => `${civil.toString(i.effectiveFrom)} – ${civil.toString(i.effectiveTo)}` },
        ]}
      />
      <Card title={t('change')} size="small" style={{ marginTop: 16 }}>
        <ChangesTable changes={changes} testId="person-changes" />
      </Card>
    </>
  );
  return (
    <Space direction="vertical" style={{ width: '100%' }} size="large">
      <ErrorAlert error={error} />
      {person && (
        <Card title={`${person.name} · ${person.nationalIdMasked}`}>
          <Tabs
            items={[
              { key: 'details', label: t('details'), children: details },
              { key: 'benefits', label: t('benefits'), children: <Benefits personId={id} /> },
              { key: 'payroll', label: t('payrollLines'), children: <PersonPayroll personId={id} /> },
              { key: 'audit', label: t('auditTrail'), children: <AuditTrail personId={id} /> },
            ]}
          />
        </Card>
      )}
      {person && can('clerk') && <ProposeChange personId={id} version={person.version} identities={person.identities} onProposed={(changeId) => void navigate(`/changes/${changeId}`)} />}
    </Space>
  );
}
