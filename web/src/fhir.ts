// The parts of FHIR R4 resources the screens read, and the wording that turns them into text.
// Only the elements shown are typed; everything is optional because the server keeps resources
// exactly as they were accepted.

export interface Coding {
  system?: string;
  code?: string;
  display?: string;
}

export interface CodeableConcept {
  coding?: Coding[];
  text?: string;
}

export interface Reference {
  reference?: string;
  display?: string;
}

export interface Period {
  start?: string;
  end?: string;
}

export interface Quantity {
  value?: number;
  unit?: string;
  code?: string;
  system?: string;
}

export interface HumanName {
  use?: string;
  text?: string;
  family?: string;
  given?: string[];
  prefix?: string[];
  suffix?: string[];
  period?: Period;
}

export interface Identifier {
  use?: string;
  system?: string;
  value?: string;
  type?: CodeableConcept;
}

export interface Address {
  use?: string;
  text?: string;
  line?: string[];
  city?: string;
  state?: string;
  postalCode?: string;
  country?: string;
  period?: Period;
}

export interface ContactPoint {
  system?: string;
  value?: string;
  use?: string;
}

export interface Meta {
  versionId?: string;
  lastUpdated?: string;
}

export interface Resource {
  resourceType: string;
  id?: string;
  meta?: Meta;
}

export interface Patient extends Resource {
  resourceType: 'Patient';
  name?: HumanName[];
  birthDate?: string;
  gender?: string;
  identifier?: Identifier[];
  address?: Address[];
  telecom?: ContactPoint[];
  deceasedBoolean?: boolean;
  deceasedDateTime?: string;
}

export interface Encounter extends Resource {
  resourceType: 'Encounter';
  status?: string;
  class?: Coding;
  type?: CodeableConcept[];
  period?: Period;
  reasonCode?: CodeableConcept[];
  reasonReference?: Reference[];
  participant?: { individual?: Reference; type?: CodeableConcept[] }[];
  serviceProvider?: Reference;
}

export interface Condition extends Resource {
  resourceType: 'Condition';
  code?: CodeableConcept;
  clinicalStatus?: CodeableConcept;
  verificationStatus?: CodeableConcept;
  category?: CodeableConcept[];
  onsetDateTime?: string;
  onsetPeriod?: Period;
  onsetString?: string;
  abatementDateTime?: string;
  abatementString?: string;
  recordedDate?: string;
}

export interface MedicationRequest extends Resource {
  resourceType: 'MedicationRequest';
  status?: string;
  intent?: string;
  medicationCodeableConcept?: CodeableConcept;
  medicationReference?: Reference;
  authoredOn?: string;
  requester?: Reference;
  dosageInstruction?: { text?: string; asNeededBoolean?: boolean }[];
  reasonCode?: CodeableConcept[];
  reasonReference?: Reference[];
}

export interface AllergyIntolerance extends Resource {
  resourceType: 'AllergyIntolerance';
  code?: CodeableConcept;
  clinicalStatus?: CodeableConcept;
  verificationStatus?: CodeableConcept;
  type?: string;
  category?: string[];
  criticality?: string;
  onsetDateTime?: string;
  recordedDate?: string;
  reaction?: { manifestation?: CodeableConcept[]; severity?: string }[];
}

export interface Immunization extends Resource {
  resourceType: 'Immunization';
  status?: string;
  vaccineCode?: CodeableConcept;
  occurrenceDateTime?: string;
  occurrenceString?: string;
}

export interface Procedure extends Resource {
  resourceType: 'Procedure';
  status?: string;
  code?: CodeableConcept;
  performedDateTime?: string;
  performedPeriod?: Period;
  reasonCode?: CodeableConcept[];
  reasonReference?: Reference[];
}

export interface DocumentReference extends Resource {
  resourceType: 'DocumentReference';
  status?: string;
  docStatus?: string;
  type?: CodeableConcept;
  category?: CodeableConcept[];
  date?: string;
  description?: string;
  author?: Reference[];
  content?: { attachment?: { contentType?: string; title?: string; url?: string; creation?: string } }[];
  context?: { period?: Period };
}

export interface DiagnosticReport extends Resource {
  resourceType: 'DiagnosticReport';
  status?: string;
  code?: CodeableConcept;
  effectiveDateTime?: string;
  issued?: string;
}

