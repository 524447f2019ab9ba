// Shown for an address that names no screen, or one the user's roles do not open.
import { href } from '../router';
import { usePageTitle } from '../usePageTitle';

export function NotFoundPage({ forbidden = false }: { forbidden?: boolean }) {
  const title = forbidden ? 'No access' : 'Page not found';
  const heading = usePageTitle(title);
  return (
    <>
      <h1 ref={heading} tabIndex={-1}>
        {title}
      </h1>
      <p>
        {forbidden
          ? 'Your roles do not open this area. Ask an administrator if you need it for your work.'
          : 'There is no screen at this address.'}
      </p>
      <p>
        <a href={href('/')}>Go to the dashboard</a>
      </p>
    </>
  );
}
