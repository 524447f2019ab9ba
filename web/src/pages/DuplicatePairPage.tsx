// One pair of the duplicate queue (#/duplicates/{pair_id}, patients.merge): the two records side by
// side with the matcher's explanation, and the decisions: merge (choosing the surviving record and,
// field by field, whose value survives), not a duplicate, defer, or overlay (two people in one
// record, for the privacy officer). Destructive decisions are confirmed first.
import { useCallback, useEffect, useState } from 'react';
import {
  ApiError,
  MERGE_FIELDS,
  getQueueItem,
  mergePatients,
  queueAction,
  type Merge,
  type MergeField,
  type MergeKeep,
  type PatientSummary,
  type QueueAction,
  type QueueItem,
} from '../api';
import { ErrorAlert, Notice } from '../components/Alert';
import { ConfirmDialog } from '../components/Dialog';
import { Field } from '../components/Field';
import { CappedBy, DecisionTag, WhyTable } from '../components/MatchExplanation';
import { formatFhirDate } from '../fhir';
import { formatTime } from '../format';
import { formatScore, queueStatusLabel, sexLabel } from '../mpi';
import { canOpenCharts } from '../navigation';
import { href } from '../router';
import { useSession } from '../session';
import { usePageTitle } from '../usePageTitle';

type Side = 'a' | 'b';

const FIELD_LABELS: Record<MergeField, string> = {
  name: 'Name',
  birth_date: 'Birth date',
  sex: 'Sex',
  ssn: 'SSN',
  address: 'Address',
  phone: 'Phone',
  email: 'Email',
};

/** A field's value as shown (a summary whose patient is gone has only `patient_id`). */
function valueOf(patient: PatientSummary, field: MergeField): string {
  switch (field) {
    case 'name':
      return patient.name ?? '';
    case 'birth_date':
      return formatFhirDate(patient.birth_date);
    case 'sex':
      return sexLabel(patient.sex ?? '');
    case 'ssn':
      return patient.ssn_last4 ? `••• ending ${patient.ssn_last4}` : '';
    default:
      return patient[field] ?? '';
  }
}

/** Identifiers besides the MRN (which has its own row). */
const otherIdentifiers = (patient: PatientSummary) =>
  (patient.identifiers ?? []).filter((identifier) => identifier.value !== patient.mrn);

const other = (side: Side): Side => (side === 'a' ? 'b' : 'a');
const OPEN_STATUSES = new Set(['open', 'deferred']);

type Pending = { kind: 'merge' } | { kind: 'not-duplicate' } | { kind: 'overlay' };

