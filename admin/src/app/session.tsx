import { createContext, ReactNode, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import { http, setUnauthorizedHandler } from './api';
import type { Business, Me } from './types';

type SessionState = { status: 'loading' } | { status: 'anonymous'; expired: boolean } | { status: 'signed-in'; me: Me };

/** The password step's answer when the member has two-factor sign-in: no session yet. */
export interface MfaChallenge {
  mfaRequired: true;
  challenge: string;
  expiresAt: string;
}

interface Session {
  state: SessionState;
  /** The password step: signed in, or a challenge for `completeMfa` when the member has a second factor. */
  login(email: string, password: string): Promise<Me | MfaChallenge>;
  completeMfa(challenge: string, code: string): Promise<Me>;
  /** Reads who is signed in again (after changing one's own account). */
  refresh(): Promise<void>;
  logout(): Promise<void>;
  /** Replaces the business after a settings change, so the header and defaults follow. */
  setBusiness(b: Business): void;
}

const SessionContext = createContext<Session | undefined>(undefined);

/** The staff session: an httpOnly cookie the page never sees; GET /v1/admin/session says who it is. */
export function SessionProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<SessionState>({ status: 'loading' });

  useEffect(() => {
    const ac = new AbortController();
    // The probe answers 200 either way, so a visitor's first page load shows no failed request.
    http
      .get<({ signedIn: true } & Me) | { signedIn: false }>('/v1/admin/session/probe', { signal: ac.signal, anonymousOk: true })
      .then((r) => setState(r.signedIn ? { status: 'signed-in', me: { staff: r.staff, business: r.business } } : { status: 'anonymous', expired: false }))
      .catch((e: Error) => {
        if (e.name !== 'AbortError') setState({ status: 'anonymous', expired: false });
      });
    return () => ac.abort();
  }, []);

  useEffect(() => {
    setUnauthorizedHandler(() => setState((s) => (s.status === 'signed-in' ? { status: 'anonymous', expired: true } : s)));
    return () => setUnauthorizedHandler(undefined);
  }, []);

  const login = useCallback(async (email: string, password: string) => {
    const r = await http.post<Me | MfaChallenge>('/v1/admin/session', { email, password }, { anonymousOk: true });
    if (!('mfaRequired' in r)) setState({ status: 'signed-in', me: r });
    return r;
  }, []);

  const completeMfa = useCallback(async (challenge: string, code: string) => {
    const me = await http.post<Me>('/v1/admin/session/mfa', { challenge, code }, { anonymousOk: true });
    setState({ status: 'signed-in', me });
    return me;
  }, []);

  const logout = useCallback(async () => {
    try {
      await http.delete('/v1/admin/session', { anonymousOk: true });
    } finally {
      setState({ status: 'anonymous', expired: false });
    }
  }, []);

  const refresh = useCallback(async () => {
    const me = await http.get<Me>('/v1/admin/session');
    setState({ status: 'signed-in', me });
  }, []);

  const setBusiness = useCallback((business: Business) => {
    setState((s) => (s.status === 'signed-in' ? { status: 'signed-in', me: { ...s.me, business } } : s));
  }, []);

  const value = useMemo(() => ({ state, login, completeMfa, refresh, logout, setBusiness }), [state, login, completeMfa, refresh, logout, setBusiness]);
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const ctx = useContext(SessionContext);
  if (!ctx) throw new Error('useSession outside SessionProvider');
  return ctx;
}

/** The signed-in staff member and business; only for pages behind the sign-in gate. */
export function useMe(): Me {
  const { state } = useSession();
  if (state.status !== 'signed-in') throw new Error('useMe without a session');
  return state.me;
}
