// Typed client for the Custos HTTP API v1 (docs/API.md is the contract) and its FHIR R4 API at /fhir.
//
// Every call is same-origin and carries the HttpOnly `custos_session` cookie; the token in the
// login answer is deliberately ignored so that nothing readable by script ever holds it.
// Failures surface as one type, ApiError, carrying the server's {code, message, field}; for /fhir
// these come from the OperationOutcome (issue code, diagnostics, first expression).
import type { Bundle, OperationOutcome, Patient, Resource } from './fhir';

export interface Me {
  id: string;
  username: string;
  display_name: string;
  roles: string[];
  permissions: string[];
  totp_enabled: boolean;
  totp_required: boolean;
  must_change_password: boolean;
  idle_timeout_seconds: number;
}

export interface User {
  id: string;
  username: string;
  display_name: string;
  roles: string[];
  disabled: boolean;
  locked: boolean;
  totp_enabled: boolean;
  must_change_password: boolean;
  created_at: string;
  last_login_at: string | null;
}

export interface RoleInfo {
  name: string;
  description: string;
  permissions: string[];
}

export interface PermissionInfo {
  name: string;
  description: string;
}

export interface RolesAnswer {
  roles: RoleInfo[];
  permissions: PermissionInfo[];
}

export interface SystemInfo {
  name: string;
  version: string;
  demo_mode: boolean;
  backend: string;
}

export interface AuditEvent {
  sequence: number;
  time: string;
  /** The actor's id (a user id, or e.g. "cli:operator"). */
  actor: string;
  /** The actor's username when the server sends it; filters match on it. */
  actor_name?: string | null;
  role: string;
  action: string;
  object_type: string;
  object_id: string;
  patient_id: string | null;
  purpose_of_use: string;
  outcome: string;
  source_address: string;
  request_id: string;
  details: Record<string, unknown>;
  prev_hash: string;
  hash: string;
}

export interface AuditFilter {
  actor?: string;
  patient?: string;
  action?: string;
  object_type?: string;
  outcome?: string;
  from?: string;
  to?: string;
}

export interface AuditVerifyAnswer {
  ok: boolean;
  events_checked: number;
  checkpoints_checked: number;
  last_sequence?: number;
  first_bad_sequence?: number | null;
  problem?: string | null;
}

export interface Page {
  next_cursor?: string | null;
}

export interface TotpEnrollment {
  secret: string;
  otpauth_uri: string;
  qr_svg: string;
}

export type LoginAnswer =
  | { kind: 'signed_in'; user: Me }
  | { kind: 'totp_required'; challenge: string };

export type LoginRequest =
  | { username: string; password: string }
  | { challenge: string; code: string };

/** The one error type of the client: an HTTP failure with the server's error body. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly field: string | undefined;
  /** The whole error body, for answers that carry more than `error` (a 409 `possible_duplicate`). */
  readonly body: Record<string, unknown> | undefined;

  constructor(status: number, code: string, message: string, field?: string, body?: Record<string, unknown>) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.field = field;
    this.body = body;
  }
}

/** Error codes that end the session as far as the web app is concerned. */
const SESSION_ENDED_CODE = 'unauthenticated';
export const TOTP_ENROLLMENT_REQUIRED = 'totp_enrollment_required';
/** The server's answer (403) to a user who must replace a password an administrator set. */
export const PASSWORD_CHANGE_REQUIRED = 'password_change_required';
const BROADCAST_CODES = new Set([SESSION_ENDED_CODE, TOTP_ENROLLMENT_REQUIRED, PASSWORD_CHANGE_REQUIRED]);

type Listener = (error: ApiError) => void;
const listeners = new Set<Listener>();

/**
 * Registers a callback for failures every screen must react to the same way (session ended,
 * second factor must be enrolled, password must be changed). Returns the function that unregisters it.
 */
