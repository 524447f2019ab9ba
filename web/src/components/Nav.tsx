// Role-aware navigation: the areas the signed-in user's permissions open. Areas not yet built
// are shown without a link, marked "coming soon".
import type { Me } from '../api';
import { areaOf, areasFor, isAvailable } from '../navigation';
import { href } from '../router';

interface NavProps {
  me: Me;
  path: string;
  id: string;
  open: boolean;
  onNavigate: () => void;
}

export function Nav({ me, path, id, open, onNavigate }: NavProps) {
  const current = areaOf(path)?.path;
  return (
    <nav id={id} className={`nav${open ? ' nav-open' : ''}`} aria-label="Main">
      <ul>
        {areasFor(me).map((area) => (
          <li key={area.path}>
            {isAvailable(me, area) ? (
              <a
                href={href(area.path)}
                aria-current={current === area.path ? 'page' : undefined}
                onClick={onNavigate}
              >
                {area.label}
              </a>
            ) : (
              <span className="nav-unavailable" aria-disabled="true">
                {area.label} <span className="badge">coming soon</span>
              </span>
            )}
          </li>
        ))}
      </ul>
    </nav>
  );
}
