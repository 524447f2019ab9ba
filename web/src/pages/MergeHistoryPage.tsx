// Merge history (patients.merge): every merge of two patient records, newest first, and the way to
// undo one (unmerge restores both records and every moved resource). Names come from the patient
// summaries (GET /patients/{id}); a merge can be narrowed to one patient's id.
import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import { getPatientSummary, listMerges, unmerge, type Merge, type PatientSummary } from '../api';
import { ErrorAlert, Notice } from '../components/Alert';
import { CompactTime } from '../components/CompactTime';
import { ConfirmDialog } from '../components/Dialog';
import { Field } from '../components/Field';
import { formatScore } from '../mpi';
import { canOpenCharts } from '../navigation';
import { href } from '../router';
import { useSession } from '../session';
import { usePageTitle } from '../usePageTitle';

/** Summaries are fetched for the first rows only: each read is audited. */
const NAMED_ROWS = 50;

function PatientRef({ id, summary, link }: { id: string; summary: PatientSummary | undefined; link: boolean }) {
  const label = summary === undefined ? id : summary.name || id;
  return (
    <span className="merge-patient" data-patient-id={id}>
      {link ? <a href={href(`/patients/${encodeURIComponent(id)}`)}>{label}</a> : label}
      {summary !== undefined && (
        <span className="muted">
          {' '}
          · MRN <code className="identifier-value">{summary.mrn || '—'}</code>
        </span>
      )}
    </span>
  );
}

