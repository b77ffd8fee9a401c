import type { ApiKey } from '@cbmir/contract';
import { useState } from 'react';
import { useApiKeys, useRevokeApiKey } from '../../api/use-api-keys.ts';
import { formatDate, formatDateTime } from '../../domain/format.ts';
import { ConfirmDialog } from '../confirm-dialog.tsx';
import { QueryError } from '../query-error.tsx';
import { ErrorMessage, LoadingMessage } from '../status-message.tsx';
import { ShowMore, usePagedList } from './show-more.tsx';

type KeyState = 'active' | 'revoked' | 'expired';

function keyState(key: ApiKey, now: number): KeyState {
  if (key.revokedAt) return 'revoked';
  if (key.expiresAt && Date.parse(key.expiresAt) <= now) return 'expired';
  return 'active';
}

export function ApiKeyList() {
  const keys = useApiKeys();
  const revoke = useRevokeApiKey();
  const [hideInactive, setHideInactive] = useState(false);
  const [revoking, setRevoking] = useState<ApiKey | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const now = Date.now();
  // Usable keys first, newest first within each group.
  const all = [...(keys.data?.apiKeys ?? [])].sort(
    (a, b) => Number(keyState(a, now) !== 'active') - Number(keyState(b, now) !== 'active') || b.createdAt.localeCompare(a.createdAt),
  );
  const listed = hideInactive ? all.filter((key) => keyState(key, now) === 'active') : all;
  const paged = usePagedList(listed, 25);

  return (
    <section className="panel table-panel" aria-labelledby="keys-heading" data-testid="api-keys">
      <div className="table-panel__head">
        <h2 id="keys-heading" className="panel__title">
          API keys
        </h2>
        {keys.data && (
          <label className="checkbox">
            <input type="checkbox" checked={hideInactive} onChange={(event) => setHideInactive(event.target.checked)} data-testid="hide-revoked" />
            Hide revoked and expired keys
          </label>
        )}
      </div>
      <p className="panel__intro">Keys let scripts and other systems call the REST API with a role. Only the first characters are kept for display.</p>
      <div className="live-region" aria-live="polite">
        {keys.isPending && <LoadingMessage testId="keys-loading">Loading API keys…</LoadingMessage>}
        {keys.isError && <QueryError error={keys.error} title="API keys could not be loaded" testId="keys-error" />}
        {revoke.isError && <ErrorMessage error={revoke.error} title="The key was not revoked" testId="revoke-error" />}
        {notice && (
          <p className="success-note" data-testid="keys-notice">
            {notice}
          </p>
        )}
      </div>
      {keys.data && listed.length === 0 && (
        <p className="empty-state" data-testid="keys-empty">
          {all.length === 0 ? 'No API keys issued yet.' : 'No active keys.'}
        </p>
      )}
      {paged.visible.length > 0 && (
        <div className="table-scroll">
          <table className="data-table" data-testid="keys-table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Key starts</th>
                <th scope="col">Role</th>
                <th scope="col">Created</th>
                <th scope="col">Expires</th>
                <th scope="col">Last used</th>
                <th scope="col">Status</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {paged.visible.map((key) => {
                const state = keyState(key, now);
                return (
                  <tr key={key.id} data-testid="key-row" data-key-name={key.name} data-state={state} className={state !== 'active' ? 'row--muted' : undefined}>
                    <th scope="row">{key.name}</th>
                    <td>
                      <code>{key.prefix}…</code>
                    </td>
                    <td>{key.role}</td>
                    <td>{formatDate(key.createdAt)}</td>
                    <td>{key.expiresAt ? formatDate(key.expiresAt) : 'never'}</td>
                    <td>{key.lastUsedAt ? formatDateTime(key.lastUsedAt) : 'never'}</td>
                    <td>
                      <span
                        className={`state state--${state === 'active' ? 'ok' : 'muted'}`}
                        data-testid="key-state"
                        title={key.revokedAt ? `Revoked ${formatDateTime(key.revokedAt)}` : undefined}
                      >
                        {state === 'active' ? 'Active' : state === 'revoked' ? `Revoked ${formatDate(key.revokedAt)}` : 'Expired'}
                      </span>
                    </td>
                    <td className="actions-cell">
                      {state !== 'revoked' && (
                        <button type="button" className="button button--quiet button--quiet-danger" onClick={() => setRevoking(key)} data-testid="key-revoke">
                          Revoke<span className="visually-hidden"> key {key.name}</span>
                        </button>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      <ShowMore paged={paged} noun="keys" />
      <ConfirmDialog
        open={revoking !== null}
        title={`Revoke the key “${revoking?.name ?? ''}”?`}
        confirmLabel="Revoke key"
        busy={revoke.isPending}
        onCancel={() => setRevoking(null)}
        onConfirm={() => {
          const key = revoking;
          setRevoking(null);
          setNotice(null);
          if (key) revoke.mutate(key.id, { onSuccess: () => setNotice(`Key “${key.name}” is revoked. Requests with it are refused from now on.`) });
        }}
      >
        <p>
          Every request with the key <code>{revoking?.prefix}…</code> is refused from now on. This cannot be undone: a script that uses it needs a new key.
        </p>
      </ConfirmDialog>
    </section>
  );
}
