import { Button, Card, Form, Input, Select, Typography } from 'antd';
import { useState } from 'react';
import { devSignIn, type Session } from '../api';
import { ErrorAlert } from '../errors';
import { useWords } from '../i18n';
import { useSession } from '../session';

/** The development sign-in: a role and a name, a token from the development issuer (outside production only). */
export function SignInPage() {
  const { t } = useWords();
  const { setSession } = useSession();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const expired = sessionStorage.getItem('youfu.expired') === '1';
  const onFinish = async (v: { role: Session['role']; subject: string }) => {
    setBusy(true);
    try {
      setSession(await devSignIn(v.role, v.subject.trim()));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div style={{ display: 'flex', justifyContent: 'center', paddingTop: 96 }}>
      <Card title={`${t('appName')} · ${t('devSignIn')}`} style={{ width: 440 }}>
        <Typography.Paragraph type="secondary">{t('devSignInHint')}</Typography.Paragraph>
        {expired && <Typography.Paragraph type="warning">{t('sessionExpired')}</Typography.Paragraph>}
        <ErrorAlert error={error} />
        <Form layout="vertical" onFinish={onFinish} initialValues={{ role: 'clerk' }}>
          <Form.Item label={t('role')} name="role" rules={[{ required: true }]}>
            <Select
              aria-label={t('role')}
              options={(['clerk', 'approver', 'auditor'] as const).map((r) => ({ value: r, label: t(`role.${r}`) }))}
            />
          </Form.Item>
          <Form.Item label={t('name')} name="subject" rules={[{ required: true, whitespace: true }]}>
            <Input autoComplete="username" />
          </Form.Item>
          <Button type="primary" htmlType="submit" loading={busy} block>
            {t('signIn')}
          </Button>
        </Form>
      </Card>
    </div>
  );
}
