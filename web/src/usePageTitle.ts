// Names the document after the screen and moves focus to the screen's heading, so a screen
// reader announces where a navigation landed.
import { useEffect, useRef } from 'react';

export function usePageTitle(title: string) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${title} · Custos`;
    heading.current?.focus({ preventScroll: true });
  }, [title]);
  return heading;
}
