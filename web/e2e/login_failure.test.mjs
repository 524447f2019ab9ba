// Scenario (b): a wrong password keeps the user on the login page with the server's message,
// and the auditor sees the auth.login_failed event for that username.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DEMO_USERS, filterAudit, goTo, heading, launchBrowser, openPage, signIn, signOut } from './helpers.mjs';

let browser;

before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

test('wrong password shows the error and is audited', { timeout: 120_000 }, async () => {
  const page = await openPage(browser);
  const target = DEMO_USERS.registrar;

  await heading(page, 'Sign in').waitFor();
  await page.getByLabel('Username').fill(target);
  await page.getByLabel('Password').fill('not-the-password');
  const answered = page.waitForResponse((response) => response.url().endsWith('/api/v1/auth/login'));
  await page.getByRole('button', { name: 'Sign in' }).click();
  const response = await answered;
  assert.equal(response.status(), 401);
  const body = await response.json();
  assert.equal(body.error.code, 'invalid_credentials');

  const alert = page.getByRole('alert');
  await alert.waitFor();
  assert.equal((await alert.innerText()).trim(), body.error.message);
  await heading(page, 'Sign in').waitFor();
  assert.equal(await page.getByLabel('Username').inputValue(), target);
  assert.equal(await page.getByRole('button', { name: 'Log out' }).count(), 0);

  await signIn(page, DEMO_USERS.auditor);
  await goTo(page, 'Audit');
  await filterAudit(page, { Action: 'auth.login_failed' });
  await page.locator('tbody tr[data-action="auth.login_failed"]').filter({ hasText: target }).first().waitFor();

  await signOut(page);
  page.assertNoPageErrors();
});
