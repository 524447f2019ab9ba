// One section of the patient chart: a titled panel that shows its search's loading, error and
// empty states the same way everywhere, and its content once loaded.
import type { ReactNode } from 'react';
import type { Resource } from '../fhir';
import type { SearchState } from '../useFhirSearch';
import { ErrorAlert } from './Alert';

interface ChartSectionProps<T extends Resource> {
  id: string;
  title: string;
  state: SearchState<T>;
  /** What to say when there is nothing (a clear sentence, not just "none"). */
  empty: ReactNode;
  /** Count shown next to the title; defaults to the number of resources. */
  count?: (resources: T[]) => number;
  children: (resources: T[], included: Resource[]) => ReactNode;
  className?: string;
}

export function ChartSection<T extends Resource>({ id, title, state, empty, count, children, className }: ChartSectionProps<T>) {
  const headingId = `${id}-heading`;
  return (
    <section
      className={`panel chart-section${className ? ` ${className}` : ''}`}
      id={id}
      aria-labelledby={headingId}
      aria-busy={state.status === 'loading'}
      data-section={id}
    >
      <div className="panel-heading">
        <h2 id={headingId} tabIndex={-1}>
          {title}
          {state.status === 'done' && state.resources.length > 0 && (
            <span className="section-count"> ({(count ?? ((resources: T[]) => resources.length))(state.resources)})</span>
          )}
        </h2>
      </div>
      {state.status === 'loading' && <p className="field-hint">Loading…</p>}
      {state.status === 'error' && <ErrorAlert error={state.error} />}
      {state.status === 'done' && state.resources.length === 0 && <p className="empty-state">{empty}</p>}
      {state.status === 'done' && state.resources.length > 0 && (
        <>
          {children(state.resources, state.included)}
          {!state.complete && (
            <p className="field-hint" role="note">
              Only the first {state.resources.length} of {state.total ?? 'more'} are shown.
            </p>
          )}
        </>
      )}
    </section>
  );
}

/** A table inside a chart section, scrolling sideways on its own when it must. */
export function SectionTable({ label, columns, children }: { label: string; columns: string[]; children: ReactNode }) {
  return (
    <div className="table-wrap">
      <table className="table table-compact chart-table">
        <caption className="visually-hidden">{label}</caption>
        <thead>
          <tr>
            {columns.map((column) => (
              <th scope="col" key={column}>
                {column}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}
