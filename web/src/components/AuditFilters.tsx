// The filter form of the audit screen. Times are entered in the viewer's zone and sent as UTC.
import { useState, type FormEvent } from 'react';
import type { AuditFilter } from '../api';
import { localInputToUtc } from '../format';
import { Field } from './Field';

/** Audit actions the server records (docs/API.md, "Audit"), offered as suggestions. */
export const KNOWN_ACTIONS = [
  'auth.login',
  'auth.login_failed',
  'auth.logout',
  'auth.locked',
  'auth.password_change',
  'auth.totp_enroll',
  'auth.totp_confirm',
  'user.create',
  'user.update',
  'user.disable',
  'user.enable',
  'user.unlock',
  'user.reset_password',
  'user.reset_totp',
  'audit.query',
  'audit.export',
  'audit.verify',
] as const;

/** Outcomes the server records (audit/audit_event.h). */
const OUTCOMES = [
  { value: 'success', label: 'Success' },
  { value: 'failure', label: 'Failure' },
] as const;

interface Draft {
  actor: string;
  patient: string;
  action: string;
  object_type: string;
  outcome: string;
  from: string;
  to: string;
}

const EMPTY: Draft = { actor: '', patient: '', action: '', object_type: '', outcome: '', from: '', to: '' };

function toFilter(draft: Draft): AuditFilter {
  const filter: AuditFilter = {};
  for (const key of ['actor', 'patient', 'action', 'object_type', 'outcome'] as const) {
    const value = draft[key].trim();
    if (value !== '') filter[key] = value;
  }
  const from = localInputToUtc(draft.from);
  const to = localInputToUtc(draft.to);
  if (from !== undefined) filter.from = from;
  if (to !== undefined) filter.to = to;
  return filter;
}

export function AuditFilters({ onApply }: { onApply: (filter: AuditFilter) => void }) {
  const [draft, setDraft] = useState<Draft>(EMPTY);
  const set = (key: keyof Draft) => (event: { target: { value: string } }) =>
    setDraft((current) => ({ ...current, [key]: event.target.value }));

  function submit(event: FormEvent) {
    event.preventDefault();
    onApply(toFilter(draft));
  }

  return (
    <form className="panel" onSubmit={submit} aria-labelledby="audit-filter-heading">
      <h2 id="audit-filter-heading">Filter events</h2>
      <div className="form-grid form-grid-wide">
        <Field label="Actor" name="actor" hint="Username" value={draft.actor} onChange={set('actor')} autoCapitalize="none" spellCheck={false} />
        <Field label="Patient id" name="patient" value={draft.patient} onChange={set('patient')} spellCheck={false} />
        <Field label="Action" name="action" list="audit-actions" value={draft.action} onChange={set('action')} spellCheck={false} />
        <Field label="Object type" name="object_type" value={draft.object_type} onChange={set('object_type')} spellCheck={false} />
        <div className="field">
          <label htmlFor="audit-outcome">Outcome</label>
          <select id="audit-outcome" name="outcome" value={draft.outcome} onChange={set('outcome')}>
            <option value="">Any</option>
            {OUTCOMES.map((outcome) => (
              <option key={outcome.value} value={outcome.value}>
                {outcome.label}
              </option>
            ))}
          </select>
        </div>
        <Field label="From" name="from" type="datetime-local" step={1} value={draft.from} onChange={set('from')} />
        <Field label="To" name="to" type="datetime-local" step={1} value={draft.to} onChange={set('to')} />
      </div>
      <datalist id="audit-actions">
        {KNOWN_ACTIONS.map((action) => (
          <option key={action} value={action} />
        ))}
      </datalist>
      <div className="form-actions">
        <button type="submit" className="button button-primary">
          Apply filters
        </button>
        <button
          type="button"
          className="button"
          onClick={() => {
            setDraft(EMPTY);
            onApply({});
          }}
        >
          Clear
        </button>
      </div>
    </form>
  );
}
