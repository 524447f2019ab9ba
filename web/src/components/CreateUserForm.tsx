// The administrator's form for a new staff account. Errors the server pins on one input
// (`error.field`) are shown beside that input.
import { useState, type FormEvent } from 'react';
import { createUser, type RoleInfo, type User } from '../api';
import { ErrorAlert, fieldError, isFieldError } from './Alert';
import { Field } from './Field';
import { RoleCheckboxes } from './RoleCheckboxes';

const FIELDS = ['username', 'display_name', 'password', 'roles'] as const;

interface CreateUserFormProps {
  roles: RoleInfo[];
  onCreated: (user: User) => void;
}

export function CreateUserForm({ roles, onCreated }: CreateUserFormProps) {
  const [username, setUsername] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [password, setPassword] = useState('');
  const [selected, setSelected] = useState<string[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const user = await createUser({
        username: username.trim(),
        display_name: displayName.trim(),
        password,
        roles: selected,
      });
      setUsername('');
      setDisplayName('');
      setPassword('');
      setSelected([]);
      onCreated(user);
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="panel" onSubmit={submit} aria-labelledby="create-user-heading" noValidate>
      <h2 id="create-user-heading">Create user</h2>
      {!isFieldError(error, FIELDS) && <ErrorAlert error={error} />}
      <div className="form-grid">
        <Field
          label="Username"
          name="username"
          autoComplete="off"
          autoCapitalize="none"
          spellCheck={false}
          value={username}
          onChange={(event) => setUsername(event.target.value)}
          error={fieldError(error, 'username')}
        />
        <Field
          label="Display name"
          name="display_name"
          autoComplete="off"
          value={displayName}
          onChange={(event) => setDisplayName(event.target.value)}
          error={fieldError(error, 'display_name')}
        />
        <Field
          label="Initial password"
          name="password"
          type="password"
          autoComplete="new-password"
          hint="At least 12 characters."
          value={password}
          onChange={(event) => setPassword(event.target.value)}
          error={fieldError(error, 'password')}
        />
      </div>
      <RoleCheckboxes roles={roles} selected={selected} onChange={setSelected} error={fieldError(error, 'roles')} />
      <div className="form-actions">
        <button type="submit" className="button button-primary" disabled={busy}>
          Create user
        </button>
      </div>
    </form>
  );
}
