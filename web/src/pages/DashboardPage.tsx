// The first screen after sign-in: the counts the server lets this user see (and, for users who
// read clinical data, the number of patients from the FHIR API).
import { useEffect, useState } from 'react';
import { countPatients, getDashboard } from '../api';
import { ErrorAlert } from '../components/Alert';
import { countLabel, formatCount, orderCounts, roleLabel } from '../format';
import { useSession } from '../session';
import { usePageTitle } from '../usePageTitle';

export function DashboardPage() {
  const { me } = useSession();
  const heading = usePageTitle('Dashboard');
  const [counts, setCounts] = useState<Record<string, number> | null>(null);
  const [error, setError] = useState<unknown>(null);

  const readsPatients = me.permissions.includes('clinical.read');

  useEffect(() => {
    let current = true;
    const patients: Promise<number | null> = readsPatients ? countPatients().catch(() => null) : Promise.resolve(null);
    Promise.all([getDashboard(), patients]).then(
      ([answer, patientCount]) => {
        if (!current) return;
        const all = { ...(answer.counts ?? {}) };
        if (patientCount !== null && all.patients === undefined) all.patients = patientCount;
        setCounts(all);
      },
      (caught: unknown) => current && setError(caught),
    );
    return () => {
      current = false;
    };
  }, [readsPatients]);

  return (
    <>
      <h1 ref={heading} tabIndex={-1}>
        Dashboard
      </h1>
      <p className="lead">
        Welcome, {me.display_name || me.username}. You are signed in as{' '}
        {me.roles.map(roleLabel).join(', ') || 'a user without a role'}.
      </p>
      <ErrorAlert error={error} />
      {counts === null && error === null && <p aria-live="polite">Loading counts…</p>}
      {counts !== null && (
        <section aria-labelledby="counts-heading">
          <h2 id="counts-heading" className="visually-hidden">
            Counts
          </h2>
          {Object.keys(counts).length === 0 ? (
            <p>There are no counts for your role yet.</p>
          ) : (
            <ul className="cards">
              {orderCounts(Object.keys(counts)).map((key) => (
                <li className="card" key={key} data-count={key}>
                  <span className="card-value">
                    {typeof counts[key] === 'number' ? formatCount(counts[key]) : String(counts[key])}
                  </span>
                  <span className="card-label">{countLabel(key)}</span>
                </li>
              ))}
            </ul>
          )}
        </section>
      )}
    </>
  );
}
