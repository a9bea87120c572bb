/**
 * The bureau's staff console: a single-page app on the gateway's JSON door (console/README.md).
 */
import { App as AntApp, Button, ConfigProvider, Layout, Menu, Modal, Space, Spin, Tag, Typography } from 'antd';
import enUS from 'antd/locale/en_US';
import zhCN from 'antd/locale/zh_CN';
import dayjs from 'dayjs';
import 'dayjs/locale/zh-cn';
import { lazy, StrictMode, Suspense, useMemo, useState, type ComponentType } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter, Navigate, Route, Routes, useLocation, useNavigate } from 'react-router-dom';
import { enumWord, LangContext, WORDS, type Lang } from './i18n';
import { ChangePage } from './pages/Change';
import { PersonPage, PersonsPage } from './pages/Persons';
import { RegisterPage } from './pages/Register';
import { SignInPage } from './pages/SignIn';
import { WorkQueuePage } from './pages/WorkQueue';
import { SessionProvider, useSession } from './session';
import { useWords } from './i18n';

// The heavier screens (charts, spreadsheets) load when first opened.
const page = <K extends string>(load: () => Promise<Record<K, ComponentType>>, name: K) => lazy(() => load().then((m) => ({ default: m[name] })));
const AdjustmentsPage = page(() => import('./pages/Adjustments'), 'AdjustmentsPage');
const AdjustmentPage = page(() => import('./pages/Adjustments'), 'AdjustmentPage');
const ImportPage = page(() => import('./pages/Import'), 'ImportPage');
const PayrollPage = page(() => import('./pages/Payroll'), 'PayrollPage');
const CasesPage = page(() => import('./pages/Resettlement'), 'CasesPage');
const CasePage = page(() => import('./pages/Resettlement'), 'CasePage');
const SettlementPage = page(() => import('./pages/Settlement'), 'SettlementPage');
const StandardsPage = page(() => import('./pages/Standards'), 'StandardsPage');
const VersionPage = page(() => import('./pages/Standards'), 'VersionPage');

function Shell() {
  const { session, expired, setSession, can } = useSession();
  const { t, lang, setLang } = useWords();
  const navigate = useNavigate();
  const location = useLocation();
  if (!session) return <SignInPage />;
  const items = [
    { key: '/queue', label: t('workQueue') },
    { key: '/persons', label: t('persons') },
    ...(can('clerk') ? [{ key: '/register', label: t('register') }, { key: '/imports', label: t('imports') }] : []),
    { key: '/standards', label: t('standards') },
    { key: '/adjustments', label: t('adjustments') },
    { key: '/payroll', label: t('payroll') },
    { key: '/settlement', label: t('settlement') },
    { key: '/resettlement', label: t('resettlement') },
  ];
  const selected = items.find((i) => location.pathname.startsWith(i.key))?.key ?? '/queue';
  return (
    <Layout style={{ minHeight: '100vh' }}>
      <Modal open={expired} closable={false} footer={null} mask={{ closable: false }} width={480} title={null}>
        <SignInPage embedded />
      </Modal>
      <Layout.Header style={{ display: 'flex', alignItems: 'center', gap: 24 }}>
        <Typography.Title level={4} style={{ color: '#fff', margin: 0, whiteSpace: 'nowrap' }}>
          {t('appName')}
        </Typography.Title>
        <Space style={{ marginLeft: 'auto' }}>
          <Tag color="blue" data-testid="who">
            {session.subject} · {t(`role.${session.role}`)}
          </Tag>
          <Button size="small" onClick={() => setLang(lang === 'zh' ? 'en' : 'zh')}>
            {t('language')}
          </Button>
          <Button size="small" onClick={() => setSession(undefined)}>
            {t('signOut')}
          </Button>
        </Space>
      </Layout.Header>
      <Layout>
        <Layout.Sider width={180} theme="light">
          <Menu mode="inline" selectedKeys={[selected]} items={items} onClick={(i) => void navigate(i.key)} style={{ height: '100%' }} />
        </Layout.Sider>
        <Layout.Content style={{ padding: 24 }}>
          <Suspense fallback={<Spin />}>
            <Routes>
              <Route path="/queue" element={<WorkQueuePage />} />
              <Route path="/persons" element={<PersonsPage />} />
              <Route path="/persons/:id" element={<PersonPage />} />
              <Route path="/register" element={<RegisterPage />} />
              <Route path="/changes/:id" element={<ChangePage />} />
              <Route path="/standards" element={<StandardsPage />} />
              <Route path="/standards/:id" element={<VersionPage />} />
              <Route path="/adjustments" element={<AdjustmentsPage />} />
              <Route path="/adjustments/:id" element={<AdjustmentPage />} />
              <Route path="/payroll" element={<PayrollPage />} />
              <Route path="/imports" element={<ImportPage />} />
              <Route path="/settlement" element={<SettlementPage />} />
              <Route path="/resettlement" element={<CasesPage />} />
              <Route path="/resettlement/:id" element={<CasePage />} />
              <Route path="*" element={<Navigate to="/queue" replace />} />
            </Routes>
          </Suspense>
        </Layout.Content>
      </Layout>
    </Layout>
  );
}

function Root() {
  const [lang, setLangState] = useState<Lang>(() => (localStorage.getItem('youfu.lang') === 'en' ? 'en' : 'zh'));
  const words = useMemo(
    () => ({
      lang,
      t: (w: keyof (typeof WORDS)['zh']) => WORDS[lang][w],
      e: (v: string) => enumWord(lang, v),
      setLang: (l: Lang) => {
        localStorage.setItem('youfu.lang', l);
        document.documentElement.lang = l === 'zh' ? 'zh-CN' : 'en';
        setLangState(l);
      },
    }),
    [lang],
  );
  dayjs.locale(lang === 'zh' ? 'zh-cn' : 'en');
  return (
    <LangContext.Provider value={words}>
      <ConfigProvider locale={lang === 'zh' ? zhCN : enUS}>
        <AntApp>
          <SessionProvider>
            <BrowserRouter basename="/console">
              <Shell />
            </BrowserRouter>
          </SessionProvider>
        </AntApp>
      </ConfigProvider>
    </LangContext.Provider>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <Root />
  </StrictMode>,
);
