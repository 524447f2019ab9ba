// Human wording for the machine names the API uses (roles, counts, times).

const ROLE_LABELS: Record<string, string> = {
  admin: 'Administrator',
  registrar: 'Registrar',
  him_analyst: 'HIM analyst',
  coder: 'Coder',
  roi_specialist: 'ROI specialist',
  clinician: 'Clinician',
  privacy_officer: 'Privacy officer',
  auditor: 'Auditor',
  patient: 'Patient',
};

const COUNT_LABELS: Record<string, string> = {
  patients: 'Patients',
  users_active: 'Users active',
  users_locked: 'Users locked',
  users_disabled: 'Users disabled',
  sessions_active: 'Sessions active',
  failed_logins_24h: 'Failed logins (24 h)',
  audit_events_24h: 'Audit events (24 h)',
  audit_events_total: 'Audit events (all time)',
};

/** Known counts first, in this order (the keys of COUNT_LABELS); others follow by name. */
export function orderCounts(keys: string[]): string[] {
  const known = Object.keys(COUNT_LABELS);
  const rank = (key: string) => {
    const index = known.indexOf(key);
    return index < 0 ? known.length : index;
  };
  return [...keys].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

const ACRONYMS = new Set(['him', 'roi', 'id', 'mpi', 'hl7', 'fhir', 'totp', 'csv', 'ehr']);

/** `failed_logins_24h` → "Failed logins (24 h)"; `mpi_review_open` → "MPI review open". */
export function prettify(name: string): string {
  const words = name
    .split(/[_\-.\s]+/)
    .filter((word) => word !== '')
    .map((word) => {
      const period = /^(\d+)([hdwmy])$/.exec(word);
      if (period) return `(${period[1]} ${period[2]})`;
      return ACRONYMS.has(word.toLowerCase()) ? word.toUpperCase() : word.toLowerCase();
    });
  const text = words.join(' ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export const roleLabel = (role: string): string => ROLE_LABELS[role] ?? prettify(role);

export const countLabel = (key: string): string => COUNT_LABELS[key] ?? prettify(key);

const dateTime = new Intl.DateTimeFormat(undefined, {
  year: 'numeric',
  month: 'short',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});

/** An RFC 3339 time shown in the viewer's time zone; "—" when absent, the raw text if unparsable. */
export function formatTime(value: string | null | undefined): string {
  if (value === null || value === undefined || value === '') return '—';
  const time = new Date(value);
  return Number.isNaN(time.getTime()) ? value : dateTime.format(time);
}

const pad = (value: number): string => String(value).padStart(2, '0');

/** A compact, sortable local time for dense tables: ["2026-11-25", "10:00:07"]. */
export function formatTimeCompact(value: string): [string, string] {
  const time = new Date(value);
  if (Number.isNaN(time.getTime())) return [value, ''];
  const date = `${time.getFullYear()}-${pad(time.getMonth() + 1)}-${pad(time.getDate())}`;
  return [date, `${pad(time.getHours())}:${pad(time.getMinutes())}:${pad(time.getSeconds())}`];
}

/** A `datetime-local` input value (viewer's zone) as an RFC 3339 UTC string, or undefined. */
export function localInputToUtc(value: string): string | undefined {
  if (value === '') return undefined;
  const time = new Date(value);
  return Number.isNaN(time.getTime()) ? undefined : time.toISOString();
}

export const formatCount = (value: number): string => new Intl.NumberFormat().format(value);