export interface ObservationComponent {
  code?: CodeableConcept;
  valueQuantity?: Quantity;
}

export interface Observation extends Resource {
  resourceType: 'Observation';
  status?: string;
  category?: CodeableConcept[];
  code?: CodeableConcept;
  effectiveDateTime?: string;
  effectivePeriod?: Period;
  effectiveInstant?: string;
  issued?: string;
  valueQuantity?: Quantity;
  component?: ObservationComponent[];
}

export interface Named extends Resource {
  name?: HumanName[] | string;
}

export interface BundleLink {
  relation: string;
  url: string;
}

export interface BundleEntry<T extends Resource = Resource> {
  fullUrl?: string;
  resource?: T;
  search?: { mode?: 'match' | 'include' | 'outcome' };
}

export interface Bundle<T extends Resource = Resource> {
  resourceType: 'Bundle';
  type?: string;
  total?: number;
  link?: BundleLink[];
  entry?: BundleEntry<T | Resource>[];
}

export interface OperationOutcome {
  resourceType: 'OperationOutcome';
  issue?: { severity?: string; code?: string; diagnostics?: string; expression?: string[]; details?: CodeableConcept }[];
}

// Wording ---------------------------------------------------------------------------------------

/** The text a person reads for a concept: its text, else the first coding's display or code. */
export function conceptText(concept: CodeableConcept | undefined): string {
  if (concept === undefined) return '';
  if (concept.text) return concept.text;
  for (const coding of concept.coding ?? []) {
    if (coding.display) return coding.display;
  }
  return concept.coding?.find((coding) => coding.code)?.code ?? '';
}

/** The first code of `concept`, e.g. "active" of a clinicalStatus. */
export const conceptCode = (concept: CodeableConcept | undefined): string =>
  concept?.coding?.find((coding) => coding.code)?.code ?? '';

/** True when `concept` carries `system|code` (system may be omitted). */
export function hasCode(concept: CodeableConcept | undefined, code: string, system?: string): boolean {
  return (concept?.coding ?? []).some(
    (coding) => coding.code === code && (system === undefined || coding.system === system),
  );
}

/** The name to show: the official (else first) name as "Given Family", suffix kept. */
export function nameText(names: HumanName[] | undefined): string {
  const name = names?.find((candidate) => candidate.use === 'official') ?? names?.[0];
  if (name === undefined) return '';
  if (name.text) return name.text;
  return [...(name.given ?? []), name.family ?? '', ...(name.suffix ?? [])].filter((part) => part !== '').join(' ');
}

/** "Family, Given" for sorted lists. */
export function nameSortText(names: HumanName[] | undefined): string {
  const name = names?.find((candidate) => candidate.use === 'official') ?? names?.[0];
  if (name === undefined) return '';
  const given = (name.given ?? []).join(' ');
  if (name.family && given) return `${name.family}, ${given}`;
  return name.family || given || name.text || '';
}

const IDENTIFIER_SYSTEMS: Record<string, string> = {
  'http://hl7.org/fhir/sid/us-ssn': 'SSN',
  'http://hl7.org/fhir/sid/us-npi': 'NPI',
  'https://github.com/synthetichealth/synthea': 'Synthea id',
};

/** What an identifier is: its type's code (MR, SS, DL…) spelled out, else a known system. */
export function identifierLabel(identifier: Identifier): string {
  const typeCode = conceptCode(identifier.type);
  const known: Record<string, string> = { MR: 'MRN', SS: 'SSN', DL: "Driver's license", PPN: 'Passport' };
  if (typeCode !== '' && known[typeCode] !== undefined) return known[typeCode];
  const typeText = conceptText(identifier.type);
  if (typeText !== '') return typeText;
  if (identifier.system !== undefined && IDENTIFIER_SYSTEMS[identifier.system] !== undefined) {
    return IDENTIFIER_SYSTEMS[identifier.system] as string;
  }
  return 'Identifier';
}

export function addressText(address: Address | undefined): string {
  if (address === undefined) return '';
  if (address.text) return address.text;
  const cityLine = [address.city, [address.state, address.postalCode].filter(Boolean).join(' ')]
    .filter((part) => part !== undefined && part !== '')
    .join(', ');
  return [...(address.line ?? []), cityLine, address.country ?? ''].filter((part) => part !== '').join(', ');
}

