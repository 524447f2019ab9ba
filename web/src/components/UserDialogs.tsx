// Dialogs for changing one user account: edit (display name and roles) and reset password.
import { useState, type FormEvent } from 'react';
import { resetPassword, updateUser, type RoleInfo, type User } from '../api';
import { ErrorAlert, fieldError, isFieldError } from './Alert';
import { Dialog } from './Dialog';
import { Field } from './Field';
import { RoleCheckboxes } from './RoleCheckboxes';

interface EditUserDialogProps {
  user: User;
  roles: RoleInfo[];
  onDone: (user: User) => void;
  onCancel: () => void;
}

export function EditUserDialog({ user, roles, onDone, onCancel }: EditUserDialogProps) {
  const [displayName, setDisplayName] = useState(user.display_name);
  const [selected, setSelected] = useState<string[]>(user.roles);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onDone(await updateUser(user.id, { display_name: displayName.trim(), roles: selected }));
    } catch (caught) {
      setError(caught);
      setBusy(false);
    }
  }

  return (
    <Dialog title={`Edit ${user.username}`} onClose={onCancel}>
      <form onSubmit={submit} noValidate>
        {!isFieldError(error, ['display_name', 'roles']) && <ErrorAlert error={error} />}
        <Field
          label="Display name"
          name="display_name"
          value={displayName}
          onChange={(event) => setDisplayName(event.target.value)}
          error={fieldError(error, 'display_name')}
        />
        <RoleCheckboxes roles={roles} selected={selected} onChange={setSelected} error={fieldError(error, 'roles')} />
        <div className="dialog-actions">
          <button type="button" className="button" onClick={onCancel}>
            Cancel
          </button>
          <button type="submit" className="button button-primary" disabled={busy}>
            Save changes
          </button>
        </div>
      </form>
    </Dialog>
  );
}

interface ResetPasswordDialogProps {
  user: User;
  onDone: (user: User) => void;
  onCancel: () => void;
}

export function ResetPasswordDialog({ user, onDone, onCancel }: ResetPasswordDialogProps) {
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onDone(await resetPassword(user.id, password));
    } catch (caught) {
      setError(caught);
      setBusy(false);
    }
  }

  return (
    <Dialog title={`Reset password for ${user.username}`} onClose={onCancel}>
      <form onSubmit={submit} noValidate>
        <p>
          All of {user.username}'s sessions end at once, and they must choose a new password at their
          next sign-in.
        </p>
        {!isFieldError(error, ['new_password']) && <ErrorAlert error={error} />}
        <Field
          label="New password"
          name="new_password"
          type="password"
          autoComplete="new-password"
          hint="At least 12 characters."
          autoFocus
          value={password}
          onChange={(event) => setPassword(event.target.value)}
          error={fieldError(error, 'new_password')}
        />
        <div className="dialog-actions">
          <button type="button" className="button" onClick={onCancel}>
            Cancel
          </button>
          <button type="submit" className="button button-danger" disabled={busy}>
            Reset password
          </button>
        </div>
      </form>
    </Dialog>
  );
}
