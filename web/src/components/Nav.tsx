// Role-aware navigation: the areas the signed-in user's permissions open. Areas not yet built
// are shown without a link, marked "coming soon".
import type { Me } from '../api';
import { areaOf, areasFor, isAvailable, type Area } from '../navigation';
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
  const areas = areasFor(me);
  const shown = new Set(areas.map((area) => area.path));
  // Areas under a parent the user sees are listed inside it; the others stand on their own.
  const topLevel = areas.filter((area) => area.parent === undefined || !shown.has(area.parent));
  const childrenOf = (parent: Area) => areas.filter((area) => area.parent === parent.path);

  function entry(area: Area) {
    return isAvailable(me, area) ? (
      <a href={href(area.path)} aria-current={current === area.path ? 'page' : undefined} onClick={onNavigate}>
        {area.label}
      </a>
    ) : (
      <span className="nav-unavailable" aria-disabled="true">
        {area.label} <span className="badge">coming soon</span>
      </span>
    );
  }

  return (
    <nav id={id} className={`nav${open ? ' nav-open' : ''}`} aria-label="Main">
      <ul>
        {topLevel.map((area) => {
          const children = childrenOf(area);
          return (
            <li key={area.path}>
              {entry(area)}
              {children.length > 0 && (
                <ul className="nav-children" aria-label={area.label}>
                  {children.map((child) => (
                    <li key={child.path}>{entry(child)}</li>
                  ))}
                </ul>
              )}
            </li>
          );
        })}
      </ul>
    </nav>
  );
}