export function onSessionProblem(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

interface RequestOptions {
  method?: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  body?: unknown;
  /** When false, a 401/403 is only thrown, not broadcast (login and the first session check). */
  broadcast?: boolean;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

async function errorFrom(response: Response): Promise<ApiError> {
  let code = 'internal';
  let message = `The server answered ${response.status} ${response.statusText}`.trim();
  let field: string | undefined;
  let whole: Record<string, unknown> | undefined;
  try {
    const body: unknown = await response.json();
    if (isRecord(body)) whole = body;
    const error = isRecord(body) ? body.error : undefined;
    if (isRecord(error)) {
      if (typeof error.code === 'string') code = error.code;
      if (typeof error.message === 'string' && error.message !== '') message = error.message;
      if (typeof error.field === 'string' && error.field !== '') field = error.field;
    }
  } catch {
    // Not JSON (a proxy's error page, say): keep the status line as the message.
  }
  return new ApiError(response.status, code, message, field, whole);
}

async function request<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const { method = 'GET', body, broadcast = true } = options;
  const headers: Record<string, string> = { Accept: 'application/json' };
  const init: RequestInit = { method, headers, credentials: 'same-origin', cache: 'no-store' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response: Response;
  try {
    response = await fetch(`/api/v1${path}`, init);
  } catch {
    throw new ApiError(0, 'unavailable', 'The server cannot be reached. Check the connection and try again.');
  }
  if (!response.ok) {
    const error = await errorFrom(response);
    if (broadcast && BROADCAST_CODES.has(error.code)) {
      for (const listener of listeners) listener(error);
    }
    throw error;
  }
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  return (text === '' ? undefined : JSON.parse(text)) as T;
}

function query(params: Record<string, string | number | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  }
  const text = search.toString();
  return text === '' ? '' : `?${text}`;
}

// Auth ------------------------------------------------------------------------------------------

export async function login(body: LoginRequest): Promise<LoginAnswer> {
  const answer = await request<{ totp_required?: boolean; challenge?: string; user?: Me }>(
    '/auth/login',
    { method: 'POST', body, broadcast: false },
  );
  if (answer.totp_required === true && typeof answer.challenge === 'string') {
    return { kind: 'totp_required', challenge: answer.challenge };
  }
  if (answer.user === undefined) {
    throw new ApiError(200, 'internal', 'The server signed you in but did not say who you are.');
  }
  return { kind: 'signed_in', user: answer.user };
}

export const logout = (): Promise<void> =>
  request<void>('/auth/logout', { method: 'POST', broadcast: false });

/** The signed-in user; `broadcast: false` for the silent check at start-up. */
export const getMe = (broadcast = true): Promise<Me> => request<Me>('/auth/me', { broadcast });

export const changePassword = (current_password: string, new_password: string): Promise<void> =>
  request<void>('/auth/password', { method: 'POST', body: { current_password, new_password } });

export const enrollTotp = (): Promise<TotpEnrollment> =>
  request<TotpEnrollment>('/auth/totp/enroll', { method: 'POST' });

export const confirmTotp = (code: string): Promise<void> =>
  request<void>('/auth/totp/confirm', { method: 'POST', body: { code } });

// System and dashboard --------------------------------------------------------------------------

export const getSystem = (): Promise<SystemInfo> => request<SystemInfo>('/system', { broadcast: false });

export const getDashboard = (): Promise<{ counts: Record<string, number> }> =>
  request<{ counts: Record<string, number> }>('/dashboard');

// Users -----------------------------------------------------------------------------------------

export const listUsers = (q: string, cursor?: string | null): Promise<{ users: User[] } & Page> =>
  request<{ users: User[] } & Page>(`/users${query({ q, cursor, limit: 50 })}`);

export interface NewUser {
  username: string;
  display_name: string;
  password: string;
  roles: string[];
}

export const createUser = (user: NewUser): Promise<User> =>
  request<User>('/users', { method: 'POST', body: user });

export const updateUser = (
  id: string,
  change: { display_name?: string; roles?: string[] },
): Promise<User> => request<User>(`/users/${encodeURIComponent(id)}`, { method: 'PATCH', body: change });

export type UserAction = 'disable' | 'enable' | 'unlock' | 'reset-totp';

export const userAction = (id: string, action: UserAction): Promise<User> =>
  request<User>(`/users/${encodeURIComponent(id)}/${action}`, { method: 'POST' });

export const resetPassword = (id: string, new_password: string): Promise<User> =>
  request<User>(`/users/${encodeURIComponent(id)}/reset-password`, {
    method: 'POST',
    body: { new_password },
  });

export const getRoles = (): Promise<RolesAnswer> => request<RolesAnswer>('/roles');

// Audit -----------------------------------------------------------------------------------------

export const listAuditEvents = (
  filter: AuditFilter,
  cursor?: string | null,
): Promise<{ events: AuditEvent[] } & Page> =>
  request<{ events: AuditEvent[] } & Page>(
    `/audit/events${query({ ...filter, cursor, limit: 50 })}`,
  );

/** Same-origin address of the CSV export for `filter` (a plain link; the cookie authenticates it). */
export const auditCsvUrl = (filter: AuditFilter): string =>
  `/api/v1/audit/events.csv${query({ ...filter })}`;

export const verifyAudit = (): Promise<AuditVerifyAnswer> =>
  request<AuditVerifyAnswer>('/audit/verify');

// Master patient index: registration, duplicates, merge ------------------------------------------

export type Sex = 'male' | 'female' | 'other' | 'unknown';
export type Subscriber = 'self' | 'spouse' | 'child' | 'other';
export type VerificationStatus = 'verified' | 'unverified' | 'failed';

export interface PersonName {
  given?: string;
  middle?: string;
  family?: string;
  suffix?: string;
}

export interface PreviousName {
  given?: string;
  family?: string;
  use?: 'maiden' | 'old';
}

export interface PostalAddress {
  line?: string[];
  city?: string;
  state?: string;
  postal_code?: string;
}

export interface ExternalIdentifier {
  system: string;
  value: string;
}

export interface CoverageInput {
  payer?: string;
  member_id?: string;
  group?: string;
  subscriber?: Subscriber;
  verification_status?: VerificationStatus;
  verified_on?: string;
}

/** The body of `match` (every field optional) and `register` (docs/API.md, "Registration"). */
export interface Registration {
  facility?: string;
  name?: PersonName;
  previous_names?: PreviousName[];
  preferred_name?: string;
  birth_date?: string;
  sex?: Sex;
  ssn?: string;
  address?: PostalAddress;
  phone?: string;
  email?: string;
  identifiers?: ExternalIdentifier[];
  coverage?: CoverageInput[];
  confirm_new_person?: boolean;
}

/** One compared field of a pair: its agreement level and weight in bits (negative = against). */
export interface FieldWeight {
  field: string;
  level: string;
  weight: number;
}

export type MatchDecision = 'link' | 'review';

export interface Candidate {
  patient_id: string;
  mrn: string;
  name: string;
  birth_date: string;
  sex: string;
  address: string;
  phone: string;
  ssn_last4: string;
  score: number;
  log_odds: number;
  decision: MatchDecision;
  fields: FieldWeight[];
  /** The rule that held the pair at review (`placeholder_name`, …), or "". */
  capped_by: string;
}

export interface PatientSummary {
  patient_id: string;
  mrn: string;
  name: string;
  birth_date: string;
  sex: string;
  address: string;
  phone: string;
  email: string;
  ssn_last4: string;
  identifiers: ExternalIdentifier[];
  created_at: string;
  facility: string;
  active: boolean;
  replaced_by: string | null;
  /** Set (with only `patient_id`) in a queue item whose patient no longer exists. */
  missing?: boolean;
}

export type QueueStatus = 'open' | 'deferred' | 'overlay' | 'not_duplicate' | 'merged';
export type QueueSort = 'score' | 'age' | 'facility';

export interface QueueItem {
  pair_id: string;
  status: QueueStatus;
  score: number;
  log_odds: number;
  decision: MatchDecision | string;
  created_at: string;
  updated_at: string;
  facility: string;
  note: string | null;
  patient_a: PatientSummary;
  patient_b: PatientSummary;
  fields?: FieldWeight[];
  capped_by?: string;
}

/** The fields whose surviving value a merge chooses. */
export const MERGE_FIELDS = ['name', 'birth_date', 'sex', 'ssn', 'address', 'phone', 'email'] as const;
export type MergeField = (typeof MERGE_FIELDS)[number];
export type MergeKeep = Partial<Record<MergeField, 'survivor' | 'duplicate'>>;

export interface Merge {
  merge_id: string;
  survivor: string;
  duplicate: string;
  status: 'merged' | 'unmerged';
  merged_at: string;
  merged_by: string;
  unmerged_at: string | null;
  moved: number;
  score: number | null;
  /** The queue pair the merge decided, if it came from the queue. */
  pair_id?: string | null;
}

export interface DuplicateReportMonth {
  /** "2026-11" */
  month: string;
  registrations: number;
  duplicates_created: number;
  /** Duplicates created / registrations in the month (a fraction). */
  creation_rate: number;
  merges: number;
}

export interface DuplicateReport {
  registry_size: number;
  active_patients: number;
  duplicates_open: number;
  /** Open duplicate pairs / active patients (a fraction). */
  duplicate_rate: number;
  series: DuplicateReportMonth[];
}

/** The server's 409 code when a registration looks like a patient already registered. */
export const POSSIBLE_DUPLICATE = 'possible_duplicate';

export type RegisterAnswer =
  | { kind: 'created'; patient: PatientSummary }
  | { kind: 'possible_duplicate'; message: string; candidates: Candidate[] };

/** Likely existing patients for a (partial) registration, best first. */
export const matchPatients = (registration: Registration): Promise<{ candidates: Candidate[] }> =>
  request<{ candidates: Candidate[] }>('/patients/match', { method: 'POST', body: registration });

/**
 * Registers a patient. A 409 `possible_duplicate` is an answer, not a failure: it comes back with
 * the candidates, and the caller resubmits with `confirm_new_person: true` once the user says so.
 */
export async function registerPatient(registration: Registration): Promise<RegisterAnswer> {
  try {
    const answer = await request<{ patient: PatientSummary }>('/patients', { method: 'POST', body: registration });
    return { kind: 'created', patient: answer.patient };
  } catch (error) {
    if (error instanceof ApiError && error.status === 409 && error.code === POSSIBLE_DUPLICATE) {
      const candidates = error.body?.candidates;
      return { kind: 'possible_duplicate', message: error.message, candidates: Array.isArray(candidates) ? (candidates as Candidate[]) : [] };
    }
    throw error;
  }
}

export const getPatientSummary = (id: string): Promise<PatientSummary> =>
  request<PatientSummary>(`/patients/${encodeURIComponent(id)}`);

export const listDuplicateQueue = (
  status: QueueStatus,
  sort: QueueSort,
  cursor?: string | null,
): Promise<{ items: QueueItem[] } & Page> =>
  request<{ items: QueueItem[] } & Page>(`/mpi/queue${query({ status, sort, cursor, limit: 50 })}`);

export const getQueueItem = (pairId: string): Promise<QueueItem> =>
  request<QueueItem>(`/mpi/queue/${encodeURIComponent(pairId)}`);

export type QueueAction = 'not-duplicate' | 'defer' | 'overlay';

export const queueAction = (pairId: string, action: QueueAction, note?: string): Promise<QueueItem> =>
  request<QueueItem>(`/mpi/queue/${encodeURIComponent(pairId)}/${action}`, {
    method: 'POST',
    body: note === undefined || note === '' ? {} : { note },
  });

export const mergePatients = (body: {
  survivor: string;
  duplicate: string;
  pair_id?: string;
  keep: MergeKeep;
}): Promise<{ merge: Merge }> => request<{ merge: Merge }>('/mpi/merge', { method: 'POST', body });

export const listMerges = (patient?: string): Promise<{ items: Merge[] }> =>
  request<{ items: Merge[] }>(`/mpi/merges${query({ patient })}`);

export const unmerge = (mergeId: string): Promise<{ merge: Merge }> =>
  request<{ merge: Merge }>(`/mpi/merges/${encodeURIComponent(mergeId)}/unmerge`, { method: 'POST' });

export const getDuplicateReport = (months: number): Promise<DuplicateReport> =>
  request<DuplicateReport>(`/mpi/report${query({ months })}`);

// FHIR R4 (/fhir) ---------------------------------------------------------------------------------

const FHIR_BASE = '/fhir';
const FHIR_JSON = 'application/fhir+json';

/** Query parameters of a FHIR search; an array repeats the parameter (`_include`, say). */
export type FhirParams = Record<string, string | number | readonly string[] | undefined | null>;

function fhirQuery(params: FhirParams): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === '') continue;
    if (Array.isArray(value)) {
      for (const item of value as readonly string[]) search.append(key, item);
    } else {
      search.set(key, String(value));
    }
  }
  const text = search.toString();
  return text === '' ? '' : `?${text}`;
}

