import type { AuditEvent } from '@cbmir/contract';
import { useMemo, useState, type FormEvent } from 'react';
import { useSearchParams } from 'react-router-dom';
import type { AuditFilters } from '../api/query-keys.ts';
import { useAuditLog } from '../api/use-audit-log.ts';
import { useUsers } from '../api/use-users.ts';
import { FormField } from '../components/form-field.tsx';
import { PageHeading } from '../components/page-heading.tsx';
import { QueryError } from '../components/query-error.tsx';
import { ErrorMessage, LoadingMessage } from '../components/status-message.tsx';
import { actorLabel, AUDIT_ACTIONS, localDateTimeToIso, summariseDetails } from '../domain/audit.ts';
import { formatDateTime, shortId } from '../domain/format.ts';

const FILTER_NAMES = ['action', 'actor', 'target', 'from', 'to'] as const;
type FilterName = (typeof FILTER_NAMES)[number];
type FilterValues = Record<FilterName, string>;

export function AuditPage() {
  // Filters live in the address, so a filtered view can be bookmarked and Back undoes a filter.
  const [params, setParams] = useSearchParams();
  const values = Object.fromEntries(FILTER_NAMES.map((name) => [name, params.get(name) ?? ''])) as FilterValues;
  const filters = useMemo<AuditFilters>(
    () =>
      stripUndefined({
        action: values.action || undefined,
        actorId: values.actor || undefined,
        targetId: values.target || undefined,
        from: localDateTimeToIso(values.from),
        to: localDateTimeToIso(values.to),
      }),
    [values.action, values.actor, values.target, values.from, values.to],
  );
  const log = useAuditLog(filters);
  const events = log.data?.pages.flatMap((page) => page.events) ?? [];
  const filtered = Object.keys(filters).length > 0;

  function apply(next: Partial<FilterValues>) {
    const merged = { ...values, ...next };
    setParams(Object.fromEntries(Object.entries(merged).filter(([, v]) => v !== '')));
  }

  return (
    <div className="page" data-testid="audit-page">
      <PageHeading title="Audit trail" intro="Who did what, and when: sign-ins, searches, case views and every administrative change. Newest first." />
      <AuditFilterForm key={params.toString()} values={values} onApply={apply} onReset={() => setParams({})} />
      <section className="panel table-panel" aria-labelledby="audit-heading">
        <div className="table-panel__head">
          <h2 id="audit-heading" className="panel__title">
            Events
          </h2>
          <button type="button" className="button button--quiet" onClick={() => void log.refetch()} disabled={log.isFetching} data-testid="audit-refresh">
            {log.isFetching && !log.isFetchingNextPage ? 'Refreshing…' : 'Refresh'}
          </button>
        </div>
        <div className="live-region" aria-live="polite">
          {log.isPending && <LoadingMessage testId="audit-loading">Loading the audit trail…</LoadingMessage>}
          {log.isError && !log.data && <QueryError error={log.error} title="The audit trail could not be loaded" testId="audit-error" />}
          {log.data && (
            <p className="results-panel__meta" data-testid="audit-meta">
              {events.length} {events.length === 1 ? 'event' : 'events'} shown{filtered ? ' (filtered)' : ''}
              {log.hasNextPage ? '; older events on request.' : '; that is all.'}
            </p>
          )}
        </div>
        {log.data && events.length === 0 && (
          <p className="empty-state" data-testid="audit-empty">
            {filtered ? 'No events match these filters.' : 'Nothing has been recorded yet.'}
          </p>
        )}
        {events.length > 0 && (
          <div className="table-scroll">
            <table className="data-table data-table--dense" data-testid="audit-table">
              <thead>
                <tr>
                  <th scope="col">Time</th>
                  <th scope="col">Actor</th>
                  <th scope="col">Action</th>
                  <th scope="col">Target</th>
                  <th scope="col">Details</th>
                  <th scope="col">IP</th>
                </tr>
              </thead>
              <tbody>
                {events.map((event) => (
                  <AuditRow key={event.id} event={event} onFilter={apply} />
                ))}
              </tbody>
            </table>
          </div>
        )}
        {log.isFetchNextPageError && <ErrorMessage error={log.error} title="Older events could not be loaded" />}
        {log.hasNextPage && (
          <div className="table-panel__more">
            <button
              type="button"
              className="button button--secondary"
              onClick={() => void log.fetchNextPage()}
              disabled={log.isFetchingNextPage}
              data-testid="audit-older"
            >
              {log.isFetchingNextPage ? 'Loading…' : 'Show older events'}
            </button>
          </div>
        )}
      </section>
    </div>
  );
}

