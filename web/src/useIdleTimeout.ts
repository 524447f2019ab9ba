// Ends a session on this screen once the user has done nothing for the server's idle timeout,
// so protected data does not stay on an unattended screen. The server enforces the same limit.
import { useEffect, useRef } from 'react';

const ACTIVITY_EVENTS = ['keydown', 'mousedown', 'pointermove', 'touchstart', 'wheel'] as const;
const CHECK_EVERY_MS = 10_000;

export function useIdleTimeout(timeoutSeconds: number | null, onIdle: () => void): void {
  const lastActivity = useRef(Date.now());
  const onIdleRef = useRef(onIdle);
  onIdleRef.current = onIdle;

  useEffect(() => {
    if (timeoutSeconds === null || timeoutSeconds <= 0) return undefined;
    lastActivity.current = Date.now();
    const touch = () => {
      lastActivity.current = Date.now();
    };
    for (const name of ACTIVITY_EVENTS) window.addEventListener(name, touch, { passive: true });
    const timer = window.setInterval(() => {
      if (Date.now() - lastActivity.current >= timeoutSeconds * 1000) onIdleRef.current();
    }, CHECK_EVERY_MS);
    return () => {
      for (const name of ACTIVITY_EVENTS) window.removeEventListener(name, touch);
      window.clearInterval(timer);
    };
  }, [timeoutSeconds]);
}
