// Why the matcher thinks two records are the same person: every compared field with its agreement
// level and weight in bits (green for, red against), the total, and the rule that held the pair at
// "possible match" in words. Also the list of likely existing patients the registration screens show.
import type { Candidate, FieldWeight } from '../api';
import { formatFhirDate } from '../fhir';
import { cappedByText, decisionLabel, formatScore, formatWeight, matchFieldLabel, matchLevelLabel, sexLabel } from '../mpi';
import { href } from '../router';

export function weightClass(weight: number): string {
  if (weight >= 0.05) return 'weight weight-for';
  if (weight <= -0.05) return 'weight weight-against';
  return 'weight weight-none';
}

export function DecisionTag({ decision }: { decision: string }) {
  return (
    <span className={`status decision decision-${decision}`} data-decision={decision}>
      {decisionLabel(decision)}
    </span>
  );
}

/** The field-by-field explanation as a compact table. */
export function WhyTable({ fields, label }: { fields: FieldWeight[]; label: string }) {
  if (fields.length === 0) return <p className="field-hint">The server gave no field-by-field explanation.</p>;
  return (
    <table className="table table-compact why-table" data-testid="why">
      <caption className="visually-hidden">{label}</caption>
      <thead>
        <tr>
          <th scope="col">Field</th>
          <th scope="col">Agreement</th>
          <th scope="col" className="number">
            Weight (bits)
          </th>
        </tr>
      </thead>
      <tbody>
        {fields.map((field, index) => (
          <tr key={`${field.field}-${index}`} data-field={field.field} data-level={field.level}>
            <th scope="row">{matchFieldLabel(field.field)}</th>
            <td>{matchLevelLabel(field.level)}</td>
            <td className="number">
              <span className={weightClass(field.weight)}>
                {formatWeight(field.weight)}
                <span className="visually-hidden">
                  {field.weight >= 0.05 ? ' (for the same person)' : field.weight <= -0.05 ? ' (against)' : ''}
                </span>
              </span>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function CappedBy({ rule }: { rule: string | undefined | null }) {
  const text = cappedByText(rule);
  return text === '' ? null : (
    <p className="capped-by" data-testid="capped-by">
      {text}
    </p>
  );
}

interface CandidateListProps {
  candidates: Candidate[];
  /** Whether the user can open charts (Patients needs clinical.read too). */
  canOpenChart: boolean;
  /** Label of the list, for assistive technology. */
  label: string;
}

/** Likely existing patients, best first, each with its score, decision and explanation. */
export function CandidateList({ candidates, canOpenChart, label }: CandidateListProps) {
  return (
    <ol className="candidates" aria-label={label}>
      {candidates.map((candidate, index) => {
        const chart = `/patients/${encodeURIComponent(candidate.patient_id)}`;
        const fields = candidate.fields ?? [];
        return (
          <li key={candidate.patient_id} className="candidate" data-testid="candidate" data-patient-id={candidate.patient_id}>
            <div className="candidate-heading">
              <strong className="candidate-name">{candidate.name || `Patient ${candidate.patient_id}`}</strong>
              <DecisionTag decision={candidate.decision} />
            </div>
            <dl className="details candidate-details">
              <dt>Score</dt>
              <dd data-field="score">
                <strong>{formatScore(candidate.score)}</strong>
                <span className="muted"> bits</span>
              </dd>
              <dt>MRN</dt>
              <dd data-field="mrn">
                <code className="identifier-value">{candidate.mrn || '—'}</code>
              </dd>
              <dt>Birth date</dt>
              <dd data-field="birth-date">{formatFhirDate(candidate.birth_date) || '—'}</dd>
              <dt>Sex</dt>
              <dd>{sexLabel(candidate.sex) || '—'}</dd>
              {candidate.address !== '' && (
                <>
                  <dt>Address</dt>
                  <dd>{candidate.address}</dd>
                </>
              )}
              {candidate.phone !== '' && (
                <>
                  <dt>Phone</dt>
                  <dd>{candidate.phone}</dd>
                </>
              )}
              {candidate.ssn_last4 !== '' && (
                <>
                  <dt>SSN</dt>
                  <dd>••• ending {candidate.ssn_last4}</dd>
                </>
              )}
            </dl>
            <CappedBy rule={candidate.capped_by} />
            <details className="why" open={index === 0}>
              <summary>
                Why: {fields.filter((field) => field.weight >= 0.05).length} for,{' '}
                {fields.filter((field) => field.weight <= -0.05).length} against
              </summary>
              <WhyTable fields={fields} label={`Why ${candidate.name} may be the same person`} />
            </details>
            {canOpenChart ? (
              <a className="button button-small" href={href(chart)}>
                Open chart<span className="visually-hidden"> of {candidate.name}</span>
              </a>
            ) : (
              <p className="field-hint">Your role cannot open charts; the MRN identifies this patient.</p>
            )}
          </li>
        );
      })}
    </ol>
  );
}