function AuditRow({ event, onFilter }: { event: AuditEvent; onFilter(next: Partial<FilterValues>): void }) {
  const details = summariseDetails(event.details);
  return (
    <tr data-testid="audit-row" data-action={event.action}>
      <td className="nowrap" title={event.at}>
        {formatDateTime(event.at, { seconds: true })}
      </td>
      <td>
        {event.actorId ? (
          <button
            type="button"
            className="link-button"
            title={`Show only events by ${actorLabel(event)} (${event.actorType} ${event.actorId})`}
            onClick={() => onFilter({ actor: event.actorId ?? '' })}
            data-testid="audit-actor"
          >
            {actorLabel(event)}
          </button>
        ) : (
          <span className="muted">{actorLabel(event)}</span>
        )}
        {event.actorType !== 'user' && <span className="tag">{event.actorType.replace('_', ' ')}</span>}
      </td>
      <td>
        <button
          type="button"
          className="action-chip"
          title={`Show only ${event.action} events`}
          onClick={() => onFilter({ action: event.action })}
          data-testid="audit-action"
        >
          {event.action}
        </button>
      </td>
      <td className="nowrap">
        {event.targetId ? (
          <button
            type="button"
            className="link-button"
            title={`Show only events about ${event.targetType ?? ''} ${event.targetId}`}
            onClick={() => onFilter({ target: event.targetId ?? '' })}
          >
            {event.targetType} <span className="mono">{shortId(event.targetId)}</span>
          </button>
        ) : (
          <span className="muted">{event.targetType ?? '—'}</span>
        )}
      </td>
      <td className="details-cell" title={details ? JSON.stringify(event.details, null, 2) : undefined} data-testid="audit-details">
        {details || <span className="muted">—</span>}
      </td>
      <td className="mono nowrap muted">{event.ip ?? '—'}</td>
    </tr>
  );
}

function AuditFilterForm({ values, onApply, onReset }: { values: FilterValues; onApply(values: FilterValues): void; onReset(): void }) {
  const [draft, setDraft] = useState(values);
  const users = useUsers();
  const set = (name: FilterName) => (event: { target: { value: string } }) => setDraft((d) => ({ ...d, [name]: event.target.value }));
  const rangeError = draft.from && draft.to && draft.from > draft.to ? 'The start is after the end.' : null;

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (rangeError) return;
    onApply({ ...draft, action: draft.action.trim(), actor: draft.actor.trim(), target: draft.target.trim() });
  }

  return (
    <form className="panel filter-bar" onSubmit={onSubmit} aria-label="Filter the audit trail" data-testid="audit-filters">
      <FormField label="Action">
        {(props) => (
          <>
            <input {...props} list="audit-actions" placeholder="any" value={draft.action} onChange={set('action')} data-testid="filter-action" />
            <datalist id="audit-actions">
              {AUDIT_ACTIONS.map((action) => (
                <option key={action} value={action} />
              ))}
            </datalist>
          </>
        )}
      </FormField>
      <FormField label="Actor id" hint="A user or API key id; click an actor in the table to fill it.">
        {(props) => (
          <>
            <input {...props} list="audit-actors" placeholder="anyone" value={draft.actor} onChange={set('actor')} data-testid="filter-actor" />
            <datalist id="audit-actors">
              {users.data?.users.map((user) => (
                <option key={user.id} value={user.id} label={user.username} />
              ))}
            </datalist>
          </>
        )}
      </FormField>
      <FormField label="Target id">
        {(props) => <input {...props} placeholder="any" value={draft.target} onChange={set('target')} data-testid="filter-target" />}
      </FormField>
      <FormField label="From">
        {(props) => <input {...props} type="datetime-local" value={draft.from} onChange={set('from')} data-testid="filter-from" />}
      </FormField>
      <FormField label="To" error={rangeError}>
        {(props) => <input {...props} type="datetime-local" value={draft.to} onChange={set('to')} data-testid="filter-to" />}
      </FormField>
      <div className="filter-bar__actions">
        <button type="submit" className="button" data-testid="filter-apply">
          Apply filters
        </button>
        <button type="button" className="button button--secondary" onClick={onReset} data-testid="filter-reset">
          Clear
        </button>
      </div>
    </form>
  );
}

function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
