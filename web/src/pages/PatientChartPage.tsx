// A patient's chart (#/patients/{id}): demographics and identifiers, problems, allergies,
// medications, plots of vital signs and laboratory values over time, the encounter timeline,
// immunizations, procedures and documents. Every read is audited by the server.
import { useEffect, useState } from 'react';
import { ApiError, readPatient } from '../api';
import { ErrorAlert } from '../components/Alert';
import { ChartSection, SectionTable } from '../components/ChartSection';
import { LineChart } from '../components/LineChart';
import {
  addressText,
  ageInYears,
  capitalize,
  conceptCode,
  conceptText,
  currentAddress,
  encounterClassText,
  fhirTime,
  formatFhirDate,
  genderLabel,
  identifierLabel,
  nameText,
  resourceName,
  type AllergyIntolerance,
  type CodeableConcept,
  type Condition,
  type DocumentReference,
  type Encounter,
  type Immunization,
  type MedicationRequest,
  type Observation,
  type Patient,
  type Procedure,
  type Reference,
  type Resource,
} from '../fhir';
import { plotsFrom, type Plot } from '../measurements';
import { href } from '../router';
import { useFhirSearch } from '../useFhirSearch';
import { usePageTitle } from '../usePageTitle';

const PAGE = 200;

export function PatientChartPage({ id }: { id: string }) {
  const [patient, setPatient] = useState<Patient | null>(null);
  const [error, setError] = useState<unknown>(null);
  const title = patient === null ? 'Patient chart' : nameText(patient.name) || `Patient ${id}`;
  const heading = usePageTitle(title);

  useEffect(() => {
    let current = true;
    readPatient(id).then(
      (answer) => current && setPatient(answer),
      (caught: unknown) => current && setError(caught),
    );
    return () => {
      current = false;
    };
  }, [id]);

  const missing = error instanceof ApiError && (error.status === 404 || error.status === 410);

  return (
    <>
      <p className="breadcrumb">
        <a href={href('/patients')}>← Patients</a>
      </p>
      <h1 ref={heading} tabIndex={-1}>
        {title}
      </h1>
      {missing ? (
        <p>There is no patient with the id <code>{id}</code> (or the record was deleted).</p>
      ) : (
        <ErrorAlert error={error} />
      )}
      {patient === null && error === null && <p aria-live="polite">Loading the chart…</p>}
      {patient !== null && <Chart patient={patient} id={id} />}
    </>
  );
}

// Header --------------------------------------------------------------------------------------

function PatientHeader({ patient }: { patient: Patient }) {
  const age = ageInYears(patient.birthDate, patient.deceasedDateTime ? new Date(fhirTime(patient.deceasedDateTime)) : undefined);
  const deceased = patient.deceasedBoolean === true || patient.deceasedDateTime !== undefined;
  const address = currentAddress(patient.address);
  const phones = (patient.telecom ?? []).filter((contact) => contact.system === 'phone' && contact.value);
  const identifiers = (patient.identifier ?? []).filter((identifier) => identifier.value);
  return (
    <section className="panel patient-header" aria-label="Demographics" data-testid="demographics">
      <dl className="demographics">
        <div>
          <dt>Birth date</dt>
          <dd data-field="birth-date">
            {formatFhirDate(patient.birthDate) || '—'}
            {age !== null && <span className="muted"> ({deceased ? `died aged ${age}` : `${age} years`})</span>}
          </dd>
        </div>
        <div>
          <dt>Sex</dt>
          <dd data-field="sex">{genderLabel(patient.gender) || '—'}</dd>
        </div>
        {deceased && (
          <div>
            <dt>Deceased</dt>
            <dd data-field="deceased">
              <span className="status status-locked">Deceased</span>{' '}
              {patient.deceasedDateTime !== undefined && formatFhirDate(patient.deceasedDateTime)}
            </dd>
          </div>
        )}
        <div>
          <dt>Phone</dt>
          <dd data-field="phone">
            {phones.length === 0
              ? '—'
              : phones.map((phone, index) => (
                  <span key={index} className="nowrap">
                    {index > 0 && ', '}
                    {phone.value}
                    {phone.use && <span className="muted"> ({phone.use})</span>}
                  </span>
                ))}
          </dd>
        </div>
        <div className="demographics-wide">
          <dt>Address</dt>
          <dd data-field="address">{addressText(address) || '—'}</dd>
        </div>
      </dl>
      <div className="identifiers">
        <h2 className="subheading">Identifiers</h2>
        {identifiers.length === 0 ? (
          <p className="muted">No identifiers recorded.</p>
        ) : (
          <dl className="details identifier-list" data-field="identifiers">
            {identifiers.map((identifier, index) => (
              <div key={index} className="identifier-row">
                <dt title={identifier.system}>{identifierLabel(identifier)}</dt>
                <dd>
                  <code>{identifier.value}</code>
                </dd>
              </div>
            ))}
          </dl>
        )}
      </div>
    </section>
  );
}

