// Sign-in: username and password, then a six-digit code for users with a second factor.
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { getSystem, login, type Me, type SystemInfo } from '../api';
import { ErrorAlert, Notice } from '../components/Alert';
import { Field } from '../components/Field';

interface LoginPageProps {
  /** Why the user is here again, e.g. "Your session has ended". */
  notice: string | null;
  onSignedIn: (me: Me) => void;
}

export function LoginPage({ notice, onSignedIn }: LoginPageProps) {
  const [system, setSystem] = useState<SystemInfo | null>(null);
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [challenge, setChallenge] = useState<string | null>(null);
  const [code, setCode] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const usernameInput = useRef<HTMLInputElement>(null);
  const codeInput = useRef<HTMLInputElement>(null);

  useEffect(() => {
    document.title = 'Sign in · Custos';
    getSystem().then(setSystem, () => setSystem(null));
  }, []);

  useEffect(() => {
    if (challenge !== null) codeInput.current?.focus();
  }, [challenge]);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const answer = await login(challenge === null ? { username, password } : { challenge, code });
      if (answer.kind === 'totp_required') {
        setChallenge(answer.challenge);
        setCode('');
      } else {
        setPassword('');
        onSignedIn(answer.user);
      }
    } catch (caught) {
      setError(caught);
      if (challenge === null) setPassword('');
      else setCode('');
    } finally {
      setBusy(false);
    }
  }

  function startOver() {
    setChallenge(null);
    setCode('');
    setPassword('');
    setError(null);
    window.setTimeout(() => usernameInput.current?.focus());
  }

  return (
    <div className="login">
      <main id="main" className="login-card">
        <div className="brand brand-large">
          <span className="brand-name">Custos</span>
          <span className="brand-tagline">Health information management</span>
        </div>
        <h1>{challenge === null ? 'Sign in' : 'Second factor'}</h1>
        {notice && <Notice tone="warning">{notice}</Notice>}
        {system?.demo_mode && (
          <Notice>Demo mode: second factor not required for admin.</Notice>
        )}
        <ErrorAlert error={error} />
        <form onSubmit={submit}>
          {challenge === null ? (
            <>
              <Field
                ref={usernameInput}
                label="Username"
                name="username"
                autoComplete="username"
                autoCapitalize="none"
                spellCheck={false}
                required
                autoFocus
                value={username}
                onChange={(event) => setUsername(event.target.value)}
              />
              <Field
                label="Password"
                name="password"
                type="password"
                autoComplete="current-password"
                required
                value={password}
                onChange={(event) => setPassword(event.target.value)}
              />
            </>
          ) : (
            <Field
              ref={codeInput}
              label="Six-digit code"
              hint="Open your authenticator app and enter the code it shows for Custos."
              name="code"
              inputMode="numeric"
              autoComplete="one-time-code"
              pattern="[0-9]{6}"
              maxLength={6}
              required
              value={code}
              onChange={(event) => setCode(event.target.value.replace(/\D/g, ''))}
            />
          )}
          <div className="form-actions">
            <button type="submit" className="button button-primary" disabled={busy}>
              {challenge === null ? 'Sign in' : 'Verify'}
            </button>
            {challenge !== null && (
              <button type="button" className="button button-link" onClick={startOver}>
                Use a different account
              </button>
            )}
          </div>
        </form>
        {system && (
          <p className="login-footer">
            {system.name} {system.version}
          </p>
        )}
      </main>
    </div>
  );
}
