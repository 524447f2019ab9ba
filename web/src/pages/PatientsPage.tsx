// Patients (patients.read + clinical.read): find patients by name, birth date or identifier and
// page through the matches; a name opens the chart. The search is remembered in memory (not in the
// address: it is patient data), so coming back from a chart shows the same page of results.
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { searchFhir, type SearchPage } from '../api';
import { ErrorAlert, fieldError, isFieldError } from '../components/Alert';
import { Field } from '../components/Field';
import { formatCount } from '../format';
import {
  addressText,
  currentAddress,
  formatFhirDate,
  genderLabel,
  identifierLabel,
  nameSortText,
  type Identifier,
  type Patient,
} from '../fhir';
import { lastPatientSearch, rememberPatientSearch, type PatientSearch } from '../patientSearch';
import { href, navigate } from '../router';
import { usePageTitle } from '../usePageTitle';

const PAGE_SIZE = 20;
const CRITERIA = ['name', 'birthdate', 'identifier'] as const;
type Criterion = (typeof CRITERIA)[number];
type Criteria = Record<Criterion, string>;

/** Identifiers worth a column: medical record and social security numbers first. */
function shownIdentifiers(identifiers: Identifier[] | undefined): Identifier[] {
  const all = (identifiers ?? []).filter((identifier) => identifier.value);
  const rank = (identifier: Identifier) => {
    const label = identifierLabel(identifier);
    return label === 'MRN' ? 0 : label === 'SSN' ? 1 : 2;
  };
  const typed = all.filter((identifier) => rank(identifier) < 2);
  return (typed.length > 0 ? typed : all.slice(0, 1)).sort((a, b) => rank(a) - rank(b));
}

export function PatientsPage() {
  const heading = usePageTitle('Patients');
  const [applied, setApplied] = useState<PatientSearch>(lastPatientSearch);
  const [draft, setDraft] = useState<Criteria>(() => ({ name: applied.name, birthdate: applied.birthdate, identifier: applied.identifier }));
  const { offset } = applied;
  const [page, setPage] = useState<SearchPage<Patient> | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>(null);
  const resultsHeading = useRef<HTMLHeadingElement>(null);
  const moveFocusToResults = useRef(false);

  useEffect(() => {
    rememberPatientSearch(applied);
  }, [applied]);

  useEffect(() => {
    let current = true;
    setLoading(true);
    setError(null);
    searchFhir<Patient>('Patient', {
      name: applied.name,
      birthdate: applied.birthdate,
      identifier: applied.identifier,
      _sort: 'family',
      _count: PAGE_SIZE,
      _offset: offset === 0 ? undefined : offset,
    }).then(
      (answer) => {
        if (!current) return;
        setPage(answer);
        setLoading(false);
        if (moveFocusToResults.current) {
          moveFocusToResults.current = false;
          resultsHeading.current?.focus();
        }
      },
      (caught: unknown) => {
        if (!current) return;
        setError(caught);
        setPage(null);
        setLoading(false);
      },
    );
    return () => {
      current = false;
    };
  }, [applied, offset]);

  function submit(event: FormEvent) {
    event.preventDefault();
    moveFocusToResults.current = true;
    setApplied({ name: draft.name.trim(), birthdate: draft.birthdate.trim(), identifier: draft.identifier.trim(), offset: 0 });
  }

  function goToOffset(next: number) {
    moveFocusToResults.current = true;
    setApplied({ ...applied, offset: Math.max(0, next) });
  }

  function clear() {
    setDraft({ name: '', birthdate: '', identifier: '' });
    setApplied({ name: '', birthdate: '', identifier: '', offset: 0 });
  }

  const searching = CRITERIA.some((criterion) => applied[criterion].trim() !== '');
  const formError = isFieldError(error, CRITERIA) ? error : null;
  const shown = page?.resources ?? [];
  const total = page?.total ?? null;
  const from = shown.length === 0 ? 0 : offset + 1;
  const to = offset + shown.length;

  return (
    <>
      <h1 ref={heading} tabIndex={-1}>
        Patients
      </h1>
      <p className="lead">Find a patient by name, birth date or identifier, then open the chart.</p>

      <section className="panel" aria-labelledby="patient-search-heading">
        <h2 id="patient-search-heading" className="visually-hidden">
          Search
        </h2>
        <form className="patient-search" role="search" aria-label="Patients" onSubmit={submit} noValidate>
          <div className="form-grid form-grid-wide">
            <Field
              label="Name"
              name="name"
              type="search"
              autoComplete="off"
              hint="Start of a family or given name"
              value={draft.name}
              error={fieldError(formError, 'name')}
              onChange={(event) => setDraft({ ...draft, name: event.target.value })}
            />
            <Field
              label="Birth date"
              name="birthdate"
              type="text"
              inputMode="numeric"
              autoComplete="off"
              placeholder="YYYY-MM-DD"
              hint="YYYY-MM-DD, or YYYY-MM, or YYYY"
              value={draft.birthdate}
              error={fieldError(formError, 'birthdate')}
              onChange={(event) => setDraft({ ...draft, birthdate: event.target.value })}
            />
            <Field
              label="Identifier"
              name="identifier"
              type="search"
              autoComplete="off"
              hint="MRN, SSN or other identifier value"
              value={draft.identifier}
              error={fieldError(formError, 'identifier')}
              onChange={(event) => setDraft({ ...draft, identifier: event.target.value })}
            />
          </div>
          <div className="form-actions">
            <button type="submit" className="button button-primary">
              Search
            </button>
            <button type="button" className="button" onClick={clear}>
              Clear
            </button>
          </div>
        </form>
      </section>

      <section className="panel" aria-labelledby="patient-results-heading">
        <div className="panel-heading">
          <h2 id="patient-results-heading" ref={resultsHeading} tabIndex={-1}>
            {searching ? 'Matching patients' : 'All patients'}
          </h2>
        </div>
        {formError === null && <ErrorAlert error={error} />}
        <p className="field-hint" aria-live="polite" data-testid="patient-count">
          {loading
            ? 'Searching…'
            : error !== null
              ? ''
              : shown.length === 0
                ? ''
                : `Showing ${formatCount(from)}–${formatCount(to)}${total === null ? '' : ` of ${formatCount(total)}`} patient${total === 1 ? '' : 's'}.`}
        </p>
        {!loading && error === null && shown.length === 0 && (
          <p>{searching ? 'No patient matches this search.' : 'There are no patients yet.'}</p>
        )}
        {shown.length > 0 && <PatientTable patients={shown} />}
        {(page?.previous != null || page?.next != null || offset > 0) && (
          <nav className="pager" aria-label="Result pages">
            <button
              type="button"
              className="button"
              disabled={loading || offset === 0}
              onClick={() => goToOffset(Math.max(0, offset - PAGE_SIZE))}
            >
              ← Previous
            </button>
            <button
              type="button"
              className="button"
              disabled={loading || page?.next == null}
              onClick={() => goToOffset(offset + PAGE_SIZE)}
            >
              Next →
            </button>
          </nav>
        )}
      </section>
    </>
  );
}

