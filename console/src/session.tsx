/** Who is signed in, and the API bound to their token; an expired session asks to sign in again in place. */
import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';
import { ApiError, call, loadSession, saveSession, type SERVICES, type Session } from './api';

interface SessionValue {
  session: Session | undefined;
  /**
   * The token expired (or was refused) while the console was in use: the page stays as it is —
   * every form keeps what was typed — and a sign-in dialog asks for a new token over it.
   */
  expired: boolean;
  setSession(s: Session | undefined): void;
  /** Calls an RPC as the signed-in person; an expired or refused token signs them out (their drafts stay). */
  api<T = any>(service: keyof typeof SERVICES, method: string, body: unknown): Promise<T>;
  can(...roles: Session['role'][]): boolean;
}

const SessionContext = createContext<SessionValue | undefined>(undefined);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [session, set] = useState<Session | undefined>(loadSession);
  const [expired, setExpired] = useState(false);
  const setSession = useCallback((s: Session | undefined) => {
    saveSession(s);
    if (s) sessionStorage.removeItem('youfu.expired');
    setExpired(false);
    set(s);
  }, []);
  const value = useMemo<SessionValue>(
    () => ({
      session,
      expired,
      setSession,
      async api(service, method, body) {
        try {
          return await call(service, method, body, loadSession());
        } catch (e) {
          if (e instanceof ApiError && e.unauthenticated) {
            sessionStorage.setItem('youfu.expired', '1');
            setExpired(true);
          }
          throw e;
        }
      },
      can: (...roles) => !!session && roles.includes(session.role),
    }),
    [session, expired, setSession],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionValue {
  const v = useContext(SessionContext);
  if (!v) throw new Error('useSession outside SessionProvider');
  return v;
}
