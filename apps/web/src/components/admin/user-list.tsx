import type { Role, User } from '@cbmir/contract';
import { useState } from 'react';
import { useSession } from '../../api/use-session.ts';
import { useUpdateUser, useUsers } from '../../api/use-users.ts';
import { ROLES } from '../../domain/accounts.ts';
import { formatDate } from '../../domain/format.ts';
import { ConfirmDialog } from '../confirm-dialog.tsx';
import { QueryError } from '../query-error.tsx';
import { ErrorMessage, LoadingMessage } from '../status-message.tsx';
import { PasswordResetDialog } from './password-reset-dialog.tsx';
import { ShowMore, usePagedList } from './show-more.tsx';

export function UserList() {
  const users = useUsers();
  const update = useUpdateUser();
  const me = useSession().data?.user.id;
  const [notice, setNotice] = useState<string | null>(null);
  const [resetting, setResetting] = useState<User | null>(null);
  const [disabling, setDisabling] = useState<User | null>(null);
  const sorted = [...(users.data?.users ?? [])].sort((a, b) => a.username.localeCompare(b.username));
  const paged = usePagedList(sorted, 25);

  function change(user: User, changes: { role?: Role; disabled?: boolean }, message: string) {
    setNotice(null);
    update.mutate({ id: user.id, changes }, { onSuccess: () => setNotice(message) });
  }

  return (
    <section className="panel table-panel" aria-labelledby="users-heading" data-testid="users">
      <div className="table-panel__head">
        <h2 id="users-heading" className="panel__title">
          Users
        </h2>
        {users.data && (
          <span className="table-panel__count" data-testid="users-count">
            {sorted.length} {sorted.length === 1 ? 'user' : 'users'}
          </span>
        )}
      </div>
      <div className="live-region" aria-live="polite">
        {users.isPending && <LoadingMessage testId="users-loading">Loading users…</LoadingMessage>}
        {users.isError && <QueryError error={users.error} title="Users could not be loaded" testId="users-error" />}
        {update.isError && <ErrorMessage error={update.error} title="The change was not saved" testId="user-update-error" />}
        {notice && (
          <p className="success-note" data-testid="users-notice">
            {notice}
          </p>
        )}
      </div>
      {users.data && sorted.length === 0 && <p className="empty-state">No users yet.</p>}
      {paged.visible.length > 0 && (
        <div className="table-scroll">
          <table className="data-table" data-testid="users-table">
            <thead>
              <tr>
                <th scope="col">Username</th>
                <th scope="col">Role</th>
                <th scope="col">Status</th>
                <th scope="col">Created</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {paged.visible.map((user) => {
                const self = user.id === me;
                return (
                  <tr key={user.id} data-testid="user-row" data-username={user.username} className={user.disabled ? 'row--muted' : undefined}>
                    <th scope="row">
                      {user.username}
                      {self && <span className="tag">you</span>}
                    </th>
                    <td>
                      <label className="visually-hidden" htmlFor={`role-${user.id}`}>
                        Role of {user.username}
                      </label>
                      <select
                        id={`role-${user.id}`}
                        className="select select--compact"
                        value={user.role}
                        // Changing one's own role could lock every admin out; another admin can do it.
                        disabled={self || update.isPending}
                        title={self ? 'Another admin can change your role' : undefined}
                        onChange={(event) => {
                          const role = event.target.value as Role;
                          change(user, { role }, `${user.username} is now ${role === 'admin' ? 'an admin' : 'a clinician'}. Their sessions were ended.`);
                        }}
                        data-testid="user-role"
                      >
                        {ROLES.map((role) => (
                          <option key={role} value={role}>
                            {role}
                          </option>
                        ))}
                      </select>
                    </td>
                    <td>
                      {user.disabled ? (
                        <span className="state state--muted" data-testid="user-state">
                          Disabled
                        </span>
                      ) : (
                        <span className="state state--ok" data-testid="user-state">
                          Active
                        </span>
                      )}
                    </td>
                    <td>{formatDate(user.createdAt)}</td>
                    <td className="actions-cell">
                      <button type="button" className="button button--quiet" onClick={() => setResetting(user)} data-testid="user-reset-password">
                        Reset password<span className="visually-hidden"> of {user.username}</span>
                      </button>
                      {user.disabled ? (
                        <button
                          type="button"
                          className="button button--quiet"
                          disabled={update.isPending}
                          onClick={() => change(user, { disabled: false }, `${user.username} can sign in again.`)}
                          data-testid="user-enable"
                        >
                          Enable<span className="visually-hidden"> {user.username}</span>
                        </button>
                      ) : (
                        <button
                          type="button"
                          className="button button--quiet button--quiet-danger"
                          disabled={self || update.isPending}
                          title={self ? 'Another admin can disable your account' : undefined}
                          onClick={() => setDisabling(user)}
                          data-testid="user-disable"
                        >
                          Disable<span className="visually-hidden"> {user.username}</span>
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
      <ShowMore paged={paged} noun="users" />
      <ConfirmDialog
        open={disabling !== null}
        title={`Disable ${disabling?.username ?? ''}?`}
        confirmLabel="Disable user"
        busy={update.isPending}
        onCancel={() => setDisabling(null)}
        onConfirm={() => {
          if (disabling) change(disabling, { disabled: true }, `${disabling.username} is disabled and signed out everywhere.`);
          setDisabling(null);
        }}
      >
        <p>They are signed out at once and cannot sign in until an admin enables the account again. Their audit history stays.</p>
      </ConfirmDialog>
      {resetting && (
        <PasswordResetDialog
          user={resetting}
          self={resetting.id === me}
          onClose={(done) => {
            if (done) setNotice(`New password set for ${resetting.username}. Their sessions were ended.`);
            setResetting(null);
          }}
        />
      )}
    </section>
  );
}
