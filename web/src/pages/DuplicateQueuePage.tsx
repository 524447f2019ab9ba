// Duplicate queue (patients.merge): pairs of patient records the matcher thinks may be one person,
// by status and sorted by score, age or facility. A pair opens the side-by-side review
// (#/duplicates/{pair_id}), where it is merged, dismissed, deferred or sent to the privacy officer.
import { useCallback, useEffect, useRef, useState } from 'react';
import { listDuplicateQueue, type PatientSummary, type QueueItem, type QueueSort, type QueueStatus } from '../api';
import { ErrorAlert } from '../components/Alert';
import { DecisionTag } from '../components/MatchExplanation';
import { SelectField } from '../components/SelectField';
import { formatFhirDate } from '../fhir';
import { QUEUE_STATUSES, ageText, formatScore, queueStatusLabel } from '../mpi';
import { href } from '../router';
import { usePageTitle } from '../usePageTitle';

const SORTS: readonly { value: QueueSort; label: string }[] = [
  { value: 'score', label: 'Score, highest first' },
  { value: 'age', label: 'Age, oldest first' },
  { value: 'facility', label: 'Facility' },
];

/** The queue's filter, kept for this tab while it is open so "back to the queue" returns to it. */
let lastFilter: { status: QueueStatus; sort: QueueSort } = { status: 'open', sort: 'score' };

export function PatientCell({ patient }: { patient: PatientSummary }) {
  return (
    <div className="pair-patient" data-patient-id={patient.patient_id}>
      <strong>{patient.name || `Patient ${patient.patient_id}`}</strong>
      {!patient.active && <span className="status status-disabled tag">Inactive</span>}
      <div className="muted">
        {formatFhirDate(patient.birth_date) || '—'} · MRN <code className="identifier-value">{patient.mrn || '—'}</code>
      </div>
    </div>
  );
}

export function DuplicateQueuePage() {
  const heading = usePageTitle('Duplicate queue');
  const [status, setStatus] = useState<QueueStatus>(lastFilter.status);
  const [sort, setSort] = useState<QueueSort>(lastFilter.sort);
  const [items, setItems] = useState<QueueItem[]>([]);
  const [nextCursor, setNextCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>(null);
  const loadNumber = useRef(0);

  const load = useCallback(async (cursor: string | null) => {
    const number = ++loadNumber.current;
    setLoading(true);
    setError(null);
    try {
      const page = await listDuplicateQueue(lastFilter.status, lastFilter.sort, cursor);
      if (number !== loadNumber.current) return;
      setItems((shown) => (cursor === null ? page.items : [...shown, ...page.items]));
      setNextCursor(page.next_cursor ?? null);
    } catch (caught) {
      if (number === loadNumber.current) setError(caught);
    } finally {
      if (number === loadNumber.current) setLoading(false);
    }
  }, []);

  useEffect(() => {
    lastFilter = { status, sort };
    void load(null);
  }, [load, status, sort]);

  const now = Date.now();
  return (
    <>
      <h1 ref={heading} tabIndex={-1}>
        Duplicate queue
      </h1>
      <p className="lead">Pairs of patient records that may be the same person. Open a pair to compare and decide.</p>

      <section className="panel" aria-labelledby="queue-heading">
        <h2 id="queue-heading" className="visually-hidden">
          Pairs
        </h2>
        <div className="form-grid form-grid-wide queue-filters">
          <SelectField
            label="Status"
            name="status"
            options={QUEUE_STATUSES}
            value={status}
            onChange={(event) => setStatus(event.target.value as QueueStatus)}
          />
          <SelectField label="Sort by" name="sort" options={SORTS} value={sort} onChange={(event) => setSort(event.target.value as QueueSort)} />
        </div>
        <ErrorAlert error={error} />
        <p className="field-hint" aria-live="polite" data-testid="queue-count">
          {loading
            ? 'Loading pairs…'
            : error !== null
              ? ''
              : `${items.length}${nextCursor !== null ? '+' : ''} pair${items.length === 1 ? '' : 's'} with status “${queueStatusLabel(status)}”.`}
        </p>
        {items.length > 0 && (
          <div className="table-wrap" role="region" aria-label="Duplicate pairs" tabIndex={0}>
            <table className="table queue-table" aria-busy={loading}>
              <caption className="visually-hidden">Duplicate pairs; “Review” opens the comparison</caption>
              <thead>
                <tr>
                  <th scope="col">Patient A</th>
                  <th scope="col">Patient B</th>
                  <th scope="col" className="number">
                    Score
                  </th>
                  <th scope="col">Decision</th>
                  <th scope="col">Age</th>
                  <th scope="col">Facility</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {items.map((item) => (
                  <tr key={item.pair_id} data-pair-id={item.pair_id} data-status={item.status}>
                    <td>
                      <PatientCell patient={item.patient_a} />
                    </td>
                    <td>
                      <PatientCell patient={item.patient_b} />
                    </td>
                    <td className="number">{formatScore(item.score)}</td>
                    <td>
                      <DecisionTag decision={item.decision} />
                    </td>
                    <td className="nowrap" title={item.created_at}>
                      {ageText(item.created_at, now)}
                    </td>
                    <td>{item.facility || '—'}</td>
                    <td>
                      <a className="button button-small" href={href(`/duplicates/${encodeURIComponent(item.pair_id)}`)}>
                        Review
                        <span className="visually-hidden">
                          {' '}
                          {item.patient_a.name} and {item.patient_b.name}
                        </span>
                      </a>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {!loading && error === null && items.length === 0 && <p>No pair has the status “{queueStatusLabel(status)}”.</p>}
        {nextCursor !== null && !loading && (
          <button type="button" className="button" onClick={() => void load(nextCursor)}>
            Load more
          </button>
        )}
      </section>
    </>
  );
}