function PatientTable({ patients }: { patients: Patient[] }) {
  return (
    <div className="table-wrap">
      <table className="table patient-table">
        <caption className="visually-hidden">Patients; a name opens the chart</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Birth date</th>
            <th scope="col">Sex</th>
            <th scope="col">Identifiers</th>
            <th scope="col">City</th>
          </tr>
        </thead>
        <tbody>
          {patients.map((patient) => {
            const id = patient.id ?? '';
            const path = `/patients/${encodeURIComponent(id)}`;
            const address = currentAddress(patient.address);
            return (
              <tr
                key={id}
                className="row-link"
                data-patient-id={id}
                onClick={(event) => {
                  // The name is the keyboard's way in; a click anywhere on the row does the same.
                  if (!(event.target instanceof HTMLElement) || event.target.closest('a') === null) navigate(path);
                }}
              >
                <th scope="row">
                  <a href={href(path)}>{nameSortText(patient.name) || `Patient ${id}`}</a>
                  {(patient.deceasedBoolean === true || patient.deceasedDateTime !== undefined) && (
                    <span className="status status-disabled tag">Deceased</span>
                  )}
                </th>
                <td className="nowrap">{formatFhirDate(patient.birthDate) || '—'}</td>
                <td>{genderLabel(patient.gender) || '—'}</td>
                <td>
                  <ul className="plain-list">
                    {shownIdentifiers(patient.identifier).map((identifier, index) => (
                      <li key={index}>
                        <span className="identifier-label">{identifierLabel(identifier)}</span>{' '}
                        <code className="identifier-value">{identifier.value}</code>
                      </li>
                    ))}
                  </ul>
                </td>
                <td>{address?.city || (address === undefined ? '—' : addressText(address))}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
