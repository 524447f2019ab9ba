// The last patient search of this tab, kept in memory only (never in the address, history or
// storage: names and identifiers are patient data), so that returning from a chart shows the same
// results. Cleared when the session ends.

export interface PatientSearch {
  name: string;
  birthdate: string;
  identifier: string;
  offset: number;
}

export const EMPTY_SEARCH: PatientSearch = { name: '', birthdate: '', identifier: '', offset: 0 };

let last: PatientSearch = EMPTY_SEARCH;

export const lastPatientSearch = (): PatientSearch => last;

export function rememberPatientSearch(search: PatientSearch): void {
  last = search;
}

export function forgetPatientSearch(): void {
  last = EMPTY_SEARCH;
}
