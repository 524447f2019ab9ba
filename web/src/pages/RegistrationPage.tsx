// Registration (patients.register): the registrar's form for a new patient. As the registrar types,
// likely existing patients are searched for (POST /patients/match, debounced) and shown beside the
// form, each with its score and the reasons for it: search before create. Registering a person the
// server thinks may already exist (409 possible_duplicate) needs an explicit "this is a new person".
// Checks in the browser are a convenience; the server's error `field` path (`ssn`, `name.family`,
// `coverage[0].member_id`) is shown next to the input it names.
import { useEffect, useRef, useState, type FormEvent } from 'react';
import {
  ApiError,
  matchPatients,
  registerPatient,
  type Candidate,
  type PatientSummary,
  type Registration,
  type Sex,
  type Subscriber,
  type VerificationStatus,
} from '../api';
import { ErrorAlert, Notice, fieldError, isFieldError } from '../components/Alert';
import { Field } from '../components/Field';
import { CandidateList } from '../components/MatchExplanation';
import { SelectField } from '../components/SelectField';
import { formatFhirDate } from '../fhir';
import { canOpenCharts } from '../navigation';
import { navigate } from '../router';
import { useSession } from '../session';
import { usePageTitle } from '../usePageTitle';

const MATCH_DELAY_MS = 300;
const FULL_DATE = /^\d{4}-\d{2}-\d{2}$/;

interface PreviousNameRow {
  key: number;
  given: string;
  family: string;
  use: 'maiden' | 'old';
}

interface IdentifierRow {
  key: number;
  system: string;
  value: string;
}

interface CoverageRow {
  key: number;
  payer: string;
  member_id: string;
  group: string;
  subscriber: Subscriber | '';
  verification_status: VerificationStatus | '';
  verified_on: string;
}

interface Draft {
  facility: string;
  given: string;
  middle: string;
  family: string;
  suffix: string;
  previous: PreviousNameRow[];
  preferred: string;
  birth_date: string;
  sex: Sex | '';
  ssn: string;
  line1: string;
  line2: string;
  city: string;
  state: string;
  postal_code: string;
  phone: string;
  email: string;
  identifiers: IdentifierRow[];
  coverage: CoverageRow[];
}

const EMPTY: Draft = {
  facility: '',
  given: '',
  middle: '',
  family: '',
  suffix: '',
  previous: [],
  preferred: '',
  birth_date: '',
  sex: '',
  ssn: '',
  line1: '',
  line2: '',
  city: '',
  state: '',
  postal_code: '',
  phone: '',
  email: '',
  identifiers: [],
  coverage: [],
};

const SEX_OPTIONS = [
  { value: '', label: 'Choose…' },
  { value: 'female', label: 'Female' },
  { value: 'male', label: 'Male' },
  { value: 'other', label: 'Other' },
  { value: 'unknown', label: 'Unknown' },
] as const;

const NAME_USE_OPTIONS = [
  { value: 'maiden', label: 'Maiden name' },
  { value: 'old', label: 'Former name' },
] as const;

const SUBSCRIBER_OPTIONS = [
  { value: '', label: 'Not given' },
  { value: 'self', label: 'Self' },
  { value: 'spouse', label: 'Spouse' },
  { value: 'child', label: 'Child' },
  { value: 'other', label: 'Other' },
] as const;

const VERIFICATION_OPTIONS = [
  { value: '', label: 'Not given' },
  { value: 'verified', label: 'Verified' },
  { value: 'unverified', label: 'Unverified' },
  { value: 'failed', label: 'Failed' },
] as const;

let nextRowKey = 1;
const rowKey = () => nextRowKey++;

/** Only the words that were typed: undefined for blank text. */
const text = (value: string): string | undefined => (value.trim() === '' ? undefined : value.trim());

function definedOnly<T extends object>(value: T): T | undefined {
  const entries = Object.entries(value).filter(([, item]) => item !== undefined);
  return entries.length === 0 ? undefined : (Object.fromEntries(entries) as T);
}

/**
 * The request body for `draft`, and where each row went in its arrays (blank rows are left out,
 * so `coverage[0]` in an error may be the second row on screen).
 */