async function fhirErrorFrom(response: Response): Promise<ApiError> {
  let code = response.status === 401 ? SESSION_ENDED_CODE : 'internal';
  let message = `The server answered ${response.status} ${response.statusText}`.trim();
  let field: string | undefined;
  try {
    const body = (await response.json()) as Partial<OperationOutcome>;
    const issue = body.resourceType === 'OperationOutcome' ? body.issue?.[0] : undefined;
    if (issue !== undefined) {
      // 401 keeps the app-wide code so that the session-ended handling applies to /fhir too.
      if (typeof issue.code === 'string' && response.status !== 401) code = issue.code;
      if (typeof issue.diagnostics === 'string' && issue.diagnostics !== '') message = issue.diagnostics;
      const expression = issue.expression?.[0];
      if (typeof expression === 'string' && expression !== '') field = expression;
    }
  } catch {
    // Not an OperationOutcome: keep the status line.
  }
  return new ApiError(response.status, code, message, field);
}

/** GET `path` under /fhir (e.g. "/Patient/123" or "/Patient?name=x"). */
async function fhirGet<T>(path: string): Promise<T> {
  let response: Response;
  try {
    response = await fetch(`${FHIR_BASE}${path}`, {
      headers: { Accept: FHIR_JSON },
      credentials: 'same-origin',
      cache: 'no-store',
    });
  } catch {
    throw new ApiError(0, 'unavailable', 'The server cannot be reached. Check the connection and try again.');
  }
  if (!response.ok) {
    const error = await fhirErrorFrom(response);
    if (BROADCAST_CODES.has(error.code)) {
      for (const listener of listeners) listener(error);
    }
    throw error;
  }
  return (await response.json()) as T;
}

