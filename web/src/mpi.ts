// Wording for the master patient index: the matcher's field names, agreement levels, decisions
// and review rules (src/custos/patients/comparison.cc and README.md), and the queue's states.
import type { MatchDecision, QueueStatus } from './api';
import { prettify } from './format';

const FIELD_LABELS: Record<string, string> = {
  given_name: 'Given name',
  surname: 'Family name',
  family_name: 'Family name',
  middle_name: 'Middle name',
  date_of_birth: 'Birth date',
  birth_date: 'Birth date',
  sex: 'Sex',
  ssn: 'SSN',
  street_number: 'Street number',
  address_1: 'Street',
  address_2: 'Address line 2',
  suburb: 'City',
  city: 'City',
  postcode: 'Postal code',
  postal_code: 'Postal code',
  state: 'State',
  phone: 'Phone',
  email: 'Email',
};

const LEVEL_LABELS: Record<string, string> = {
  exact: 'Exact match',
  'jw>=0.94': 'Nearly the same spelling',
  'jw>=0.85': 'Similar spelling',
  sounds_alike: 'Sounds alike',
  sounds_alike_or_nickname: 'Sounds alike or nickname',
  nickname: 'Nickname',
  one_digit_off: 'One digit off',
  transposed: 'Two digits swapped',
  day_month_swapped: 'Day and month swapped',
  year_off_by_one: 'Year off by one',
  different: 'Different',
  missing: 'Missing on one side (not counted)',
};

const CAPPED_BY: Record<string, string> = {
  placeholder_name:
    'Held at “possible match”: one of the names is a placeholder (such as “Baby Boy” or “John Doe”), which is never evidence of identity.',
  generational_suffix:
    'Held at “possible match”: the name suffixes conflict (such as Jr and Sr), so these may be a parent and a child.',
  possible_twins:
    'Held at “possible match”: possible twins — different given names, but the same family name, birth date and address, and no agreeing SSN.',
};

export const matchFieldLabel = (field: string): string => FIELD_LABELS[field] ?? prettify(field);

export const matchLevelLabel = (level: string): string => LEVEL_LABELS[level] ?? prettify(level);

/** `capped_by` in words; "" when no rule held the pair back. */
export function cappedByText(rule: string | undefined | null): string {
  if (rule === undefined || rule === null || rule === '') return '';
  return CAPPED_BY[rule] ?? `Held at “possible match” by the rule “${prettify(rule)}”.`;
}

export function decisionLabel(decision: MatchDecision | string): string {
  if (decision === 'link') return 'Very likely the same person';
  if (decision === 'review') return 'Possible match';
  return prettify(decision);
}

/** A weight in bits with its sign: "+6.1", "−2.3", "0". */
export function formatWeight(weight: number): string {
  if (!Number.isFinite(weight) || Math.abs(weight) < 0.05) return '0';
  const text = Math.abs(weight).toFixed(1);
  return weight > 0 ? `+${text}` : `−${text}`;
}

export const formatScore = (score: number): string => (Number.isFinite(score) ? score.toFixed(1) : '—');

export const QUEUE_STATUSES: readonly { value: QueueStatus; label: string }[] = [
  { value: 'open', label: 'Open' },
  { value: 'deferred', label: 'Deferred' },
  { value: 'overlay', label: 'Overlay (privacy officer)' },
  { value: 'not_duplicate', label: 'Not a duplicate' },
  { value: 'merged', label: 'Merged' },
];

export const queueStatusLabel = (status: string): string =>
  QUEUE_STATUSES.find((entry) => entry.value === status)?.label ?? prettify(status);

/** How long ago `time` was, in the largest whole unit: "3 days", "5 hours", "just now". */
export function ageText(time: string, now = Date.now()): string {
  const then = Date.parse(time);
  if (Number.isNaN(then)) return '—';
  const seconds = Math.max(0, Math.floor((now - then) / 1000));
  const units: [number, string][] = [
    [365 * 86_400, 'year'],
    [30 * 86_400, 'month'],
    [86_400, 'day'],
    [3_600, 'hour'],
    [60, 'minute'],
  ];
  for (const [size, unit] of units) {
    const count = Math.floor(seconds / size);
    if (count >= 1) return `${count} ${unit}${count === 1 ? '' : 's'}`;
  }
  return 'just now';
}

/** A fraction (0.0123) as a percentage ("1.23 %"). */
export function formatRate(fraction: number): string {
  if (!Number.isFinite(fraction)) return '—';
  return `${new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 }).format(fraction * 100)} %`;
}

export const sexLabel = (sex: string): string => (sex === '' ? '' : prettify(sex));