function toRegistration(draft: Draft, forMatch: boolean): { body: Registration; sentIndex: Map<number, number> } {
  const sentIndex = new Map<number, number>();
  const previous = draft.previous.filter((row) => (forMatch ? text(row.family) !== undefined : text(row.given) !== undefined || text(row.family) !== undefined));
  previous.forEach((row, index) => sentIndex.set(row.key, index));
  const identifiers = draft.identifiers.filter((row) =>
    forMatch ? text(row.system) !== undefined && text(row.value) !== undefined : text(row.system) !== undefined || text(row.value) !== undefined,
  );
  identifiers.forEach((row, index) => sentIndex.set(row.key, index));
  const coverage = forMatch
    ? []
    : draft.coverage.filter((row) =>
        [row.payer, row.member_id, row.group, row.subscriber, row.verification_status, row.verified_on].some((value) => text(value) !== undefined),
      );
  coverage.forEach((row, index) => sentIndex.set(row.key, index));
  const ssnDigits = draft.ssn.replace(/\D/g, '');
  const birthDate = text(draft.birth_date);
  const phoneDigits = draft.phone.replace(/\D/g, '');
  // While typing, only what is whole goes to the search: a half-typed date, phone or ZIP would only
  // be refused. (The server matches a partial SSN on its last digits once it has four.)
  const whole = (value: string, complete: boolean): string | undefined => (forMatch && !complete ? undefined : text(value));
  const line = [draft.line1, draft.line2].map((value) => value.trim()).filter((value) => value !== '');
  const body: Registration = {
    facility: text(draft.facility),
    name: definedOnly({ given: text(draft.given), middle: text(draft.middle), family: text(draft.family), suffix: text(draft.suffix) }),
    previous_names:
      previous.length === 0
        ? undefined
        : previous.map((row) => definedOnly({ given: text(row.given), family: text(row.family), use: row.use }) ?? {}),
    preferred_name: text(draft.preferred),
    birth_date: forMatch && birthDate !== undefined && !FULL_DATE.test(birthDate) ? undefined : birthDate,
    sex: draft.sex === '' ? undefined : draft.sex,
    ssn: whole(draft.ssn, ssnDigits.length >= 4 && ssnDigits.length <= 9),
    address: definedOnly({
      line: line.length === 0 ? undefined : line,
      city: text(draft.city),
      state: whole(draft.state, /^[A-Za-z]{2}$/.test(draft.state.trim())),
      postal_code: whole(draft.postal_code, /^\d{5}(-\d{4})?$/.test(draft.postal_code.trim())),
    }),
    phone: whole(draft.phone, phoneDigits.length === 10 || (phoneDigits.length === 11 && phoneDigits.startsWith('1'))),
    email: whole(draft.email, /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(draft.email.trim())),
    identifiers:
      identifiers.length === 0 ? undefined : identifiers.map((row) => ({ system: row.system.trim(), value: row.value.trim() })),
    coverage:
      coverage.length === 0
        ? undefined
        : coverage.map(
            (row) =>
              definedOnly({
                payer: text(row.payer),
                member_id: text(row.member_id),
                group: text(row.group),
                subscriber: row.subscriber === '' ? undefined : row.subscriber,
                verification_status: row.verification_status === '' ? undefined : row.verification_status,
                verified_on: text(row.verified_on),
              }) ?? {},
          ),
  };
  return { body: definedOnly(body) ?? {}, sentIndex };
}

/** Whether there is enough to look for existing patients: a name, a whole birth date or SSN. */
function searchable(body: Registration): boolean {
  return body.name?.given !== undefined || body.name?.family !== undefined || body.birth_date !== undefined || body.ssn !== undefined;
}

const invalid = (message: string, field: string) => new ApiError(400, 'invalid_argument', message, field);