/** One page of a FHIR search: the matches, what `_include`/`_revinclude` brought, and paging. */
export interface SearchPage<T extends Resource> {
  resources: T[];
  included: Resource[];
  /** The number of matches on all pages, when the server says. */
  total: number | null;
  /** Paths (under /fhir) of the next and previous pages, when there are such pages. */
  next: string | null;
  previous: string | null;
}

/** The server's paging links are absolute; keep their path and query under /fhir. */
function linkPath(bundle: Bundle, relation: string): string | null {
  const url = bundle.link?.find((link) => link.relation === relation)?.url;
  if (url === undefined) return null;
  try {
    const parsed = new URL(url, window.location.origin);
    if (!parsed.pathname.startsWith(`${FHIR_BASE}/`)) return null;
    return parsed.pathname.slice(FHIR_BASE.length) + parsed.search;
  } catch {
    return null;
  }
}

function pageOf<T extends Resource>(bundle: Bundle<T>, resourceType: string): SearchPage<T> {
  const resources: T[] = [];
  const included: Resource[] = [];
  for (const entry of bundle.entry ?? []) {
    const resource = entry.resource;
    if (resource === undefined) continue;
    const mode = entry.search?.mode ?? (resource.resourceType === resourceType ? 'match' : 'include');
    if (mode === 'match' && resource.resourceType === resourceType) resources.push(resource as T);
    else if (mode !== 'outcome') included.push(resource);
  }
  return {
    resources,
    included,
    total: typeof bundle.total === 'number' ? bundle.total : null,
    next: linkPath(bundle, 'next'),
    previous: linkPath(bundle, 'previous'),
  };
}