/** The current (un-ended, else first) address. */
export function currentAddress(addresses: Address[] | undefined): Address | undefined {
  return addresses?.find((address) => address.period?.end === undefined) ?? addresses?.[0];
}

export const GENDER_LABELS: Record<string, string> = {
  male: 'Male',
  female: 'Female',
  other: 'Other',
  unknown: 'Unknown',
};

export const genderLabel = (gender: string | undefined): string =>
  gender === undefined ? '' : (GENDER_LABELS[gender] ?? gender);

/** Whole years between a FHIR date and `at` (today by default); null when unparsable. */
export function ageInYears(birthDate: string | undefined, at: Date = new Date()): number | null {
  const match = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?/.exec(birthDate ?? '');
  if (match === null) return null;
  const year = Number(match[1]);
  const month = match[2] === undefined ? 1 : Number(match[2]);
  const day = match[3] === undefined ? 1 : Number(match[3]);
  let age = at.getFullYear() - year;
  if (at.getMonth() + 1 < month || (at.getMonth() + 1 === month && at.getDate() < day)) age -= 1;
  return age < 0 ? null : age;
}

/** The date part of a FHIR date or dateTime, as written ("2018-09-28"); "" when absent. */
export const datePart = (value: string | undefined): string => (value === undefined ? '' : value.slice(0, 10));

/** A FHIR date/dateTime in the form people read here ("28 Sep 2018"); partial dates kept partial. */
export function formatFhirDate(value: string | undefined): string {
  if (value === undefined || value === '') return '';
  const match = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?/.exec(value);
  if (match === null) return value;
  const [, year, month, day] = match;
  if (month === undefined) return year ?? value;
  const date = new Date(Date.UTC(Number(year), Number(month) - 1, day === undefined ? 1 : Number(day)));
  const options: Intl.DateTimeFormatOptions =
    day === undefined ? { year: 'numeric', month: 'short', timeZone: 'UTC' } : { year: 'numeric', month: 'short', day: 'numeric', timeZone: 'UTC' };
  return new Intl.DateTimeFormat(undefined, options).format(date);
}

/** Milliseconds since the epoch of a FHIR date/dateTime; NaN when unparsable. */
export function fhirTime(value: string | undefined): number {
  if (value === undefined) return Number.NaN;
  if (/^\d{4}$/.test(value)) return Date.UTC(Number(value), 0, 1);
  if (/^\d{4}-\d{2}$/.test(value)) return Date.UTC(Number(value.slice(0, 4)), Number(value.slice(5, 7)) - 1, 1);
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return Date.parse(`${value}T00:00:00Z`);
  return Date.parse(value);
}

/** "Practitioner/42" → "42" (the id of a relative reference). */
export const referenceId = (reference: Reference | undefined): string =>
  reference?.reference?.split('/').pop() ?? '';

/** The name of a Practitioner, Organization or other resource a reference points at. */
export function resourceName(resource: Resource | undefined): string {
  if (resource === undefined) return '';
  const named = resource as Named;
  if (typeof named.name === 'string') return named.name;
  const human = nameText(named.name);
  if (human === '') return '';
  const prefix = named.name?.find((name) => name.use === 'official')?.prefix ?? named.name?.[0]?.prefix ?? [];
  return [...prefix, human].join(' ');
}

export const capitalize = (text: string): string => (text === '' ? '' : text.charAt(0).toUpperCase() + text.slice(1));

/** v3 ActCode encounter classes in words. */
const ENCOUNTER_CLASSES: Record<string, string> = {
  AMB: 'Ambulatory',
  EMER: 'Emergency',
  IMP: 'Inpatient',
  ACUTE: 'Inpatient acute',
  NONAC: 'Inpatient non-acute',
  OBSENC: 'Observation',
  PRENC: 'Pre-admission',
  SS: 'Short stay',
  VR: 'Virtual',
  HH: 'Home health',
  FLD: 'Field',
};

export function encounterClassText(coding: Coding | undefined): string {
  if (coding === undefined) return '';
  if (coding.display) return coding.display;
  const code = coding.code ?? '';
  return ENCOUNTER_CLASSES[code] ?? (code === '' ? '' : code.toLowerCase() === code ? capitalize(code) : code);
}
