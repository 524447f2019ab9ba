// The frame of every signed-in screen: skip link, header (product, user, log out),
// navigation and the main landmark.
import { useEffect, useState, type ReactNode } from 'react';
import { roleLabel } from '../format';
import { useSession } from '../session';
import { Nav } from './Nav';

const NAV_ID = 'main-nav';

export function AppShell({ path, children }: { path: string; children: ReactNode }) {
  const { me, signOut } = useSession();
  const [menuOpen, setMenuOpen] = useState(false);
  const [signingOut, setSigningOut] = useState(false);

  useEffect(() => setMenuOpen(false), [path]);

  return (
    <div className="shell">
      <a className="skip-link" href="#main" onClick={(event) => {
        event.preventDefault();
        document.getElementById('main')?.focus();
      }}>
        Skip to content
      </a>
      <header className="header">
        <div className="brand">
          <span className="brand-name">Custos</span>
          <span className="brand-tagline">Health information management</span>
        </div>
        <button
          type="button"
          className="button menu-button"
          aria-expanded={menuOpen}
          aria-controls={NAV_ID}
          onClick={() => setMenuOpen((open) => !open)}
        >
          Menu
        </button>
        <div className="user">
          <span className="user-name" data-testid="user-name">{me.display_name || me.username}</span>
          <span className="user-roles">{me.roles.map(roleLabel).join(', ')}</span>
        </div>
        <button
          type="button"
          className="button"
          disabled={signingOut}
          onClick={() => {
            setSigningOut(true);
            void signOut().finally(() => setSigningOut(false));
          }}
        >
          Log out
        </button>
      </header>
      <div className="body">
        <Nav me={me} path={path} id={NAV_ID} open={menuOpen} onNavigate={() => setMenuOpen(false)} />
        <main id="main" className="main" tabIndex={-1}>
          {children}
        </main>
      </div>
    </div>
  );
}
