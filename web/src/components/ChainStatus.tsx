// The integrity of the audit trail's hash chain, as `GET /audit/verify` reports it.
import { useCallback, useEffect, useState } from 'react';
import { verifyAudit, type AuditVerifyAnswer } from '../api';
import { ErrorAlert } from './Alert';

export function ChainStatus() {
  const [answer, setAnswer] = useState<AuditVerifyAnswer | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const verify = useCallback(async () => {
    setBusy(true);
    setError(null);
    try {
      setAnswer(await verifyAudit());
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  }, []);

  useEffect(() => {
    void verify();
  }, [verify]);

  return (
    <section className="panel chain" aria-labelledby="chain-heading">
      <h2 id="chain-heading">Chain status</h2>
      <ErrorAlert error={error} />
      <div aria-live="polite" data-testid="chain-status">
        {answer === null && error === null && <p>Checking the audit chain…</p>}
        {answer !== null && answer.ok && (
          <p className="chain-ok">
            <span className="status status-active">Intact</span> {answer.events_checked} events and{' '}
            {answer.checkpoints_checked} checkpoints checked.
          </p>
        )}
        {answer !== null && !answer.ok && (
          <div role="alert" className="chain-broken">
            <p>
              <span className="status status-locked">Broken</span>
              {answer.first_bad_sequence !== undefined && answer.first_bad_sequence !== null
                ? ` at sequence ${answer.first_bad_sequence}.`
                : '.'}
            </p>
            {answer.problem && <p>{answer.problem}</p>}
          </div>
        )}
      </div>
      <button type="button" className="button" onClick={() => void verify()} disabled={busy}>
        Verify again
      </button>
    </section>
  );
}
