import { Button, Card, Divider, Form, Input, Select, Spin, Typography } from 'antd';
import { useEffect, useState } from 'react';
import { consoleConfig, devSignIn, type ConsoleConfig, type Session } from '../api';
import { CALLBACK_PATH, completeSignIn, startSignIn } from '../oidc';
import { ErrorAlert } from '../errors';
import { useWords } from '../i18n';
import { useSession } from '../session';

/**
 * Signing in: at the bureau's identity provider when it is configured (authorization code + PKCE,
 * oidc.ts), and outside production with the development sign-in (a role and a name, a token from
 * the development issuer).
 */
export function SignInPage({ embedded = false }: { embedded?: boolean }) {
  const { t } = useWords();
  const { setSession } = useSession();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [config, setConfig] = useState<ConsoleConfig>();
  const callback = location.pathname === CALLBACK_PATH;
  useEffect(() => void consoleConfig().then(setConfig, setError), []);
  useEffect(() => {
    if (!callback) return;
    completeSignIn(location.search).then(
      (s) => {
        history.replaceState(null, '', '/console/');
        setSession(s);
      },
      (e: unknown) => {
        history.replaceState(null, '', '/console/');
        setError(e);
      },
    );
  }, [callback, setSession]);
  if (!config || (callback && !error)) return <Spin style={{ display: 'block', marginTop: 160 }} />;
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
    <div style={{ display: 'flex', justifyContent: 'center', paddingTop: embedded ? 0 : 96 }}>
      <Card title={`${t('appName')} · ${t('signIn')}`} style={{ width: 440 }} variant={embedded ? 'borderless' : 'outlined'}>
        {expired && <Typography.Paragraph type="warning">{t('sessionExpired')}</Typography.Paragraph>}
        <ErrorAlert error={error} />
        {config.oidc && (
          <Button type="primary" block onClick={() => void startSignIn(config.oidc!).catch(setError)}>
            {t('oidcSignIn')}
          </Button>
        )}
        {config.oidc && config.devSignIn && <Divider />}
        {config.devSignIn && <Typography.Title level={5}>{t('devSignIn')}</Typography.Title>}
        {config.devSignIn && <Typography.Paragraph type="secondary">{t('devSignInHint')}</Typography.Paragraph>}
        {config.devSignIn && (
          <Form name="devSignIn" layout="vertical" onFinish={onFinish} initialValues={{ role: 'clerk' }}>
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
        )}
      </Card>
    </div>
  );
}
