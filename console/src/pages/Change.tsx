import { Alert, App, Button, Card, Descriptions, Form, Input, Modal, Space, Tag } from 'antd';
import { useCallback, useEffect, useState } from 'react';
import { Link, useParams } from 'react-router-dom';
import { civil } from '../api';
import { BeforeAfter } from '../diff';
import { ErrorAlert } from '../errors';
import { useWords } from '../i18n';
import { useSession } from '../session';
import type { Change } from './WorkQueue';

/** One change request; an approver decides it here (the services refuse the proposer's own, and any clerk). */
export function ChangePage() {
  const { id = '' } = useParams();
  const { t, e } = useWords();
  const { api, can } = useSession();
  const { message } = App.useApp();
  const [change, setChange] = useState<Change>();
  // The person before / after (masked snapshots): pending, the change applied to them as they stand; approved, as recorded.
  const [shown, setShown] = useState<{ before?: string; after?: string; problem?: string }>({});
  const [error, setError] = useState<unknown>();
  const [rejecting, setRejecting] = useState(false);
  const [approving, setApproving] = useState(false);
  const [form] = Form.useForm<{ reason: string }>();
  const load = useCallback(
    () =>
      api<{ change: Change; before?: string; after?: string; problem?: string }>('persons', 'GetChangeRequest', { changeId: id }).then(
        ({ change: c, ...rest }) => {
          setChange(c);
          setShown(rest);
        },
        (err: unknown) => setError(err),
      ),
    [api, id],
  );
  useEffect(() => void load(), [load]);
  const decide = async (method: 'ApproveChange' | 'RejectChange', body: object) => {
    setError(undefined);
    try {
      await api('persons', method, { changeId: id, ...body });
      void message.success(method === 'ApproveChange' ? t('approved') : t('rejected'));
      await load();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <Card title={`${t('change')} ${id}`}>
      <ErrorAlert error={error} />
      {change && (
        <Descriptions bordered column={1} size="small" data-testid="change">
          <Descriptions.Item label={t('kind')}>{e(change.kind)}</Descriptions.Item>
          <Descriptions.Item label={t('status')}>
            <Tag data-testid="change-status">{e(change.status)}</Tag>
          </Descriptions.Item>
          <Descriptions.Item label={t('summary')}>{change.summary}</Descriptions.Item>
          <Descriptions.Item label={t('nationalId')}>{change.nationalIdMasked}</Descriptions.Item>
          <Descriptions.Item label={t('effectiveDate')}>{civil.toString(change.effectiveDate)}</Descriptions.Item>
          <Descriptions.Item label={t('proposedBy')}>{change.proposedBy}</Descriptions.Item>
          {change.decidedBy && <Descriptions.Item label={t('approve')}>{`${change.decidedBy} ${change.decisionNote}`}</Descriptions.Item>}
          {change.personId && change.status === 'CHANGE_STATUS_APPROVED' && (
            <Descriptions.Item label={t('persons')}>
              <Link to={`/persons/${change.personId}`}>{change.personId}</Link>
            </Descriptions.Item>
          )}
        </Descriptions>
      )}
      {shown.problem && <Alert style={{ marginTop: 16 }} type="warning" showIcon data-testid="change-problem" message={shown.problem} />}
      {shown.after && (
        <div style={{ marginTop: 16 }}>
          <BeforeAfter before={shown.before ?? ''} after={shown.after} testId="change-diff" />
        </div>
      )}
      {change?.status === 'CHANGE_STATUS_PROPOSED' && can('approver') && (
        <Space style={{ marginTop: 16 }}>
          <Button type="primary" onClick={() => setApproving(true)}>
            {t('approve')}
          </Button>
          <Button danger onClick={() => setRejecting(true)}>
            {t('reject')}
          </Button>
        </Space>
      )}
      <Modal
        open={approving}
        title={t('approve')}
        okText={t('approve')}
        onOk={async () => {
          setApproving(false);
          await decide('ApproveChange', {});
        }}
        onCancel={() => setApproving(false)}
      >
        {t('confirmApprove')}
      </Modal>
      <Modal open={rejecting} title={t('reject')} okText={t('reject')} okButtonProps={{ danger: true }} onOk={() => form.submit()} onCancel={() => setRejecting(false)}>
        <Form
          form={form}
          layout="vertical"
          onFinish={async (v) => {
            setRejecting(false);
            await decide('RejectChange', { reason: v.reason });
          }}
        >
          <Form.Item label={t('reason')} name="reason" rules={[{ required: true, whitespace: true }]}>
            <Input.TextArea rows={3} />
          </Form.Item>
        </Form>
      </Modal>
    </Card>
  );
}
