import { ReactNode, Suspense } from 'react';
import { BrowserRouter, Navigate, Route, Routes, useLocation } from 'react-router-dom';
import { App as AntApp, Flex, Spin } from 'antd';
import { I18nProvider } from './i18n';
import { SessionProvider, useSession } from './session';
import { Shell } from './Shell';
import { PageEntry, SECTIONS, SectionEntry } from './sections';
import { allows, ROLE_SETS } from './roles';
import { ComingSoon, ErrorState, NotFound, PageSpinner } from './ui';
import { ApiError } from './api';
import { LoginPage } from '../login/LoginPage';

function FullScreenSpinner() {
  return (
    <Flex justify="center" align="center" style={{ minHeight: '100vh' }}>
      <Spin size="large" />
    </Flex>
  );
}

/** Pages behind the sign-in: an anonymous visitor goes to /login and comes back after. */
function RequireAuth({ children }: { children: ReactNode }) {
  const { state } = useSession();
  const location = useLocation();
  if (state.status === 'loading') return <FullScreenSpinner />;
  if (state.status === 'anonymous') return <Navigate to="/login" replace state={{ from: location.pathname + location.search, expired: state.expired }} />;
  return <>{children}</>;
}

function LoginRoute() {
  const { state } = useSession();
  const location = useLocation();
  if (state.status === 'loading') return <FullScreenSpinner />;
  if (state.status === 'signed-in') {
    const from = (location.state as { from?: string } | null)?.from;
    return <Navigate to={from && from !== '/login' ? from : '/'} replace />;
  }
  return <LoginPage />;
}

const FORBIDDEN = new ApiError(403, 'forbidden', 'forbidden');

/** A page the role may open, or the hub's own answer (403) said in the console's words. */
function Gate({ entry }: { entry: PageEntry }) {
  const { state } = useSession();
  const role = state.status === 'signed-in' ? state.me.staff.role : undefined;
  if (!allows(entry.roles, role)) return <ErrorState error={FORBIDDEN} />;
  // The business requires a second factor for owners and admins: until it is on, only Security opens.
  const me = state.status === 'signed-in' ? state.me : undefined;
  if (me?.business.settings.requireMfaForAdmins && allows(ROLE_SETS.admins, role) && !me.staff.mfaEnabled && entry.path !== 'settings/security') {
    return <Navigate to="/settings/security" replace />;
  }
  if (!entry.page) return <ComingSoon titleKey={entry.title} />;
  const Page = entry.page;
  return (
    <Suspense fallback={<PageSpinner />}>
      <Page />
    </Suspense>
  );
}

/** /admin/settings -> the first page of the section this role may open. */
function SectionIndex({ section }: { section: SectionEntry }) {
  const { state } = useSession();
  const role = state.status === 'signed-in' ? state.me.staff.role : undefined;
  const first = section.children?.find((c) => c.page && allows(c.roles, role));
  if (first) return <Navigate to={`/${first.path}`} replace />;
  return <Gate entry={{ ...section, page: undefined }} />;
}

function pageRoutes(e: PageEntry): ReactNode[] {
  return [
    <Route key={e.path} path={e.path} element={<Gate entry={e} />} />,
    ...(e.subpages ?? []).map((sub) => <Route key={sub.path} path={sub.path} element={<Gate entry={{ ...e, page: sub.page }} />} />),
  ];
}

function sectionRoutes(): ReactNode[] {
  const routes: ReactNode[] = [];
  for (const s of SECTIONS) {
    if (s.path === '') routes.push(<Route key="home" index element={<Gate entry={s} />} />);
    else if (s.children) {
      routes.push(<Route key={s.path} path={s.path} element={<SectionIndex section={s} />} />);
      for (const c of s.children) routes.push(...pageRoutes(c));
    } else routes.push(...pageRoutes(s));
  }
  return routes;
}

export function App() {
  return (
    <I18nProvider>
      <AntApp>
        <SessionProvider>
          <BrowserRouter basename="/admin">
            <Routes>
              <Route path="login" element={<LoginRoute />} />
              <Route
                element={
                  <RequireAuth>
                    <Shell />
                  </RequireAuth>
                }
              >
                {sectionRoutes()}
                <Route path="*" element={<NotFound />} />
              </Route>
            </Routes>
          </BrowserRouter>
        </SessionProvider>
      </AntApp>
    </I18nProvider>
  );
}
