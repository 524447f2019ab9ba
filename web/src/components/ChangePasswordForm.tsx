// Change one's own password (POST /auth/password).
import { useState, type FormEvent } from 'react';
import { ApiError, changePassword } from '../api';
import { ErrorAlert, Notice, fieldError, isFieldError } from './Alert';
import { Field } from './Field';

const FIELDS = ['current_password', 'new_password'] as const;

export function ChangePasswordForm({ onChanged }: { onChanged: () => void }) {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [repeat, setRepeat] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState(false);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setDone(false);
    if (next !== repeat) {
      setError(new ApiError(0, 'invalid_argument', 'The two new passwords are not the same.', 'repeat_password'));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await changePassword(current, next);
      setCurrent('');
      setNext('');
      setRepeat('');
      setDone(true);
      onChanged();
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="panel" onSubmit={submit} aria-labelledby="password-heading" noValidate>
      <h2 id="password-heading">Change password</h2>
      {done && <Notice tone="success">Your password has been changed.</Notice>}
      {!isFieldError(error, [...FIELDS, 'repeat_password']) && <ErrorAlert error={error} />}
      <Field
        label="Current password"
        name="current_password"
        type="password"
        autoComplete="current-password"
        value={current}
        onChange={(event) => setCurrent(event.target.value)}
        error={fieldError(error, 'current_password')}
      />
      <Field
        label="New password"
        name="new_password"
        type="password"
        autoComplete="new-password"
        hint="At least 12 characters."
        value={next}
        onChange={(event) => setNext(event.target.value)}
        error={fieldError(error, 'new_password')}
      />
      <Field
        label="Repeat new password"
        name="repeat_password"
        type="password"
        autoComplete="new-password"
        value={repeat}
        onChange={(event) => setRepeat(event.target.value)}
        error={fieldError(error, 'repeat_password')}
      />
      <div className="form-actions">
        <button type="submit" className="button button-primary" disabled={busy}>
          Change password
        </button>
      </div>
    </form>
  );
}
