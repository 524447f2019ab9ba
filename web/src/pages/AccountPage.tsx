// My account: who I am, my password and my second factor.
import { Notice } from '../components/Alert';
import { ChangePasswordForm } from '../components/ChangePasswordForm';
import { TotpSetup } from '../components/TotpSetup';
import { roleLabel } from '../format';
import { useSession } from '../session';
import { usePageTitle } from '../usePageTitle';

export function AccountPage() {
  const { me, refresh, accountNotice } = useSession();
  const heading = usePageTitle('My account');
  return (
    <>
      <h1 ref={heading} tabIndex={-1}>
        My account
      </h1>
      {accountNotice && <Notice tone="warning">{accountNotice}</Notice>}
      <section className="panel" aria-labelledby="profile-heading">
        <h2 id="profile-heading">Profile</h2>
        <dl className="details">
          <dt>Username</dt>
          <dd>{me.username}</dd>
          <dt>Name</dt>
          <dd>{me.display_name || '—'}</dd>
          <dt>Roles</dt>
          <dd>{me.roles.map(roleLabel).join(', ') || '—'}</dd>
          <dt>Idle timeout</dt>
          <dd>{Math.round(me.idle_timeout_seconds / 60)} minutes</dd>
        </dl>
      </section>
      <div className="columns">
        <ChangePasswordForm onChanged={() => void refresh()} />
        <TotpSetup enabled={me.totp_enabled} required={me.totp_required} onConfirmed={refresh} />
      </div>
    </>
  );
}
