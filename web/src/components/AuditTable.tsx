// Audit events as a table, newest first; each row can open to show its details and hashes.
import { Fragment, useState } from 'react';
import type { AuditEvent } from '../api';
import { roleLabel } from '../format';
import { CompactTime } from './CompactTime';

const COLUMNS = 10;

/** "auth.login_failed" may wrap after its dot on narrow screens, never inside a word. */
function BreakAfterDots({ text }: { text: string }) {
  const parts = text.split('.');
  return (
    <>
      {parts.map((part, index) => (
        <Fragment key={index}>
          {part}
          {index < parts.length - 1 && (
            <>
              .<wbr />
            </>
          )}
        </Fragment>
      ))}
    </>
  );
}

function ObjectCell({ event }: { event: AuditEvent }) {
  if (!event.object_type && !event.object_id) return <>—</>;
  return (
    <>
      {event.object_type}
      {event.object_id && (
        <>
          {' '}
          <code className="object-id">{event.object_id}</code>
        </>
      )}
    </>
  );
}

/** Request ids are long; the table shows their start (enough to tell rows apart), details the rest. */
const SHORT_ID_LENGTH = 8;
const shortId = (id: string): string =>
  !id ? '—' : id.length <= SHORT_ID_LENGTH + 1 ? id : `${id.slice(0, SHORT_ID_LENGTH)}…`;

function outcomeClass(outcome: string): string {
  return outcome === 'success' ? 'status-active' : outcome ? 'status-locked' : '';
}

export function AuditTable({ events }: { events: AuditEvent[] }) {
  const [open, setOpen] = useState<ReadonlySet<number>>(new Set());

  function toggle(sequence: number) {
    setOpen((current) => {
      const next = new Set(current);
      if (next.has(sequence)) next.delete(sequence);
      else next.add(sequence);
      return next;
    });
  }

  return (
    <div className="table-wrap" role="region" aria-label="Audit events" tabIndex={0}>
      <table className="table table-compact">
        <caption className="visually-hidden">Audit events, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Actor</th>
            <th scope="col">Role</th>
            <th scope="col">Action</th>
            <th scope="col">Object</th>
            <th scope="col">Patient</th>
            <th scope="col">Outcome</th>
            <th scope="col" className="col-wide">Source</th>
            <th scope="col" className="col-wide">Request id</th>
            <th scope="col">
              <span className="visually-hidden">Details</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {events.map((event) => {
            const expanded = open.has(event.sequence);
            const detailsId = `audit-details-${event.sequence}`;
            return (
              <Fragment key={event.sequence}>
                <tr data-action={event.action} data-sequence={event.sequence}>
                  <th scope="row">
                    <CompactTime value={event.time} />
                  </th>
                  <td>{event.actor_name || event.actor || '—'}</td>
                  <td>{event.role ? roleLabel(event.role) : '—'}</td>
                  <td>
                    <code>
                      <BreakAfterDots text={event.action} />
                    </code>
                  </td>
                  <td className="cell-object">
                    <ObjectCell event={event} />
                  </td>
                  <td>{event.patient_id || '—'}</td>
                  <td>
                    <span className={`status ${outcomeClass(event.outcome)}`}>{event.outcome || '—'}</span>
                  </td>
                  <td className="col-wide">{event.source_address || '—'}</td>
                  <td className="col-wide">
                    <code title={event.request_id}>{shortId(event.request_id)}</code>
                  </td>
                  <td>
                    <button
                      type="button"
                      className="button button-small"
                      aria-expanded={expanded}
                      aria-controls={detailsId}
                      onClick={() => toggle(event.sequence)}
                    >
                      Details<span className="visually-hidden"> of event {event.sequence}</span>
                    </button>
                  </td>
                </tr>
                <tr id={detailsId} className="details-row" hidden={!expanded}>
                  <td colSpan={COLUMNS}>
                    {expanded && <EventDetails event={event} />}
                  </td>
                </tr>
              </Fragment>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

function EventDetails({ event }: { event: AuditEvent }) {
  const details = Object.entries(event.details ?? {});
  return (
    <dl className="details">
      <dt>Sequence</dt>
      <dd>{event.sequence}</dd>
      <dt>Actor id</dt>
      <dd>
        <code>{event.actor || '—'}</code>
      </dd>
      <dt>Source</dt>
      <dd>{event.source_address || '—'}</dd>
      <dt>Request id</dt>
      <dd className="cell-break">
        <code>{event.request_id || '—'}</code>
      </dd>
      <dt>Purpose of use</dt>
      <dd>{event.purpose_of_use || '—'}</dd>
      {details.map(([key, value]) => (
        <Fragment key={key}>
          <dt>{key}</dt>
          <dd>
            <code>{typeof value === 'string' ? value : JSON.stringify(value)}</code>
          </dd>
        </Fragment>
      ))}
      <dt>Hash</dt>
      <dd className="cell-break">
        <code>{event.hash}</code>
      </dd>
      <dt>Previous hash</dt>
      <dd className="cell-break">
        <code>{event.prev_hash}</code>
      </dd>
    </dl>
  );
}
