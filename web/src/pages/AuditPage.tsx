// The audit trail (permission audit.read): filter, page through, export and verify it.
import { useCallback, useEffect, useRef, useState } from 'react';
import { auditCsvUrl, listAuditEvents, type AuditEvent, type AuditFilter } from '../api';
import { ErrorAlert } from '../components/Alert';
import { AuditFilters } from '../components/AuditFilters';
import { AuditTable } from '../components/AuditTable';
import { ChainStatus } from '../components/ChainStatus';
import { usePageTitle } from '../usePageTitle';

export function AuditPage() {
  const heading = usePageTitle('Audit');
  const [filter, setFilter] = useState<AuditFilter>({});
  const [events, setEvents] = useState<AuditEvent[]>([]);
  const [nextCursor, setNextCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>(null);
  const loadNumber = useRef(0);

  const load = useCallback(async (applied: AuditFilter, cursor: string | null) => {
    const number = ++loadNumber.current;
    setLoading(true);
    setError(null);
    try {
      const page = await listAuditEvents(applied, cursor);
      if (number !== loadNumber.current) return;
      setEvents((shown) => (cursor === null ? page.events : [...shown, ...page.events]));
      setNextCursor(page.next_cursor ?? null);
    } catch (caught) {
      if (number === loadNumber.current) {
        setError(caught);
        if (cursor === null) setEvents([]);
      }
    } finally {
      if (number === loadNumber.current) setLoading(false);
    }
  }, []);

  useEffect(() => {
    void load(filter, null);
  }, [load, filter]);

  return (
    <>
      <h1 ref={heading} tabIndex={-1}>
        Audit
      </h1>
      <p className="lead">Every sign-in, change and read of protected data, in a tamper-evident chain.</p>
      <div className="audit-top">
        <AuditFilters onApply={(applied) => setFilter({ ...applied })} />
        <ChainStatus />
      </div>
      <section className="panel" aria-labelledby="events-heading">
        <div className="panel-heading">
          <h2 id="events-heading">Events</h2>
          <a className="button" href={auditCsvUrl(filter)} download>
            Export CSV
          </a>
        </div>
        <ErrorAlert error={error} />
        <p className="field-hint" aria-live="polite">
          {loading ? 'Loading events…' : `${events.length} event${events.length === 1 ? '' : 's'} shown${nextCursor ? '; more available' : ''}.`}
        </p>
        {events.length > 0 && <AuditTable events={events} />}
        {!loading && events.length === 0 && error === null && <p>No events match these filters.</p>}
        {nextCursor !== null && !loading && (
          <button type="button" className="button" onClick={() => void load(filter, nextCursor)}>
            Load more
          </button>
        )}
      </section>
    </>
  );
}
