// The application root: finds out whether a session exists, shows the login page or the
// signed-in screens, and reacts the same way everywhere to a session that has ended.
import { useCallback, useEffect, useMemo, useState, type ReactNode } from 'react';
import {
  ApiError,
  getMe,
  logout,
  onSessionProblem,
  PASSWORD_CHANGE_REQUIRED,
  TOTP_ENROLLMENT_REQUIRED,
  type Me,
} from './api';
import { AppShell } from './components/AppShell';
import { areaOf, can, isAvailable } from './navigation';
import { AccountPage } from './pages/AccountPage';
import { AdminPage } from './pages/AdminPage';
import { AuditPage } from './pages/AuditPage';
import { DashboardPage } from './pages/DashboardPage';
import { DuplicatePairPage } from './pages/DuplicatePairPage';
import { DuplicateQueuePage } from './pages/DuplicateQueuePage';
import { DuplicateReportPage } from './pages/DuplicateReportPage';
import { LoginPage } from './pages/LoginPage';
import { MergeHistoryPage } from './pages/MergeHistoryPage';
import { NotFoundPage } from './pages/NotFoundPage';
import { PatientChartPage } from './pages/PatientChartPage';
import { PatientsPage } from './pages/PatientsPage';
import { RegistrationPage } from './pages/RegistrationPage';
import { forgetPatientSearch } from './patientSearch';
import { navigate, usePath } from './router';
import { SessionContext, type Session } from './session';
import { useIdleTimeout } from './useIdleTimeout';

type State =
  | { status: 'loading' }
  | { status: 'signed_out'; notice: string | null }
  | { status: 'signed_in'; me: Me };

const SESSION_ENDED = 'Your session has ended. Please sign in again.';
const TOTP_NEEDED = 'Your role requires a second factor. Set it up below before using the rest of Custos.';
const PASSWORD_NEEDED = 'Choose a new password below before going on: the one you have was set by an administrator.';

/** Why `me` must visit My account before anything else, if it must. */
function accountNoticeFor(me: Me): string | null {
  if (me.must_change_password) return PASSWORD_NEEDED;
  if (me.totp_required && !me.totp_enabled) return TOTP_NEEDED;
  return null;
}

const SCREENS: Record<string, () => ReactNode> = {
  '/': () => <DashboardPage />,
  '/admin': () => <AdminPage />,
  '/audit': () => <AuditPage />,
  '/account': () => <AccountPage />,
  '/patients': () => <PatientsPage />,
  '/registration': () => <RegistrationPage />,
  '/duplicates': () => <DuplicateQueuePage />,
  '/merges': () => <MergeHistoryPage />,
  '/duplicate-report': () => <DuplicateReportPage />,
};

/** Screens whose address carries an id: `/patients/{id}`, `/duplicates/{pair_id}`. */
const PARAM_SCREENS: { pattern: RegExp; render: (id: string) => ReactNode }[] = [
  { pattern: /^\/patients\/([^/]+)$/, render: (id) => <PatientChartPage key={id} id={id} /> },
  { pattern: /^\/duplicates\/([^/]+)$/, render: (id) => <DuplicatePairPage key={id} pairId={id} /> },
];

function screenFor(path: string): (() => ReactNode) | undefined {
  const exact = SCREENS[path];
  if (exact !== undefined) return exact;
  for (const { pattern, render } of PARAM_SCREENS) {
    const match = pattern.exec(path);
    if (match?.[1] !== undefined) {
      let id: string;
      try {
        id = decodeURIComponent(match[1]);
      } catch {
        return undefined;
      }
      return () => render(id);
    }
  }
  return undefined;
}

/** True when `path` names a screen `me` may open (used to stay there after signing in). */
function opens(me: Me, path: string): boolean {
  const area = areaOf(path);
  return screenFor(path) !== undefined && area !== undefined && can(me, area.permission) && isAvailable(me, area);
}

function Screen({ me, path }: { me: Me; path: string }) {
  const render = screenFor(path);
  const area = areaOf(path);
  if (render === undefined || area === undefined || !area.available) return <NotFoundPage />;
  if (!can(me, area.permission) || !isAvailable(me, area)) return <NotFoundPage forbidden />;
  return <>{render()}</>;
}

export function App() {
  const [state, setState] = useState<State>({ status: 'loading' });
  const [accountNotice, setAccountNotice] = useState<string | null>(null);
  const path = usePath();

  const enter = useCallback((me: Me, keepPath: boolean) => {
    const notice = accountNoticeFor(me);
    setAccountNotice(notice);
    setState({ status: 'signed_in', me });
    if (notice !== null) navigate('/account');
    else if (!keepPath) navigate('/');
  }, []);

  useEffect(() => {
    getMe(false).then(
      (me) => enter(me, true),
      (error: unknown) => {
        // No session is the usual case here; anything else (server down) is worth saying.
        const quiet = error instanceof ApiError && error.status === 401;
        setState({ status: 'signed_out', notice: quiet || !(error instanceof Error) ? null : error.message });
      },
    );
  }, [enter]);

  useEffect(
    () =>
      onSessionProblem((error) => {
        if (error.code === TOTP_ENROLLMENT_REQUIRED || error.code === PASSWORD_CHANGE_REQUIRED) {
          setAccountNotice(error.code === TOTP_ENROLLMENT_REQUIRED ? TOTP_NEEDED : PASSWORD_NEEDED);
          navigate('/account');
        } else {
          setState({ status: 'signed_out', notice: SESSION_ENDED });
        }
      }),
    [],
  );

  const signOut = useCallback(async () => {
    try {
      await logout();
    } catch {
      // The session is gone either way; the login page is the right place to be.
    }
    setAccountNotice(null);
    setState({ status: 'signed_out', notice: null });
    navigate('/');
  }, []);

  const endIdleSession = useCallback(() => {
    void logout().catch(() => undefined);
    setState({ status: 'signed_out', notice: SESSION_ENDED });
  }, []);

  // Nothing of one session's patient searches survives into the next.
  useEffect(() => {
    if (state.status === 'signed_out') forgetPatientSearch();
  }, [state.status]);

  const me = state.status === 'signed_in' ? state.me : null;
  useIdleTimeout(me?.idle_timeout_seconds ?? null, endIdleSession);

  const session = useMemo<Session | null>(() => {
    if (me === null) return null;
    return {
      me,
      refresh: async () => {
        const fresh = await getMe();
        setState({ status: 'signed_in', me: fresh });
        setAccountNotice((current) => (current === null ? null : accountNoticeFor(fresh)));
      },
      signOut,
      accountNotice,
    };
  }, [me, signOut, accountNotice]);

  if (state.status === 'loading') {
    return (
      <main id="main" className="loading" aria-busy="true">
        <p>Loading Custos…</p>
      </main>
    );
  }
  if (state.status === 'signed_out' || session === null) {
    return (
      <LoginPage
        notice={state.status === 'signed_out' ? state.notice : null}
        onSignedIn={(signedIn) => enter(signedIn, opens(signedIn, path))}
      />
    );
  }
  return (
    <SessionContext.Provider value={session}>
      <AppShell path={path}>
        <Screen me={session.me} path={path} />
      </AppShell>
    </SessionContext.Provider>
  );
}