// The chart -----------------------------------------------------------------------------------

const SECTIONS = [
  { id: 'problems', label: 'Problems' },
  { id: 'allergies', label: 'Allergies' },
  { id: 'medications', label: 'Medications' },
  { id: 'vital-signs', label: 'Vital signs' },
  { id: 'lab-values', label: 'Lab values' },
  { id: 'encounters', label: 'Encounters' },
  { id: 'immunizations', label: 'Immunizations' },
  { id: 'procedures', label: 'Procedures' },
  { id: 'documents', label: 'Documents' },
] as const;

/** Jumps within the chart without touching the hash (it holds the route). */
function SectionLinks() {
  return (
    <nav className="section-links" aria-label="Chart sections">
      <ul>
        {SECTIONS.map((section) => (
          <li key={section.id}>
            <button
              type="button"
              className="button-link"
              onClick={() => {
                const target = document.getElementById(`${section.id}-heading`);
                target?.scrollIntoView({ block: 'start' });
                target?.focus({ preventScroll: true });
              }}
            >
              {section.label}
            </button>
          </li>
        ))}
      </ul>
    </nav>
  );
}

function Chart({ patient, id }: { patient: Patient; id: string }) {
  const conditions = useFhirSearch<Condition>('Condition', { patient: id, _sort: '-onset-date', _count: PAGE });
  const allergies = useFhirSearch<AllergyIntolerance>('AllergyIntolerance', { patient: id, _count: PAGE });
  const medications = useFhirSearch<MedicationRequest>('MedicationRequest', { patient: id, _sort: '-authoredon', _count: PAGE });
  const observations = useFhirSearch<Observation>('Observation', { patient: id, _sort: 'date', _count: 1000 });
  const encounters = useFhirSearch<Encounter>('Encounter', {
    patient: id,
    _sort: '-date',
    _count: PAGE,
    _include: ['Encounter:participant', 'Encounter:service-provider'],
  });
  const immunizations = useFhirSearch<Immunization>('Immunization', { patient: id, _sort: '-date', _count: PAGE });
  const procedures = useFhirSearch<Procedure>('Procedure', { patient: id, _sort: '-date', _count: PAGE });
  const documents = useFhirSearch<DocumentReference>('DocumentReference', { patient: id, _sort: '-date', _count: PAGE });

  return (
    <>
      <PatientHeader patient={patient} />
      <SectionLinks />
      <div className="chart-columns">
        <ChartSection id="problems" title="Problem list" state={conditions} empty="No problems are recorded for this patient.">
          {(resources) => <ProblemList conditions={resources} />}
        </ChartSection>
        <div>
          <ChartSection id="allergies" title="Allergies" state={allergies} empty="No allergies are recorded (this is not a statement that the patient has none).">
            {(resources) => <AllergyTable allergies={resources} />}
          </ChartSection>
          <ChartSection id="medications" title="Medications" state={medications} empty="No medications are recorded for this patient.">
            {(resources) => <MedicationTable medications={resources} />}
          </ChartSection>
        </div>
      </div>
      <PlotsSection state={observations} group="vital-signs" id="vital-signs" title="Vital signs" />
      <PlotsSection state={observations} group="laboratory" id="lab-values" title="Lab values" />
      <ChartSection id="encounters" title="Encounters" state={encounters} empty="No encounters are recorded for this patient.">
        {(resources, included) => <EncounterTimeline encounters={resources} included={included} />}
      </ChartSection>
      <div className="chart-columns">
        <ChartSection id="immunizations" title="Immunizations" state={immunizations} empty="No immunizations are recorded for this patient.">
          {(resources) => <ImmunizationTable immunizations={resources} />}
        </ChartSection>
        <ChartSection id="procedures" title="Procedures" state={procedures} empty="No procedures are recorded for this patient.">
          {(resources) => <ProcedureTable procedures={resources} />}
        </ChartSection>
      </div>
      <ChartSection
        id="documents"
        title="Documents"
        state={documents}
        empty="No documents (notes, reports, scans) are on file for this patient."
      >
        {(resources) => <DocumentTable documents={resources} />}
      </ChartSection>
    </>
  );
}

