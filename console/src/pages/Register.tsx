import { App, Button, Card, Col, Form, Input, InputNumber, Row, Select, Typography } from 'antd';
import { useState } from 'react';
import { useNavigate } from 'react-router-dom';
import { ErrorAlert, showOnFields } from '../errors';
import { enumOptions, useWords } from '../i18n';
import { FIELDS, personRequest, type Field, type PersonValues } from '../registration';
import { useSession } from '../session';

/** The form's values: ProposeRegistrationRequest's JSON, with dates typed as YYYY-MM-DD. */
interface Values {
  person: PersonValues;
}
const draftKey = (subject: string) => `youfu.draft.register.${subject}`;

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
      const r = await api<{ change: { changeId: string } }>('persons', 'ProposeRegistration', { person: personRequest(v.person) });
      localStorage.removeItem(key);
      void message.success(t('proposed'));
      void navigate(`/changes/${r.change.changeId}`);
    } catch (err) {
      setError(showOnFields(form, err, (path) => path[0] === 'person'));
    } finally {
      setBusy(false);
    }
  };
  const input = (f: Field) =>
    f.kind === 'enum' ? <Select allowClear={!f.required} options={enumOptions(f.prefix!, e)} /> : f.kind === 'date' ? <Input {...date} /> : f.kind === 'grade' ? <InputNumber min={0} max={10} style={{ width: '100%' }} /> : <Input maxLength={f.path[0] === 'nationalId' ? 18 : f.path[0] === 'districtCode' ? 6 : undefined} />;
  return (
    <Card title={t('register')}>
      <Typography.Paragraph type="secondary">{t('draftKept')}</Typography.Paragraph>
      <ErrorAlert error={error} />
      <Form form={form} layout="vertical" initialValues={initial} onFinish={onFinish} onValuesChange={(_, all) => localStorage.setItem(key, JSON.stringify(all))}>
        <Row gutter={16}>
          {FIELDS.map((f) => (
            <Col span={8} key={f.path.join('.')}>
              <Form.Item name={['person', ...f.path]} label={t(f.word)} rules={f.required ? [{ required: true }] : []}>
                {input(f)}
              </Form.Item>
            </Col>
          ))}
        </Row>
        <Button type="primary" htmlType="submit" loading={busy}>
          {t('submit')}
        </Button>
      </Form>
    </Card>
  );
}
