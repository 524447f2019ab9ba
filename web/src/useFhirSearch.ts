// Loads every match of a FHIR search for a screen, following the server's paging links.
import { useEffect, useState } from 'react';
import { searchAll, type FhirParams } from './api';
import type { Resource } from './fhir';

export type SearchState<T extends Resource> =
  | { status: 'loading' }
  | { status: 'error'; error: unknown }
  | { status: 'done'; resources: T[]; included: Resource[]; total: number | null; complete: boolean };

/** `params` is compared by value (its JSON), so an object literal does not reload every render. */
export function useFhirSearch<T extends Resource>(resourceType: string, params: FhirParams): SearchState<T> {
  const [state, setState] = useState<SearchState<T>>({ status: 'loading' });
  const key = JSON.stringify(params);
  useEffect(() => {
    let current = true;
    setState({ status: 'loading' });
    searchAll<T>(resourceType, JSON.parse(key) as FhirParams).then(
      (answer) => current && setState({ status: 'done', ...answer }),
      (error: unknown) => current && setState({ status: 'error', error }),
    );
    return () => {
      current = false;
    };
  }, [resourceType, key]);
  return state;
}