// Plots ---------------------------------------------------------------------------------------

function PlotsSection({
  state,
  group,
  id,
  title,
}: {
  state: ReturnType<typeof useFhirSearch<Observation>>;
  group: 'vital-signs' | 'laboratory';
  id: string;
  title: string;
}) {
  const [showOthers, setShowOthers] = useState(false);
  const plots = state.status === 'done' ? plotsFrom(state.resources) : [];
  const main = plots.filter((plot) => plot.group === group);
  // Numeric results without a plot of their own go with the laboratory values, folded.
  const others: Plot[] = group === 'laboratory' ? plots.filter((plot) => plot.group === 'other') : [];
  const headingId = `${id}-heading`;
  return (
    <section className="panel chart-section" id={id} aria-labelledby={headingId} aria-busy={state.status === 'loading'} data-section={id}>
      <div className="panel-heading">
        <h2 id={headingId} tabIndex={-1}>
          {title}
        </h2>
      </div>
      {state.status === 'loading' && <p className="field-hint">Loading…</p>}
      {state.status === 'error' && <ErrorAlert error={state.error} />}
      {state.status === 'done' && main.length === 0 && others.length === 0 && (
        <p className="empty-state">
          {group === 'vital-signs' ? 'No vital signs are recorded for this patient.' : 'No laboratory values are recorded for this patient.'}
        </p>
      )}
      {state.status === 'done' && !state.complete && (
        <p className="field-hint" role="note">
          The plots show the first {state.resources.length} of {state.total ?? 'more'} observations.
        </p>
      )}
      {main.length > 0 && (
        <div className="plots">
          {main.map((plot) => (
            <LineChart key={plot.id} plot={plot} />
          ))}
        </div>
      )}
      {others.length > 0 && (
        <>
          <button
            type="button"
            className="button button-small"
            aria-expanded={showOthers}
            aria-controls={`${id}-others`}
            onClick={() => setShowOthers((open) => !open)}
          >
            {showOthers ? 'Hide' : 'Show'} {others.length} other result{others.length === 1 ? '' : 's'}
          </button>
          <div id={`${id}-others`} className="plots plots-others" hidden={!showOthers}>
            {showOthers && others.map((plot) => <LineChart key={plot.id} plot={plot} />)}
          </div>
        </>
      )}
    </section>
  );
}

// Lists ---------------------------------------------------------------------------------------

const ACTIVE_CLINICAL = new Set(['active', 'recurrence', 'relapse']);

function StatusBadge({ concept, code }: { concept?: CodeableConcept | undefined; code?: string | undefined }) {
  const value = code ?? conceptCode(concept);
  if (value === '') return <>—</>;
  const tone = ACTIVE_CLINICAL.has(value) ? 'status-active' : value === 'entered-in-error' ? 'status-locked' : 'status-disabled';
  return <span className={`status ${tone}`}>{capitalize(value.replace(/-/g, ' '))}</span>;
}

function onsetOf(condition: Condition): string | undefined {
  return condition.onsetDateTime ?? condition.onsetPeriod?.start ?? condition.recordedDate;
}

function ProblemList({ conditions }: { conditions: Condition[] }) {
  const rank = (condition: Condition) => (ACTIVE_CLINICAL.has(conceptCode(condition.clinicalStatus)) ? 0 : 1);
  const sorted = [...conditions].sort(
    (a, b) => rank(a) - rank(b) || (fhirTime(onsetOf(b)) || 0) - (fhirTime(onsetOf(a)) || 0),
  );
  return (
    <SectionTable label="Problem list, active first" columns={['Condition', 'Status', 'Onset', 'Resolved']}>
      {sorted.map((condition, index) => (
        <tr key={condition.id ?? index} data-status={conceptCode(condition.clinicalStatus)}>
          <th scope="row">{conceptText(condition.code) || '—'}</th>
          <td>
            <StatusBadge concept={condition.clinicalStatus} />
          </td>
          <td className="nowrap">{formatFhirDate(onsetOf(condition)) || condition.onsetString || '—'}</td>
          <td className="nowrap">{formatFhirDate(condition.abatementDateTime) || condition.abatementString || '—'}</td>
        </tr>
      ))}
    </SectionTable>
  );
}

