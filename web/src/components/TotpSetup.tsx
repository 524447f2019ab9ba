// Enrol a second factor: the server makes a secret (and its QR code), the user's authenticator
// app proves it has it by answering with a current code.
import { useState, type FormEvent } from 'react';
import { confirmTotp, enrollTotp, type TotpEnrollment } from '../api';
import { ErrorAlert, Notice, fieldError } from './Alert';
import { Field } from './Field';

/** The server's SVG as an image address: shown as an <img>, it can run no script. */
function svgDataUrl(svg: string): string {
  const bytes = new TextEncoder().encode(svg);
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return `data:image/svg+xml;base64,${btoa(binary)}`;
}

/** "JBSWY3DPEHPK3PXP" → "JBSW Y3DP EHPK 3PXP", easier to type by hand. */
const grouped = (secret: string): string => secret.replace(/(.{4})(?=.)/g, '$1 ');

interface TotpSetupProps {
  enabled: boolean;
  required: boolean;
  onConfirmed: () => Promise<void>;
}

export function TotpSetup({ enabled, required, onConfirmed }: TotpSetupProps) {
  const [enrollment, setEnrollment] = useState<TotpEnrollment | null>(null);
  const [code, setCode] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [confirmed, setConfirmed] = useState(false);

  async function start() {
    setBusy(true);
    setError(null);
    try {
      setEnrollment(await enrollTotp());
      setCode('');
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  }

  async function confirm(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await confirmTotp(code);
      setEnrollment(null);
      setConfirmed(true);
      await onConfirmed();
    } catch (caught) {
      setError(caught);
      setCode('');
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="panel" aria-labelledby="totp-heading">
      <h2 id="totp-heading">Second factor</h2>
      {confirmed && <Notice tone="success">Second factor enabled. From now on, sign-in asks for a code.</Notice>}
      {enabled && !enrollment ? (
        <p>
          <span className="status status-active">On</span> Sign-in asks for a code from your authenticator app.
          An administrator can reset it if you lose the device.
        </p>
      ) : (
        !enrollment && (
          <>
            <p>
              <span className="status">Off</span>{' '}
              {required
                ? 'Your role requires a second factor: set it up now to use Custos.'
                : 'Protect your account with a code from an authenticator app at each sign-in.'}
            </p>
            {!fieldError(error, 'code') && <ErrorAlert error={error} />}
            <button type="button" className="button button-primary" onClick={() => void start()} disabled={busy}>
              Enable second factor
            </button>
          </>
        )
      )}
      {enrollment && (
        <div className="totp-enrol">
          <ol className="steps">
            <li>
              Scan this code with your authenticator app:
              <img className="qr" src={svgDataUrl(enrollment.qr_svg)} alt="QR code holding the secret below" width={200} height={200} />
            </li>
            <li>
              Or type the secret by hand:{' '}
              <code className="secret" id="totp-secret" data-secret={enrollment.secret}>
                {grouped(enrollment.secret)}
              </code>
            </li>
            <li>Enter the six-digit code the app shows now.</li>
          </ol>
          <form onSubmit={confirm}>
            {!fieldError(error, 'code') && <ErrorAlert error={error} />}
            <Field
              label="Six-digit code"
              name="code"
              inputMode="numeric"
              autoComplete="one-time-code"
              pattern="[0-9]{6}"
              maxLength={6}
              required
              autoFocus
              value={code}
              onChange={(event) => setCode(event.target.value.replace(/\D/g, ''))}
              error={fieldError(error, 'code')}
            />
            <div className="form-actions">
              <button type="submit" className="button button-primary" disabled={busy}>
                Confirm
              </button>
              <button type="button" className="button" onClick={() => setEnrollment(null)}>
                Cancel
              </button>
            </div>
          </form>
        </div>
      )}
    </section>
  );
}
