/**
 * An action on a record behind a button: a small form in a dialog (dates typed YYYY-MM-DD, yuan
 * typed as decimals — both sent exactly), the API's refusal shown at its field, or above the form.
 */
import { Button, Form, Input, Modal, Select, Space } from 'antd';
import { useId, useState, type ReactNode } from 'react';
import { basisPointsOf, civil, moneyOf } from './api';
import { ErrorAlert, showOnFields } from './errors';
import { useWords } from './i18n';

export interface ActionField {
  /** The request's field (JSON name). */
  name: string;
  label: string;
  /** yuan → { fen }; percent (≤ 2 decimals) → basis points; number → an integer. */
  type: 'text' | 'date' | 'yuan' | 'percent' | 'number' | 'select';
  options?: { value: string; label: string }[];
  optional?: boolean;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const YUAN = /^\d{1,13}(\.\d{1,2})?$/;

/** The request's fields from the form's text: dates → { year, month, day }, yuan → { fen }; empty optional fields left out. */
export function actionBody(fields: ActionField[], v: Record<string, string | undefined>) {
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    const x = v[f.name]?.trim();
    if (!x) continue;
    out[f.name] = f.type === 'date' ? civil.fromString(x) : f.type === 'yuan' ? moneyOf(x) : f.type === 'percent' ? basisPointsOf(x) : f.type === 'number' ? Number(x) : x;
  }
  return out;
}

export function ActionButton({ label, title, fields, danger, primary, confirm, run }: { label: string; title?: string; fields: ActionField[]; danger?: boolean; primary?: boolean; confirm?: ReactNode; run(body: Record<string, unknown>): Promise<unknown> }) {
  const { t } = useWords();
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [form] = Form.useForm();
  // Field ids unique on the page, whatever other forms it shows.
  const name = `action${useId().replace(/\W/g, '')}`;
  const submit = async (v: Record<string, string>) => {
    setBusy(true);
    setError(undefined);
    try {
      await run(actionBody(fields, v));
      setOpen(false);
      form.resetFields();
    } catch (err) {
      setError(showOnFields(form, err, (p) => fields.some((f) => f.name === p[0])));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <Button danger={danger} type={primary ? 'primary' : 'default'} onClick={() => setOpen(true)}>
        {label}
      </Button>
      <Modal open={open} title={title ?? label} okText={label} confirmLoading={busy} onOk={() => form.submit()} onCancel={() => setOpen(false)} destroyOnHidden>
        {confirm}
        <ErrorAlert error={error} />
        <Form form={form} name={name} layout="vertical" onFinish={submit}>
          {fields.map((f) => (
            <Form.Item
              key={f.name}
              name={f.name}
              label={f.label}
              rules={[
                ...(f.optional ? [] : [{ required: true, message: t('required') }]),
                ...(f.type === 'date' ? [{ pattern: DATE, message: 'YYYY-MM-DD' }] : f.type === 'yuan' || f.type === 'percent' ? [{ pattern: YUAN, message: '1234.56' }] : f.type === 'number' ? [{ pattern: /^\d{1,9}$/, message: '0–9' }] : []),
              ]}
            >
              {f.type === 'select' ? <Select options={f.options} /> : <Input placeholder={f.type === 'date' ? 'YYYY-MM-DD' : f.type === 'yuan' ? '0.00' : f.type === 'percent' ? '%' : undefined} />}
            </Form.Item>
          ))}
        </Form>
      </Modal>
    </>
  );
}

/** Approve and reject for a maker–checker proposal (the service refuses the proposer's own anyway). */
export function DecideButtons({ decide }: { decide(approve: boolean): Promise<unknown> }) {
  const { t } = useWords();
  return (
    <Space>
      <Button size="small" type="primary" onClick={() => void decide(true)}>
        {t('approve')}
      </Button>
      <Button size="small" danger onClick={() => void decide(false)}>
        {t('reject')}
      </Button>
    </Space>
  );
}