const CRITICALITY: Record<string, { label: string; tone: string }> = {
  high: { label: 'High', tone: 'status-locked' },
  low: { label: 'Low', tone: 'status-disabled' },
  'unable-to-assess': { label: 'Unable to assess', tone: 'status-disabled' },
};

function AllergyTable({ allergies }: { allergies: AllergyIntolerance[] }) {
  return (
    <SectionTable label="Allergies and intolerances" columns={['Substance', 'Criticality', 'Reaction', 'Status', 'Recorded']}>
      {allergies.map((allergy, index) => {
        const criticality = allergy.criticality === undefined ? undefined : CRITICALITY[allergy.criticality];
        const reactions = (allergy.reaction ?? [])
          .flatMap((reaction) => (reaction.manifestation ?? []).map(conceptText))
          .filter((text) => text !== '');
        return (
          <tr key={allergy.id ?? index}>
            <th scope="row">
              {conceptText(allergy.code) || '—'}
              {(allergy.category ?? []).length > 0 && <span className="muted"> · {(allergy.category ?? []).join(', ')}</span>}
            </th>
            <td>
              {criticality === undefined ? (allergy.criticality ?? '—') : <span className={`status ${criticality.tone}`}>{criticality.label}</span>}
            </td>
            <td>{reactions.join(', ') || '—'}</td>
            <td>
              <StatusBadge concept={allergy.clinicalStatus} />
            </td>
            <td className="nowrap">{formatFhirDate(allergy.recordedDate ?? allergy.onsetDateTime) || '—'}</td>
          </tr>
        );
      })}
    </SectionTable>
  );
}

function reasonText(codes: CodeableConcept[] | undefined, references: Reference[] | undefined): string {
  return [...(codes ?? []).map(conceptText), ...(references ?? []).map((reference) => reference.display ?? '')]
    .filter((text) => text !== '')
    .join(', ');
}

function MedicationTable({ medications }: { medications: MedicationRequest[] }) {
  const rank = (request: MedicationRequest) => (request.status === 'active' ? 0 : 1);
  const sorted = [...medications].sort((a, b) => rank(a) - rank(b));
  return (
    <SectionTable label="Medications, active first" columns={['Medication', 'Status', 'Prescribed', 'Dosage', 'Reason']}>
      {sorted.map((request, index) => {
        const dosage = (request.dosageInstruction ?? [])
          .map((dose) => dose.text ?? (dose.asNeededBoolean ? 'As needed' : ''))
          .filter((text) => text !== '')
          .join('; ');
        return (
          <tr key={request.id ?? index}>
            <th scope="row">{conceptText(request.medicationCodeableConcept) || request.medicationReference?.display || '—'}</th>
            <td>
              <StatusBadge code={request.status} />
            </td>
            <td className="nowrap">{formatFhirDate(request.authoredOn) || '—'}</td>
            <td>{dosage || '—'}</td>
            <td>{reasonText(request.reasonCode, request.reasonReference) || '—'}</td>
          </tr>
        );
      })}
    </SectionTable>
  );
}

const TIMELINE_STEP = 15;