/** `GET /fhir/{type}?{params}`: one page of matches. */
export async function searchFhir<T extends Resource>(resourceType: string, params: FhirParams): Promise<SearchPage<T>> {
  const bundle = await fhirGet<Bundle<T>>(`/${resourceType}${fhirQuery(params)}`);
  return pageOf(bundle, resourceType);
}

/** Another page of an earlier search, from its `next`/`previous` path. */
export async function searchPage<T extends Resource>(resourceType: string, path: string): Promise<SearchPage<T>> {
  return pageOf(await fhirGet<Bundle<T>>(path), resourceType);
}

/**
 * Every match of a search, following `next` links. Stops after `maxPages` pages and says so
 * (`complete: false`) rather than dropping the rest silently.
 */
export async function searchAll<T extends Resource>(
  resourceType: string,
  params: FhirParams,
  maxPages = 20,
): Promise<{ resources: T[]; included: Resource[]; total: number | null; complete: boolean }> {
  let page = await searchFhir<T>(resourceType, params);
  const resources = [...page.resources];
  const included = [...page.included];
  const total = page.total;
  let pages = 1;
  while (page.next !== null && pages < maxPages) {
    page = await searchPage<T>(resourceType, page.next);
    resources.push(...page.resources);
    included.push(...page.included);
    pages += 1;
  }
  return { resources, included, total, complete: page.next === null };
}

export const readPatient = (id: string): Promise<Patient> => fhirGet<Patient>(`/Patient/${encodeURIComponent(id)}`);

/** The number of patients the caller can see (`_summary=count`). */
export async function countPatients(): Promise<number | null> {
  const bundle = await fhirGet<Bundle>(`/Patient${fhirQuery({ _summary: 'count' })}`);
  return typeof bundle.total === 'number' ? bundle.total : null;
}