/** The browser's own checks (the server checks everything again). */
function checkDraft(draft: Draft): ApiError | null {
  if (draft.given.trim() === '') return invalid('Enter the given name.', 'name.given');
  if (draft.family.trim() === '') return invalid('Enter the family name.', 'name.family');
  if (draft.birth_date.trim() === '') return invalid('Enter the birth date.', 'birth_date');
  if (!FULL_DATE.test(draft.birth_date.trim())) return invalid('Enter the birth date as YYYY-MM-DD.', 'birth_date');
  if (draft.sex === '') return invalid('Choose the sex.', 'sex');
  if (draft.ssn.trim() !== '' && !/^\d{3}-?\d{2}-?\d{4}$/.test(draft.ssn.trim())) {
    return invalid('An SSN has 9 digits (dashes optional).', 'ssn');
  }
  if (draft.email.trim() !== '' && !/^[^\s@]+@[^\s@]+$/.test(draft.email.trim())) return invalid('Enter an email address like name@example.org.', 'email');
  return null;
}

type MatchState =
  | { status: 'idle' }
  | { status: 'searching'; candidates: Candidate[] }
  | { status: 'done'; candidates: Candidate[] }
  | { status: 'error'; error: unknown };

export function RegistrationPage() {
  const { me } = useSession();
  const heading = usePageTitle('Registration');
  const canOpenChart = canOpenCharts(me);

  const [draft, setDraft] = useState<Draft>(EMPTY);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [match, setMatch] = useState<MatchState>({ status: 'idle' });
  const [duplicate, setDuplicate] = useState<{ message: string; candidates: Candidate[] } | null>(null);
  const [confirmNew, setConfirmNew] = useState(false);
  const [created, setCreated] = useState<PatientSummary | null>(null);
  const [focusRow, setFocusRow] = useState<number | null>(null);
  const form = useRef<HTMLFormElement>(null);
  const duplicateHeading = useRef<HTMLHeadingElement>(null);
  const createdNotice = useRef<HTMLDivElement>(null);
  const matchNumber = useRef(0);

  const { body: matchBody } = toRegistration(draft, true);
  const matchKey = searchable(matchBody) ? JSON.stringify(matchBody) : '';

  // Search before create: the likely existing patients for what has been typed so far.
  useEffect(() => {
    const number = ++matchNumber.current;
    if (matchKey === '') {
      setMatch({ status: 'idle' });
      return;
    }
    const timer = window.setTimeout(() => {
      setMatch((current) => ({ status: 'searching', candidates: current.status === 'done' || current.status === 'searching' ? current.candidates : [] }));
      matchPatients(JSON.parse(matchKey) as Registration).then(
        (answer) => number === matchNumber.current && setMatch({ status: 'done', candidates: answer.candidates ?? [] }),
        (caught: unknown) => number === matchNumber.current && setMatch({ status: 'error', error: caught }),
      );
    }, MATCH_DELAY_MS);
    return () => window.clearTimeout(timer);
  }, [matchKey]);

  // After a refused submit, the first input at fault gets the focus (its message is announced).
  useEffect(() => {
    if (error instanceof ApiError && error.field !== undefined) {
      form.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
    }
  }, [error]);

  useEffect(() => {
    if (duplicate !== null) duplicateHeading.current?.focus();
  }, [duplicate]);

  useEffect(() => {
    if (created !== null) createdNotice.current?.focus();
  }, [created]);

  useEffect(() => {
    if (focusRow === null) return;
    form.current?.querySelector<HTMLElement>(`[data-row="${focusRow}"] input, [data-row="${focusRow}"] select`)?.focus();
    setFocusRow(null);
  }, [focusRow]);

  function change(patch: Partial<Draft>) {
    setDraft((current) => ({ ...current, ...patch }));
    setConfirmNew(false);
  }

  const set = (key: 'facility' | 'given' | 'middle' | 'family' | 'suffix' | 'preferred' | 'birth_date' | 'ssn' | 'line1' | 'line2' | 'city' | 'state' | 'postal_code' | 'phone' | 'email') =>
    (event: { target: { value: string } }) => change({ [key]: event.target.value });

  function updateRow<K extends 'previous' | 'identifiers' | 'coverage'>(list: K, key: number, patch: Partial<Draft[K][number]>) {
    setDraft((current) => ({
      ...current,
      [list]: (current[list] as Draft[K][number][]).map((row) => (row.key === key ? { ...row, ...patch } : row)),
    }));
    setConfirmNew(false);
  }

  function addRow(list: 'previous' | 'identifiers' | 'coverage') {
    const key = rowKey();
    setDraft((current) => {
      if (list === 'previous') return { ...current, previous: [...current.previous, { key, given: '', family: '', use: 'maiden' }] };
      if (list === 'identifiers') return { ...current, identifiers: [...current.identifiers, { key, system: '', value: '' }] };
      return {
        ...current,
        coverage: [...current.coverage, { key, payer: '', member_id: '', group: '', subscriber: '', verification_status: '', verified_on: '' }],
      };
    });
    setError(null);
    setFocusRow(key);
  }

  function removeRow(list: 'previous' | 'identifiers' | 'coverage', key: number, addButtonId: string) {
    setDraft((current) => ({ ...current, [list]: (current[list] as { key: number }[]).filter((row) => row.key !== key) }));
    setError(null);
    // The removed row's button is gone: the list's "Add" button is the nearest place to land.
    window.setTimeout(() => document.getElementById(addButtonId)?.focus(), 0);
  }

  async function send(confirm: boolean) {
    const problem = checkDraft(draft);
    if (problem !== null) {
      setError(problem);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const { body } = toRegistration(draft, false);
      const answer = await registerPatient(confirm ? { ...body, confirm_new_person: true } : body);
      if (answer.kind === 'possible_duplicate') {
        setDuplicate({ message: answer.message, candidates: answer.candidates });
        setConfirmNew(false);
      } else if (canOpenChart) {
        navigate(`/patients/${encodeURIComponent(answer.patient.patient_id)}`);
      } else {
        setDuplicate(null);
        setConfirmNew(false);
        setDraft(EMPTY);
        setCreated(answer.patient);
      }
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    void send(duplicate !== null && confirmNew);
  }

  const { sentIndex } = toRegistration(draft, false);
  /** The error aimed at any of `paths` (the server may name a row, or one input of it). */
  const errorAt = (...paths: string[]): string | undefined => {
    for (const path of paths) {
      const message = fieldError(error, path);
      if (message !== undefined) return message;
    }
    return undefined;
  };
  const rowPath = (list: string, key: number, field?: string): string[] => {
    const index = sentIndex.get(key);
    if (index === undefined) return [];
    return field === undefined ? [`${list}[${index}]`] : [`${list}[${index}].${field}`];
  };

  const shownPaths = [
    'facility', 'name', 'name.given', 'name.middle', 'name.family', 'name.suffix', 'preferred_name', 'birth_date', 'sex', 'ssn',
    'address', 'address.line', 'address.line[0]', 'address.line[1]', 'address.city', 'address.state', 'address.postal_code',
    'phone', 'email', 'confirm_new_person',
    ...draft.previous.flatMap((row) => ['', 'given', 'family', 'use'].flatMap((field) => rowPath('previous_names', row.key, field || undefined))),
    ...draft.identifiers.flatMap((row) => ['', 'system', 'value'].flatMap((field) => rowPath('identifiers', row.key, field || undefined))),
    ...draft.coverage.flatMap((row) =>
      ['', 'payer', 'member_id', 'group', 'subscriber', 'verification_status', 'verified_on'].flatMap((field) => rowPath('coverage', row.key, field || undefined)),
    ),
  ];
  const generalError = isFieldError(error, shownPaths) ? null : error;
  const candidates = match.status === 'done' || match.status === 'searching' ? match.candidates : [];

  return (
    <>
      <h1 ref={heading} tabIndex={-1}>
        Registration
      </h1>
      <p className="lead">
        Register a new patient. Patients already registered who may be the same person are shown as you type: check them
        before creating a new record.
      </p>
      {created !== null && (
        <div ref={createdNotice} tabIndex={-1} data-testid="registered">
          <Notice tone="success">
            Registered <strong>{created.name}</strong>, born {formatFhirDate(created.birth_date) || '—'}, with MRN{' '}
            <code className="identifier-value" data-field="mrn">{created.mrn}</code>.
          </Notice>
        </div>
      )}

      <div className="registration-layout">
        <form ref={form} className="panel registration-form" onSubmit={submit} aria-labelledby="registration-form-heading" noValidate>
          <h2 id="registration-form-heading">New patient</h2>
          <ErrorAlert error={generalError} />

          <fieldset className="fieldset">
            <legend>Legal name</legend>
            <div className="form-grid form-grid-wide">
              <Field label="Given name" name="given" autoComplete="off" required value={draft.given} onChange={set('given')} error={errorAt('name.given', 'name')} />
              <Field label="Middle name" name="middle" autoComplete="off" value={draft.middle} onChange={set('middle')} error={errorAt('name.middle')} />
              <Field label="Family name" name="family" autoComplete="off" required value={draft.family} onChange={set('family')} error={errorAt('name.family')} />
              <Field label="Suffix" name="suffix" autoComplete="off" hint="Jr, Sr, III…" value={draft.suffix} onChange={set('suffix')} error={errorAt('name.suffix')} />
            </div>
            <Field
              label="Preferred name"
              name="preferred"
              autoComplete="off"
              hint="What the patient likes to be called"
              value={draft.preferred}
              onChange={set('preferred')}
              error={errorAt('preferred_name')}
            />
          </fieldset>

          <fieldset className="fieldset" aria-describedby="previous-names-hint">
            <legend>Previous names</legend>
            <p className="field-hint" id="previous-names-hint">
              Maiden and former names help find earlier records.
            </p>
            {draft.previous.map((row, index) => (
              <div className="repeat-row" key={row.key} data-row={row.key} role="group" aria-label={`Previous name ${index + 1}`}>
                <div className="form-grid form-grid-wide">
                  <Field
                    label="Previous given name"
                    autoComplete="off"
                    value={row.given}
                    onChange={(event) => updateRow('previous', row.key, { given: event.target.value })}
                    error={errorAt(...rowPath('previous_names', row.key, 'given'))}
                  />
                  <Field
                    label="Previous family name"
                    autoComplete="off"
                    value={row.family}
                    onChange={(event) => updateRow('previous', row.key, { family: event.target.value })}
                    error={errorAt(...rowPath('previous_names', row.key, 'family'), ...rowPath('previous_names', row.key))}
                  />
                  <SelectField
                    label="Kind of name"
                    options={NAME_USE_OPTIONS}
                    value={row.use}
                    onChange={(event) => updateRow('previous', row.key, { use: event.target.value as PreviousNameRow['use'] })}
                    error={errorAt(...rowPath('previous_names', row.key, 'use'))}
                  />
                </div>
                <button type="button" className="button button-small" onClick={() => removeRow('previous', row.key, 'add-previous-name')}>
                  Remove<span className="visually-hidden"> previous name {index + 1}</span>
                </button>
              </div>
            ))}
            <button type="button" id="add-previous-name" className="button button-small" onClick={() => addRow('previous')}>
              Add previous name
            </button>
          </fieldset>

          <fieldset className="fieldset">
            <legend>Birth, sex and SSN</legend>
            <div className="form-grid form-grid-wide">
              <Field
                label="Birth date"
                name="birth_date"
                inputMode="numeric"
                autoComplete="off"
                placeholder="YYYY-MM-DD"
                hint="YYYY-MM-DD"
                required
                value={draft.birth_date}
                onChange={set('birth_date')}
                error={errorAt('birth_date')}
              />
              <SelectField
                label="Sex"
                name="sex"
                required
                options={SEX_OPTIONS}
                value={draft.sex}
                onChange={(event) => change({ sex: event.target.value as Sex | '' })}
                error={errorAt('sex')}
              />
              <Field
                label="SSN"
                name="ssn"
                inputMode="numeric"
                autoComplete="off"
                hint="9 digits, dashes optional"
                value={draft.ssn}
                onChange={set('ssn')}
                error={errorAt('ssn')}
              />
            </div>
          </fieldset>

          <fieldset className="fieldset">
            <legend>Contact</legend>
            <div className="form-grid form-grid-wide">
              <Field label="Address line 1" name="line1" autoComplete="off" value={draft.line1} onChange={set('line1')} error={errorAt('address.line[0]', 'address.line', 'address')} />
              <Field label="Address line 2" name="line2" autoComplete="off" value={draft.line2} onChange={set('line2')} error={errorAt('address.line[1]')} />
              <Field label="City" name="city" autoComplete="off" value={draft.city} onChange={set('city')} error={errorAt('address.city')} />
              <Field label="State" name="state" autoComplete="off" value={draft.state} onChange={set('state')} error={errorAt('address.state')} />
              <Field label="Postal code" name="postal_code" autoComplete="off" value={draft.postal_code} onChange={set('postal_code')} error={errorAt('address.postal_code')} />
              <Field label="Phone" name="phone" type="tel" autoComplete="off" value={draft.phone} onChange={set('phone')} error={errorAt('phone')} />
              <Field label="Email" name="email" type="email" autoComplete="off" value={draft.email} onChange={set('email')} error={errorAt('email')} />
            </div>
          </fieldset>

          <fieldset className="fieldset">
            <legend>External identifiers</legend>
            {draft.identifiers.length === 0 && <p className="field-hint">Driver's licence, other hospitals' MRNs… (none yet).</p>}
            {draft.identifiers.map((row, index) => (
              <div className="repeat-row" key={row.key} data-row={row.key} role="group" aria-label={`Identifier ${index + 1}`}>
                <div className="form-grid form-grid-wide">
                  <Field
                    label="Identifier system"
                    autoComplete="off"
                    spellCheck={false}
                    hint="A URI, e.g. urn:oid:2.16.840.1.113883.4.3.25"
                    value={row.system}
                    onChange={(event) => updateRow('identifiers', row.key, { system: event.target.value })}
                    error={errorAt(...rowPath('identifiers', row.key, 'system'))}
                  />
                  <Field
                    label="Identifier value"
                    autoComplete="off"
                    spellCheck={false}
                    value={row.value}
                    onChange={(event) => updateRow('identifiers', row.key, { value: event.target.value })}
                    error={errorAt(...rowPath('identifiers', row.key, 'value'), ...rowPath('identifiers', row.key))}
                  />
                </div>
                <button type="button" className="button button-small" onClick={() => removeRow('identifiers', row.key, 'add-identifier')}>
                  Remove<span className="visually-hidden"> identifier {index + 1}</span>
                </button>
              </div>
            ))}
            <button type="button" id="add-identifier" className="button button-small" onClick={() => addRow('identifiers')}>
              Add identifier
            </button>
          </fieldset>

          <fieldset className="fieldset">
            <legend>Insurance coverage</legend>
            {draft.coverage.length === 0 && <p className="field-hint">No coverage yet (self-pay).</p>}
            {draft.coverage.map((row, index) => (
              <div className="repeat-row" key={row.key} data-row={row.key} role="group" aria-label={`Coverage ${index + 1}`}>
                <div className="form-grid form-grid-wide">
                  <Field
                    label="Payer"
                    autoComplete="off"
                    value={row.payer}
                    onChange={(event) => updateRow('coverage', row.key, { payer: event.target.value })}
                    error={errorAt(...rowPath('coverage', row.key, 'payer'), ...rowPath('coverage', row.key))}
                  />
                  <Field
                    label="Member id"
                    autoComplete="off"
                    spellCheck={false}
                    value={row.member_id}
                    onChange={(event) => updateRow('coverage', row.key, { member_id: event.target.value })}
                    error={errorAt(...rowPath('coverage', row.key, 'member_id'))}
                  />
                  <Field
                    label="Group"
                    autoComplete="off"
                    spellCheck={false}
                    value={row.group}
                    onChange={(event) => updateRow('coverage', row.key, { group: event.target.value })}
                    error={errorAt(...rowPath('coverage', row.key, 'group'))}
                  />
                  <SelectField
                    label="Subscriber"
                    hint="The policy holder, relative to the patient"
                    options={SUBSCRIBER_OPTIONS}
                    value={row.subscriber}
                    onChange={(event) => updateRow('coverage', row.key, { subscriber: event.target.value as CoverageRow['subscriber'] })}
                    error={errorAt(...rowPath('coverage', row.key, 'subscriber'))}
                  />
                  <SelectField
                    label="Verification status"
                    options={VERIFICATION_OPTIONS}
                    value={row.verification_status}
                    onChange={(event) =>
                      updateRow('coverage', row.key, { verification_status: event.target.value as CoverageRow['verification_status'] })
                    }
                    error={errorAt(...rowPath('coverage', row.key, 'verification_status'))}
                  />
                  <Field
                    label="Verified on"
                    inputMode="numeric"
                    autoComplete="off"
                    placeholder="YYYY-MM-DD"
                    hint="YYYY-MM-DD"
                    value={row.verified_on}
                    onChange={(event) => updateRow('coverage', row.key, { verified_on: event.target.value })}
                    error={errorAt(...rowPath('coverage', row.key, 'verified_on'))}
                  />
                </div>
                <button type="button" className="button button-small" onClick={() => removeRow('coverage', row.key, 'add-coverage')}>
                  Remove<span className="visually-hidden"> coverage {index + 1}</span>
                </button>
              </div>
            ))}
            <button type="button" id="add-coverage" className="button button-small" onClick={() => addRow('coverage')}>
              Add coverage
            </button>
          </fieldset>

          <Field
            label="Facility"
            name="facility"
            autoComplete="off"
            placeholder="MAIN"
            hint="The facility that issues the MRN; MAIN when blank"
            value={draft.facility}
            onChange={set('facility')}
            error={errorAt('facility')}
          />

          {duplicate !== null && (
            <section className="alert alert-warning duplicate-warning" aria-labelledby="duplicate-heading" data-testid="duplicate-warning">
              <h2 id="duplicate-heading" ref={duplicateHeading} tabIndex={-1}>
                This person may already be registered
              </h2>
              <p>{duplicate.message}</p>
              <CandidateList candidates={duplicate.candidates} canOpenChart={canOpenChart} label="Patients who may be this person" />
              <div className={`checkbox confirm-new${fieldError(error, 'confirm_new_person') ? ' field-invalid' : ''}`}>
                <input
                  type="checkbox"
                  id="confirm-new-person"
                  checked={confirmNew}
                  onChange={(event) => setConfirmNew(event.target.checked)}
                  aria-describedby="confirm-new-person-hint"
                />
                <label htmlFor="confirm-new-person">This is a new person — create anyway</label>
                <span className="field-hint" id="confirm-new-person-hint">
                  Only after checking that none of the patients above is this person. The decision is audited, and the pairs go to
                  the duplicate queue for review.
                </span>
              </div>
              {fieldError(error, 'confirm_new_person') && (
                <p className="field-error" role="alert">
                  {fieldError(error, 'confirm_new_person')}
                </p>
              )}
              <div className="form-actions">
                <button type="button" className="button button-primary" disabled={!confirmNew || busy} onClick={() => void send(true)}>
                  Create new patient anyway
                </button>
              </div>
            </section>
          )}

          <div className="form-actions">
            <button type="submit" className="button button-primary" disabled={busy}>
              Register patient
            </button>
            <button
              type="button"
              className="button"
              onClick={() => {
                setDraft(EMPTY);
                setError(null);
                setDuplicate(null);
                setConfirmNew(false);
                setCreated(null);
              }}
            >
              Clear form
            </button>
          </div>
        </form>

        <aside className="panel match-panel" aria-labelledby="match-heading" data-testid="match-panel">
          <h2 id="match-heading">Already registered?</h2>
          <p className="field-hint" aria-live="polite" data-testid="match-status">
            {match.status === 'idle'
              ? 'Type a name, a birth date or an SSN to look for patients already registered.'
              : match.status === 'searching'
                ? 'Searching…'
                : match.status === 'error'
                  ? ''
                  : candidates.length === 0
                    ? 'No likely existing patient.'
                    : `${candidates.length} patient${candidates.length === 1 ? '' : 's'} may be this person.`}
          </p>
          {match.status === 'error' && (
            <p className="field-hint" role="status">
              The search for existing patients did not run: {match.error instanceof Error ? match.error.message : String(match.error)}
            </p>
          )}
          {candidates.length > 0 && <CandidateList candidates={candidates} canOpenChart={canOpenChart} label="Likely existing patients" />}
        </aside>
      </div>
    </>
  );
}
