// User administration (permission users.manage): find, create and change staff accounts.
import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import { getRoles, listUsers, userAction, type RoleInfo, type User, type UserAction } from '../api';
import { ErrorAlert, Notice } from '../components/Alert';
import { CreateUserForm } from '../components/CreateUserForm';
import { CompactTime } from '../components/CompactTime';
import { ConfirmDialog } from '../components/Dialog';
import { Field } from '../components/Field';
import { EditUserDialog, ResetPasswordDialog } from '../components/UserDialogs';
import { roleLabel } from '../format';
import { useSession } from '../session';
import { usePageTitle } from '../usePageTitle';

type Pending =
  | { kind: 'edit'; user: User }
  | { kind: 'password'; user: User }
  | { kind: 'disable'; user: User }
  | { kind: 'reset-totp'; user: User };

const SEARCH_DELAY_MS = 300;

function statusOf(user: User): string {
  const states = [user.disabled ? 'Disabled' : null, user.locked ? 'Locked' : null].filter(Boolean);
  return states.length === 0 ? 'Active' : states.join(', ');
}

export function AdminPage() {
  const { me } = useSession();
  const heading = usePageTitle('Admin');
  const [roles, setRoles] = useState<RoleInfo[]>([]);
  const [users, setUsers] = useState<User[]>([]);
  const [nextCursor, setNextCursor] = useState<string | null>(null);
  const [search, setSearch] = useState('');
  const [query, setQuery] = useState('');
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [pending, setPending] = useState<Pending | null>(null);
  const [actionError, setActionError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const loadNumber = useRef(0);

  const load = useCallback(async (q: string, cursor: string | null) => {
    const number = ++loadNumber.current;
    setLoading(true);
    setError(null);
    try {
      const page = await listUsers(q, cursor);
      if (number !== loadNumber.current) return;
      setUsers((shown) => (cursor === null ? page.users : [...shown, ...page.users]));
      setNextCursor(page.next_cursor ?? null);
    } catch (caught) {
      if (number === loadNumber.current) setError(caught);
    } finally {
      if (number === loadNumber.current) setLoading(false);
    }
  }, []);

  useEffect(() => {
    getRoles().then((answer) => setRoles(answer.roles), setError);
  }, []);

  useEffect(() => {
    void load(query, null);
  }, [load, query]);

  useEffect(() => {
    const timer = window.setTimeout(() => setQuery(search.trim()), SEARCH_DELAY_MS);
    return () => window.clearTimeout(timer);
  }, [search]);

  function submitSearch(event: FormEvent) {
    event.preventDefault();
    if (search.trim() === query) void load(query, null);
    else setQuery(search.trim());
  }

  function replace(user: User, message: string) {
    setUsers((shown) => shown.map((row) => (row.id === user.id ? user : row)));
    setNotice(message);
    setPending(null);
    setActionError(null);
  }

  async function act(user: User, action: UserAction, message: string) {
    setBusy(true);
    setActionError(null);
    setNotice(null);
    try {
      replace(await userAction(user.id, action), message);
    } catch (caught) {
      setActionError(caught);
    } finally {
      setBusy(false);
    }
  }

  function cancel() {
    setPending(null);
    setActionError(null);
  }

  return (
    <>
      <h1 ref={heading} tabIndex={-1}>
        Admin
      </h1>
      <p className="lead">Staff accounts, their roles and their sign-in state.</p>
      {notice && <Notice tone="success">{notice}</Notice>}
      {pending === null && <ErrorAlert error={actionError} />}

      <CreateUserForm
        roles={roles}
        onCreated={(user) => {
          setNotice(`User ${user.username} created.`);
          setUsers((shown) => [user, ...shown.filter((row) => row.id !== user.id)]);
          void load(query, null);
        }}
      />

      <section className="panel" aria-labelledby="users-heading">
        <h2 id="users-heading">Users</h2>
        <form className="search" role="search" onSubmit={submitSearch}>
          <Field
            label="Search users"
            type="search"
            name="q"
            value={search}
            onChange={(event) => setSearch(event.target.value)}
          />
          <button type="submit" className="button">
            Search
          </button>
        </form>
        <ErrorAlert error={error} />
        <div className="table-wrap" role="region" aria-label="Users" tabIndex={0}>
          <table className="table" aria-busy={loading}>
            <caption className="visually-hidden">Users</caption>
            <thead>
              <tr>
                <th scope="col">Username</th>
                <th scope="col">Name</th>
                <th scope="col">Roles</th>
                <th scope="col">Status</th>
                <th scope="col">Second factor</th>
                <th scope="col">Last login</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {users.map((user) => (
                <tr key={user.id} data-username={user.username}>
                  <th scope="row">{user.username}</th>
                  <td>{user.display_name}</td>
                  <td>{user.roles.map(roleLabel).join(', ') || '—'}</td>
                  <td>
                    <span className={`status status-${user.disabled ? 'disabled' : user.locked ? 'locked' : 'active'}`}>
                      {statusOf(user)}
                    </span>
                    {user.must_change_password && <span className="field-hint"> must change password</span>}
                  </td>
                  <td>{user.totp_enabled ? 'On' : 'Off'}</td>
                  <td>
                    {user.last_login_at ? (
                      <CompactTime value={user.last_login_at} />
                    ) : (
                      'never'
                    )}
                  </td>
                  <td>
                    <div className="row-actions">
                      <button type="button" className="button button-small" onClick={() => setPending({ kind: 'edit', user })}>
                        Edit<span className="visually-hidden"> {user.username}</span>
                      </button>
                      {user.disabled ? (
                        <button
                          type="button"
                          className="button button-small"
                          disabled={busy}
                          onClick={() => void act(user, 'enable', `User ${user.username} enabled.`)}
                        >
                          Enable<span className="visually-hidden"> {user.username}</span>
                        </button>
                      ) : (
                        <button
                          type="button"
                          className="button button-small"
                          disabled={user.id === me.id}
                          onClick={() => setPending({ kind: 'disable', user })}
                        >
                          Disable<span className="visually-hidden"> {user.username}</span>
                        </button>
                      )}
                      {user.locked && (
                        <button
                          type="button"
                          className="button button-small"
                          disabled={busy}
                          onClick={() => void act(user, 'unlock', `User ${user.username} unlocked.`)}
                        >
                          Unlock<span className="visually-hidden"> {user.username}</span>
                        </button>
                      )}
                      <button type="button" className="button button-small" onClick={() => setPending({ kind: 'password', user })}>
                        Reset password<span className="visually-hidden"> for {user.username}</span>
                      </button>
                      {user.totp_enabled && (
                        <button type="button" className="button button-small" onClick={() => setPending({ kind: 'reset-totp', user })}>
                          Reset second factor<span className="visually-hidden"> for {user.username}</span>
                        </button>
                      )}
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {!loading && users.length === 0 && error === null && <p>No users match.</p>}
        {loading && <p aria-live="polite">Loading users…</p>}
        {nextCursor !== null && !loading && (
          <button type="button" className="button" onClick={() => void load(query, nextCursor)}>
            Load more
          </button>
        )}
      </section>

      {pending?.kind === 'edit' && (
        <EditUserDialog
          user={pending.user}
          roles={roles}
          onCancel={cancel}
          onDone={(user) => replace(user, `User ${user.username} updated.`)}
        />
      )}
      {pending?.kind === 'password' && (
        <ResetPasswordDialog
          user={pending.user}
          onCancel={cancel}
          onDone={(user) => replace(user, `Password for ${user.username} reset; their sessions have ended.`)}
        />
      )}
      {pending?.kind === 'disable' && (
        <ConfirmDialog
          title={`Disable ${pending.user.username}?`}
          message={<p>{pending.user.username} can no longer sign in, and all their sessions end at once.</p>}
          confirmLabel="Disable user"
          danger
          busy={busy}
          error={<ErrorAlert error={actionError} />}
          onCancel={cancel}
          onConfirm={() => void act(pending.user, 'disable', `User ${pending.user.username} disabled.`)}
        />
      )}
      {pending?.kind === 'reset-totp' && (
        <ConfirmDialog
          title={`Reset the second factor of ${pending.user.username}?`}
          message={<p>Their authenticator app stops working for Custos; they must enrol again.</p>}
          confirmLabel="Reset second factor"
          danger
          busy={busy}
          error={<ErrorAlert error={actionError} />}
          onCancel={cancel}
          onConfirm={() => void act(pending.user, 'reset-totp', `Second factor of ${pending.user.username} reset.`)}
        />
      )}
    </>
  );
}
