// A small hash router: `#/audit` → "/audit". Hash addresses work whatever the server does with
// unknown paths, so a reload or a bookmark never lands on a 404.
import { useSyncExternalStore } from 'react';

export type Path = string;

function currentPath(): Path {
  const hash = window.location.hash.replace(/^#/, '');
  const path = hash.split('?')[0] ?? '';
  return path.startsWith('/') ? path : '/';
}

function subscribe(onChange: () => void): () => void {
  window.addEventListener('hashchange', onChange);
  return () => window.removeEventListener('hashchange', onChange);
}

/** The current route path; re-renders the caller when it changes. */
export function usePath(): Path {
  return useSyncExternalStore(subscribe, currentPath);
}

export function navigate(path: Path): void {
  if (currentPath() !== path) window.location.hash = `#${path}`;
}

export const href = (path: Path): string => `#${path}`;
