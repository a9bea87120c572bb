import { App, Button, Card, Col, Form, Input, InputNumber, Row, Select, Typography } from 'antd';
import { useState } from 'react';
import { useNavigate } from 'react-router-dom';
import { civil } from '../api';
import { ErrorAlert, showOnFields } from '../errors';
import { enumOptions, useWords } from '../i18n';
import { useSession } from '../session';

/** The form's values: ProposeRegistrationRequest's JSON, with dates typed as YYYY-MM-DD. */
interface Values {
  person: {
    nationalId: string;
    name: string;
    gender: string;
    birthDate: string;
    districtCode: string;
    residence: string;
    contact?: { phone?: string; address?: string };
    approvalDate: string;
    payee: { bank: string; accountNumber: string; accountName: string };
    identities: { attributes: { category: string; disabilityGrade?: number; cause?: string }; effectiveFrom: string }[];
  };
}
const DATES = ['birthDate', 'approvalDate'] as const;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const draftKey = (subject: string) => `youfu.draft.register.${subject}`;

/** The request the API takes: dates as { year, month, day }; a malformed date is left for the API to refuse by its field. */
function request(v: Values) {
  const date = (s: string) => (DATE.test(s ?? '') ? civil.fromString(s) : undefined);
  const p = v.person;
  return {
    person: {
      ...p,
      ...Object.fromEntries(DATES.map((k) => [k, date(p[k])])),
      identities: p.identities.map((i) => ({ attributes: { ...i.attributes, disabilityGrade: i.attributes.disabilityGrade ?? 0 }, effectiveFrom: date(i.effectiveFrom) })),
    },
  };
}

/** A clerk proposes a registration; an approver decides it (work queue). The services validate; their refusals land on the fields. */
export function RegisterPage() {
  const { t, e } = useWords();
  const { api, session } = useSession();
  const { message } = App.useApp();
  const navigate = useNavigate();
  const [form] = Form.useForm<Values>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const key = draftKey(session?.subject ?? '');
  const saved = localStorage.getItem(key);
  const initial: Partial<Values> = saved ? (JSON.parse(saved) as Values) : { person: { identities: [{ attributes: { category: 'CATEGORY_DISABLED_SERVICEMAN' } }] } as any };
  const date = { placeholder: 'YYYY-MM-DD', maxLength: 10 };
  const onFinish = async (v: Values) => {
    setBusy(true);
    setError(undefined);
    try {
      const r = await api<{ change: { changeId: string } }>('persons', 'ProposeRegistration', request(v));
      localStorage.removeItem(key);
      void message.success(t('proposed'));
      void navigate(`/changes/${r.change.changeId}`);
    } catch (err) {
      setError(showOnFields(form, err, (path) => path[0] === 'person'));
    } finally {
      setBusy(false);
    }
  };
  const item = (name: (string | number)[], label: string, input = <Input />, required = true) => (
    <Col span={8}>
      <Form.Item name={['person', ...name]} label={label} rules={required ? [{ required: true }] : []}>
        {input}
      </Form.Item>
    </Col>
  );
  return (
    <Card title={t('register')}>
      <Typography.Paragraph type="secondary">{t('draftKept')}</Typography.Paragraph>
      <ErrorAlert error={error} />
      <Form form={form} layout="vertical" initialValues={initial} onFinish={onFinish} onValuesChange={(_, all) => localStorage.setItem(key, JSON.stringify(all))}>
        <Row gutter={16}>
          {item(['nationalId'], t('nationalId'), <Input maxLength={18} />)}
          {item(['name'], t('name'))}
          {item(['gender'], t('gender'), <Select options={enumOptions('GENDER_', e)} />)}
          {item(['birthDate'], t('birthDate'), <Input {...date} />)}
          {item(['districtCode'], t('district'), <Input maxLength={6} />)}
          {item(['residence'], t('residence'), <Select options={enumOptions('RESIDENCE_', e)} />)}
          {item(['approvalDate'], t('approvalDate'), <Input {...date} />)}
          {item(['contact', 'phone'], t('phone'), <Input />, false)}
          {item(['contact', 'address'], t('address'), <Input />, false)}
          {item(['payee', 'bank'], t('bank'))}
          {item(['payee', 'accountNumber'], t('accountNumber'))}
          {item(['payee', 'accountName'], t('accountName'))}
          {item(['identities', 0, 'attributes', 'category'], t('identity'), <Select options={enumOptions('CATEGORY_', e)} />)}
          {item(['identities', 0, 'attributes', 'disabilityGrade'], t('disabilityGrade'), <InputNumber min={0} max={10} style={{ width: '100%' }} />, false)}
          {item(['identities', 0, 'attributes', 'cause'], t('cause'), <Select allowClear options={enumOptions('DISABILITY_CAUSE_', e)} />, false)}
          {item(['identities', 0, 'effectiveFrom'], t('effectiveFrom'), <Input {...date} />)}
        </Row>
        <Button type="primary" htmlType="submit" loading={busy}>
          {t('submit')}
        </Button>
      </Form>
    </Card>
  );
}