export function MergeHistoryPage() {
  const { me } = useSession();
  const heading = usePageTitle('Merge history');
  const [merges, setMerges] = useState<Merge[]>([]);
  const [summaries, setSummaries] = useState<Record<string, PatientSummary>>({});
  const [patient, setPatient] = useState('');
  const [applied, setApplied] = useState('');
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>(null);
  const [pending, setPending] = useState<Merge | null>(null);
  const [busy, setBusy] = useState(false);
  const [actionError, setActionError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const loadNumber = useRef(0);
  const chartLinks = canOpenCharts(me);

  const load = useCallback(async (patientId: string) => {
    const number = ++loadNumber.current;
    setLoading(true);
    setError(null);
    try {
      const answer = await listMerges(patientId === '' ? undefined : patientId);
      if (number !== loadNumber.current) return;
      const ids = [...new Set(answer.items.slice(0, NAMED_ROWS).flatMap((merge) => [merge.survivor, merge.duplicate]))];
      const found = await Promise.all(ids.map((id) => getPatientSummary(id).catch(() => undefined)));
      if (number !== loadNumber.current) return;
      const byId: Record<string, PatientSummary> = {};
      found.forEach((summary, index) => {
        const id = ids[index];
        if (summary !== undefined && id !== undefined) byId[id] = summary;
      });
      // Rows and names arrive together, so that a row never shows ids first and names later.
      setMerges(answer.items);
      setSummaries(byId);
    } catch (caught) {
      if (number === loadNumber.current) setError(caught);
    } finally {
      if (number === loadNumber.current) setLoading(false);
    }
  }, []);

  useEffect(() => {
    void load(applied);
  }, [load, applied]);

  function submit(event: FormEvent) {
    event.preventDefault();
    if (patient.trim() === applied) void load(applied);
    else setApplied(patient.trim());
  }

  async function doUnmerge(merge: Merge) {
    setBusy(true);
    setActionError(null);
    setNotice(null);
    try {
      const answer = await unmerge(merge.merge_id);
      setMerges((shown) => shown.map((row) => (row.merge_id === merge.merge_id ? answer.merge : row)));
      const name = (id: string) => summaries[id]?.name || id;
      setNotice(`Unmerged: ${name(merge.duplicate)} and ${name(merge.survivor)} are separate records again.`);
      setPending(null);
      void load(applied);
    } catch (caught) {
      setActionError(caught);
    } finally {
      setBusy(false);
    }
  }

  return (
    <>
      <h1 ref={heading} tabIndex={-1}>
        Merge history
      </h1>
      <p className="lead">Every merge of two patient records, newest first. Unmerging restores both records as they were.</p>
      {notice !== null && <Notice tone="success">{notice}</Notice>}
      {pending === null && <ErrorAlert error={actionError} />}

      <section className="panel" aria-labelledby="merges-heading">
        <h2 id="merges-heading">Merges</h2>
        <form className="search" role="search" aria-label="Merges" onSubmit={submit}>
          <Field
            label="Merges of patient (id)"
            name="patient"
            autoComplete="off"
            spellCheck={false}
            value={patient}
            onChange={(event) => setPatient(event.target.value)}
          />
          <button type="submit" className="button">
            Filter
          </button>
        </form>
        <ErrorAlert error={error} />
        {merges.length > 0 && (
          <div className="table-wrap" role="region" aria-label="Merges" tabIndex={0}>
            <table className="table merge-table" aria-busy={loading}>
              <caption className="visually-hidden">Merges, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">Merged</th>
                  <th scope="col">Surviving record</th>
                  <th scope="col">Retired record</th>
                  <th scope="col" className="number">
                    Moved
                  </th>
                  <th scope="col" className="number">
                    Score
                  </th>
                  <th scope="col">By</th>
                  <th scope="col">Status</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {merges.map((merge) => (
                  <tr key={merge.merge_id} data-merge-id={merge.merge_id} data-status={merge.status}>
                    <td>
                      <CompactTime value={merge.merged_at} />
                    </td>
                    <td>
                      <PatientRef id={merge.survivor} summary={summaries[merge.survivor]} link={chartLinks} />
                    </td>
                    <td>
                      <PatientRef id={merge.duplicate} summary={summaries[merge.duplicate]} link={chartLinks} />
                    </td>
                    <td className="number">{merge.moved}</td>
                    <td className="number">{merge.score === null ? '—' : formatScore(merge.score)}</td>
                    <td>
                      {merge.merged_by === me.id ? (
                        me.display_name || me.username
                      ) : (
                        <code className="object-id" title="User id">
                          {merge.merged_by}
                        </code>
                      )}
                    </td>
                    <td>
                      <span className={`status ${merge.status === 'merged' ? 'status-active' : 'status-disabled'}`}>
                        {merge.status === 'merged' ? 'Merged' : 'Unmerged'}
                      </span>
                      {merge.unmerged_at !== null && (
                        <span className="field-hint">
                          {' '}
                          <CompactTime value={merge.unmerged_at} />
                        </span>
                      )}
                    </td>
                    <td>
                      {merge.status === 'merged' && (
                        <button type="button" className="button button-small" onClick={() => setPending(merge)}>
                          Unmerge
                          <span className="visually-hidden">
                            {' '}
                            {summaries[merge.duplicate]?.name || merge.duplicate} from {summaries[merge.survivor]?.name || merge.survivor}
                          </span>
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {!loading && error === null && merges.length === 0 && <p>{applied === '' ? 'No records have been merged yet.' : 'This patient has no merges.'}</p>}
        {loading && <p aria-live="polite">Loading merges…</p>}
      </section>

      {pending !== null && (
        <ConfirmDialog
          title="Unmerge these records?"
          message={
            <p>
              {summaries[pending.duplicate]?.name || pending.duplicate} becomes an active record again, and the {pending.moved} resource
              {pending.moved === 1 ? '' : 's'} moved by the merge go back to it. Later changes to other resources are kept.
            </p>
          }
          confirmLabel="Unmerge"
          danger
          busy={busy}
          error={<ErrorAlert error={actionError} />}
          onCancel={() => {
            setPending(null);
            setActionError(null);
          }}
          onConfirm={() => void doUnmerge(pending)}
        />
      )}
    </>
  );
}
