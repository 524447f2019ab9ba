// The signed-in user, shared with every screen, and the ways a screen can change it.
import { createContext, useContext } from 'react';
import type { Me } from './api';

export interface Session {
  me: Me;
  /** Reloads `me` from the server (after enrolling a second factor, changing a password, …). */
  refresh: () => Promise<void>;
  /** Ends the session on the server and returns to the login page. */
  signOut: () => Promise<void>;
  /** Why the user was sent to My account (second factor or new password required), if so. */
  accountNotice: string | null;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (session === null) throw new Error('useSession() outside a signed-in screen');
  return session;
}