export function DuplicatePairPage({ pairId }: { pairId: string }) {
  const { me } = useSession();
  const heading = usePageTitle('Review possible duplicate');
  const [item, setItem] = useState<QueueItem | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [survivor, setSurvivor] = useState<Side>('a');
  const [keep, setKeep] = useState<Partial<Record<MergeField, Side>>>({});
  const [note, setNote] = useState('');
  const [pending, setPending] = useState<Pending | null>(null);
  const [busy, setBusy] = useState(false);
  const [actionError, setActionError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [merged, setMerged] = useState<Merge | null>(null);
  const chartLinks = canOpenCharts(me);

  const load = useCallback(async () => {
    try {
      setItem(await getQueueItem(pairId));
      setLoadError(null);
    } catch (caught) {
      setLoadError(caught);
    }
  }, [pairId]);

  useEffect(() => {
    void load();
  }, [load]);

  const effective = (field: MergeField): Side => keep[field] ?? survivor;

  function patientOf(side: Side): PatientSummary | undefined {
    if (item === null) return undefined;
    return side === 'a' ? item.patient_a : item.patient_b;
  }

  async function doMerge() {
    const kept = patientOf(survivor);
    const gone = patientOf(other(survivor));
    if (kept === undefined || gone === undefined) return;
    setBusy(true);
    setActionError(null);
    const keepBody: MergeKeep = {};
    for (const field of MERGE_FIELDS) keepBody[field] = effective(field) === survivor ? 'survivor' : 'duplicate';
    try {
      const answer = await mergePatients({ survivor: kept.patient_id, duplicate: gone.patient_id, pair_id: pairId, keep: keepBody });
      setMerged(answer.merge);
      setNotice(`Merged ${gone.name || gone.patient_id} into ${kept.name || kept.patient_id}: ${answer.merge.moved} resource${answer.merge.moved === 1 ? '' : 's'} moved.`);
      setPending(null);
      await load();
    } catch (caught) {
      setActionError(caught);
    } finally {
      setBusy(false);
    }
  }

  async function doAction(action: QueueAction, message: string) {
    setBusy(true);
    setActionError(null);
    setNotice(null);
    try {
      setItem(await queueAction(pairId, action, note.trim()));
      setNotice(message);
      setNote('');
      setPending(null);
    } catch (caught) {
      setActionError(caught);
    } finally {
      setBusy(false);
    }
  }

  function cancel() {
    setPending(null);
    setActionError(null);
  }

  const missing = loadError instanceof ApiError && loadError.status === 404;
  const a = item?.patient_a;
  const b = item?.patient_b;
  const decidable = item !== null && OPEN_STATUSES.has(item.status);
  const survivorPatient = patientOf(survivor);
  const duplicatePatient = patientOf(other(survivor));

  return (
    <>
      <p className="breadcrumb">
        <a href={href('/duplicates')}>← Duplicate queue</a>
      </p>
      <h1 ref={heading} tabIndex={-1}>
        Review possible duplicate
      </h1>
      {missing ? <p>There is no pair with the id <code>{pairId}</code> in the queue.</p> : <ErrorAlert error={loadError} />}
      {item === null && loadError === null && <p aria-live="polite">Loading the pair…</p>}
      {notice !== null && (
        <Notice tone="success">
          {notice}
          {merged !== null && (
            <>
              {' '}
              <a href={href('/merges')}>See the merge history</a> (a merge can be undone there).
            </>
          )}
        </Notice>
      )}
      {pending === null && <ErrorAlert error={actionError} />}

      {item !== null && a !== undefined && b !== undefined && (
        <>
          <section className="panel" aria-labelledby="pair-summary-heading">
            <h2 id="pair-summary-heading">The pair</h2>
            <dl className="details pair-summary">
              <dt>Status</dt>
              <dd data-field="status" data-status={item.status}>
                {queueStatusLabel(item.status)}
              </dd>
              <dt>Score</dt>
              <dd data-field="score">
                <strong>{formatScore(item.score)}</strong> <span className="muted">bits</span>
              </dd>
              <dt>Decision</dt>
              <dd>
                <DecisionTag decision={item.decision} />
              </dd>
              <dt>Found</dt>
              <dd>{formatTime(item.created_at)}</dd>
              {item.updated_at !== item.created_at && (
                <>
                  <dt>Last change</dt>
                  <dd>{formatTime(item.updated_at)}</dd>
                </>
              )}
              <dt>Facility</dt>
              <dd>{item.facility || '—'}</dd>
              {item.note !== null && item.note !== '' && (
                <>
                  <dt>Note</dt>
                  <dd>{item.note}</dd>
                </>
              )}
            </dl>
            <CappedBy rule={item.capped_by} />
          </section>

          <section className="panel" aria-labelledby="compare-heading">
            <h2 id="compare-heading">Side by side</h2>
            {decidable && (
              <fieldset className="fieldset">
                <legend>Surviving record</legend>
                <p className="field-hint">The other record's clinical data moves to it, and the other record is retired.</p>
                <div className="radio-row">
                  {(['a', 'b'] as const).map((side) => {
                    const patient = side === 'a' ? a : b;
                    return (
                      <label key={side} className="radio">
                        <input
                          type="radio"
                          name="survivor"
                          value={side}
                          checked={survivor === side}
                          onChange={() => {
                            setSurvivor(side);
                            setKeep({});
                          }}
                        />
                        Patient {side.toUpperCase()}: {patient.name} (MRN {patient.mrn || '—'})
                      </label>
                    );
                  })}
                </div>
              </fieldset>
            )}
            <div className="table-wrap">
              <table className="table compare-table">
                <caption className="visually-hidden">
                  The two records field by field{decidable ? '; choose whose value each field keeps after a merge' : ''}
                </caption>
                <thead>
                  <tr>
                    <th scope="col">Field</th>
                    {(['a', 'b'] as const).map((side) => (
                      <th scope="col" key={side} data-side={side}>
                        Patient {side.toUpperCase()}
                        {decidable && (
                          <span className={`status tag ${survivor === side ? 'status-active' : 'status-disabled'}`}>
                            {survivor === side ? 'survives' : 'retired'}
                          </span>
                        )}
                      </th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {MERGE_FIELDS.map((field) => {
                    const values = { a: valueOf(a, field), b: valueOf(b, field) };
                    const differ = values.a !== values.b;
                    return (
                      <tr key={field} data-field={field} className={differ ? 'differs' : undefined}>
                        <th scope="row">
                          {FIELD_LABELS[field]}
                          {differ && <span className="visually-hidden"> (differs)</span>}
                        </th>
                        {(['a', 'b'] as const).map((side) =>
                          decidable ? (
                            <td key={side}>
                              <label className="radio">
                                <input
                                  type="radio"
                                  name={`keep-${field}`}
                                  value={side}
                                  checked={effective(field) === side}
                                  onChange={() => setKeep((current) => ({ ...current, [field]: side }))}
                                />
                                <span className="visually-hidden">Keep patient {side.toUpperCase()}'s {FIELD_LABELS[field].toLowerCase()}: </span>
                                {values[side] || <span className="muted">(none)</span>}
                              </label>
                            </td>
                          ) : (
                            <td key={side}>{values[side] || <span className="muted">—</span>}</td>
                          ),
                        )}
                      </tr>
                    );
                  })}
                  <tr>
                    <th scope="row">MRN</th>
                    <td>
                      <code className="identifier-value">{a.mrn || '—'}</code>
                    </td>
                    <td>
                      <code className="identifier-value">{b.mrn || '—'}</code>
                    </td>
                  </tr>
                  <tr>
                    <th scope="row">Other identifiers</th>
                    {[a, b].map((patient) => (
                      <td key={patient.patient_id}>
                        {otherIdentifiers(patient).length === 0 ? (
                          <span className="muted">—</span>
                        ) : (
                          <ul className="plain-list">
                            {otherIdentifiers(patient).map((identifier, index) => (
                              <li key={index}>
                                <span className="identifier-label">{identifier.system}</span>{' '}
                                <code className="identifier-value">{identifier.value}</code>
                              </li>
                            ))}
                          </ul>
                        )}
                      </td>
                    ))}
                  </tr>
                  {(a.facility || b.facility) && (
                    <tr>
                      <th scope="row">Facility</th>
                      <td>{a.facility || '—'}</td>
                      <td>{b.facility || '—'}</td>
                    </tr>
                  )}
                  {(a.created_at || b.created_at) && (
                    <tr>
                      <th scope="row">Registered</th>
                      <td>{formatTime(a.created_at)}</td>
                      <td>{formatTime(b.created_at)}</td>
                    </tr>
                  )}
                  <tr>
                    <th scope="row">Record</th>
                    {[a, b].map((patient) => (
                      <td key={patient.patient_id} data-field="record-state">
                        {patient.active ? 'Active' : patient.replaced_by ? `Replaced by ${patient.replaced_by}` : 'Inactive'}
                        {chartLinks && (
                          <>
                            {' · '}
                            <a href={href(`/patients/${encodeURIComponent(patient.patient_id)}`)}>
                              Open chart<span className="visually-hidden"> of {patient.name}</span>
                            </a>
                          </>
                        )}
                      </td>
                    ))}
                  </tr>
                </tbody>
              </table>
            </div>
          </section>

          <section className="panel" aria-labelledby="why-heading">
            <h2 id="why-heading">Why they may be one person</h2>
            <p className="field-hint">
              Each field's agreement and its weight in bits: positive weights are evidence for the same person, negative against.
            </p>
            <WhyTable fields={item.fields ?? []} label="The matcher's explanation, field by field" />
          </section>

          <section className="panel" aria-labelledby="decide-heading">
            <h2 id="decide-heading">Decide</h2>
            {!decidable ? (
              <p data-testid="no-decision">
                This pair's status is “{queueStatusLabel(item.status)}”: there is nothing left to decide here.
                {item.status === 'merged' && (
                  <>
                    {' '}
                    A merge is undone from the <a href={href('/merges')}>merge history</a>.
                  </>
                )}
              </p>
            ) : (
              <>
                <Field
                  label="Note (optional)"
                  name="note"
                  hint="Kept with the decision: why it is not a duplicate, why it waits, what looks mixed up"
                  autoComplete="off"
                  value={note}
                  onChange={(event) => setNote(event.target.value)}
                />
                <div className="form-actions">
                  <button type="button" className="button button-primary" onClick={() => setPending({ kind: 'merge' })}>
                    Merge…
                  </button>
                  <button type="button" className="button" onClick={() => setPending({ kind: 'not-duplicate' })}>
                    Not a duplicate…
                  </button>
                  <button type="button" className="button" disabled={busy} onClick={() => void doAction('defer', 'Pair deferred: it stays in the queue under “Deferred”.')}>
                    Defer
                  </button>
                  <button type="button" className="button" onClick={() => setPending({ kind: 'overlay' })}>
                    Overlay…
                  </button>
                </div>
              </>
            )}
          </section>
        </>
      )}

      {pending?.kind === 'merge' && survivorPatient !== undefined && duplicatePatient !== undefined && (
        <ConfirmDialog
          title="Merge these records?"
          message={
            <>
              <p>
                <strong>{duplicatePatient.name}</strong> (MRN {duplicatePatient.mrn || '—'}) is retired, and all of its clinical data
                moves to <strong>{survivorPatient.name}</strong> (MRN {survivorPatient.mrn || '—'}).
              </p>
              {MERGE_FIELDS.some((field) => effective(field) !== survivor) && (
                <p>
                  Kept from the retired record:{' '}
                  {MERGE_FIELDS.filter((field) => effective(field) !== survivor)
                    .map((field) => FIELD_LABELS[field].toLowerCase())
                    .join(', ')}
                  .
                </p>
              )}
              <p>The merge can be undone from the merge history.</p>
            </>
          }
          confirmLabel="Merge records"
          danger
          busy={busy}
          error={<ErrorAlert error={actionError} />}
          onCancel={cancel}
          onConfirm={() => void doMerge()}
        />
      )}
      {pending?.kind === 'not-duplicate' && (
        <ConfirmDialog
          title="Not a duplicate?"
          message={<p>These two records are different people. The pair leaves the queue and is never proposed again.</p>}
          confirmLabel="Not a duplicate"
          danger
          busy={busy}
          error={<ErrorAlert error={actionError} />}
          onCancel={cancel}
          onConfirm={() => void doAction('not-duplicate', 'Marked as not a duplicate: this pair will not be proposed again.')}
        />
      )}
      {pending?.kind === 'overlay' && (
        <ConfirmDialog
          title="Report an overlay?"
          message={
            <p>
              An overlay is two people's information in one record. The pair goes to the privacy officer, who sorts the record
              out; it leaves this queue.
            </p>
          }
          confirmLabel="Send to privacy officer"
          danger
          busy={busy}
          error={<ErrorAlert error={actionError} />}
          onCancel={cancel}
          onConfirm={() => void doAction('overlay', 'Reported as an overlay: the privacy officer has the pair now.')}
        />
      )}
    </>
  );
}