function EncounterTimeline({ encounters, included }: { encounters: Encounter[]; included: Resource[] }) {
  const [shown, setShown] = useState(TIMELINE_STEP);
  const byReference = new Map(included.map((resource) => [`${resource.resourceType}/${resource.id ?? ''}`, resource]));
  const nameOf = (reference: Reference | undefined): string =>
    reference === undefined ? '' : reference.display || resourceName(byReference.get(reference.reference ?? ''));
  return (
    <>
      <ol className="timeline" aria-label="Encounters, newest first">
        {encounters.slice(0, shown).map((encounter, index) => {
          const start = encounter.period?.start;
          const end = encounter.period?.end;
          const providers = (encounter.participant ?? []).map((participant) => nameOf(participant.individual)).filter((name) => name !== '');
          const organization = nameOf(encounter.serviceProvider);
          const reason = reasonText(encounter.reasonCode, encounter.reasonReference);
          const type = (encounter.type ?? []).map(conceptText).filter((text) => text !== '').join(', ');
          const sameDay = start !== undefined && end !== undefined && start.slice(0, 10) === end.slice(0, 10);
          return (
            <li key={encounter.id ?? index} className="timeline-item" data-encounter-id={encounter.id}>
              <div className="timeline-date">
                <time dateTime={start}>{formatFhirDate(start) || 'Date unknown'}</time>
                {end !== undefined && !sameDay && <span className="muted"> – {formatFhirDate(end)}</span>}
              </div>
              <div className="timeline-body">
                <p className="timeline-title">
                  <strong>{type || 'Encounter'}</strong>
                  {encounter.class !== undefined && <span className="tag status">{encounterClassText(encounter.class)}</span>}
                  {encounter.status !== undefined && encounter.status !== 'finished' && (
                    <span className="tag status status-disabled">{capitalize(encounter.status)}</span>
                  )}
                </p>
                {reason !== '' && (
                  <p className="timeline-line">
                    <span className="muted">Reason:</span> {reason}
                  </p>
                )}
                {(providers.length > 0 || organization !== '') && (
                  <p className="timeline-line muted">{[providers.join(', '), organization].filter((text) => text !== '').join(' · ')}</p>
                )}
              </div>
            </li>
          );
        })}
      </ol>
      {encounters.length > shown && (
        <button type="button" className="button button-small" onClick={() => setShown((count) => count + TIMELINE_STEP * 4)}>
          Show more encounters ({encounters.length - shown} older)
        </button>
      )}
    </>
  );
}

function ImmunizationTable({ immunizations }: { immunizations: Immunization[] }) {
  return (
    <SectionTable label="Immunizations, newest first" columns={['Vaccine', 'Date', 'Status']}>
      {immunizations.map((immunization, index) => (
        <tr key={immunization.id ?? index}>
          <th scope="row">{conceptText(immunization.vaccineCode) || '—'}</th>
          <td className="nowrap">{formatFhirDate(immunization.occurrenceDateTime) || immunization.occurrenceString || '—'}</td>
          <td>{immunization.status === undefined ? '—' : capitalize(immunization.status.replace(/-/g, ' '))}</td>
        </tr>
      ))}
    </SectionTable>
  );
}

function ProcedureTable({ procedures }: { procedures: Procedure[] }) {
  return (
    <SectionTable label="Procedures, newest first" columns={['Procedure', 'Date', 'Reason']}>
      {procedures.map((procedure, index) => (
        <tr key={procedure.id ?? index}>
          <th scope="row">{conceptText(procedure.code) || '—'}</th>
          <td className="nowrap">{formatFhirDate(procedure.performedDateTime ?? procedure.performedPeriod?.start) || '—'}</td>
          <td>{reasonText(procedure.reasonCode, procedure.reasonReference) || '—'}</td>
        </tr>
      ))}
    </SectionTable>
  );
}

function DocumentTable({ documents }: { documents: DocumentReference[] }) {
  return (
    <SectionTable label="Documents, newest first" columns={['Document', 'Date', 'Author', 'Status', 'Content']}>
      {documents.map((document, index) => {
        const attachments = (document.content ?? []).map((content) => content.attachment).filter((attachment) => attachment !== undefined);
        return (
          <tr key={document.id ?? index}>
            <th scope="row">
              {conceptText(document.type) || document.description || 'Document'}
              {document.description && conceptText(document.type) && <span className="muted"> · {document.description}</span>}
            </th>
            <td className="nowrap">{formatFhirDate(document.date ?? document.context?.period?.start) || '—'}</td>
            <td>{(document.author ?? []).map((author) => author.display ?? '').filter((text) => text !== '').join(', ') || '—'}</td>
            <td>{document.status === undefined ? '—' : capitalize(document.status)}</td>
            <td>
              {attachments.length === 0
                ? '—'
                : attachments.map((attachment, i) => (
                    <span key={i} className="nowrap">
                      {i > 0 && ', '}
                      {attachment.title || attachment.contentType || 'Attachment'}
                    </span>
                  ))}
            </td>
          </tr>
        );
      })}
    </SectionTable>
  );
}
