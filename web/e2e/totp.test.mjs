// Scenario (c): a user enrols a second factor on My account, then signs in with a code.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import {
  DEMO_USERS, TOTP_STEP_SECONDS, api, apiToken, goTo, heading, launchBrowser, openPage, signIn, signOut,
  totpCode, totpStep, unique,
} from './helpers.mjs';

let browser;

before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

/** A code for a later time step than `usedStep`, waiting for it if need be (no code reuse). */
async function freshCode(secret, usedStep) {
  while (totpStep() <= usedStep) await sleep(500);
  return { code: totpCode(secret), step: totpStep() };
}

test('enrol TOTP on My account, then sign in with a code', { timeout: 3 * TOTP_STEP_SECONDS * 1000 }, async () => {
  const username = unique('e2e-totp-');
  const password = `pw-${unique('')}-long`;
  const admin = await apiToken(DEMO_USERS.admin);
  await api('POST', '/users', {
    token: admin,
    body: { username, display_name: 'Tess Totp (e2e)', password, roles: ['clinician'] },
  });

  const page = await openPage(browser);
  await signIn(page, username, password, null);
  await page.getByRole('button', { name: 'Log out' }).waitFor();
  await goTo(page, 'My account');
  await page.getByRole('button', { name: 'Enable second factor' }).click();
  const secretText = await page.locator('#totp-secret').innerText();
  const secret = secretText.replace(/\s/g, '');
  assert.match(secret, /^[A-Z2-7]+=*$/, `secret on screen is not base32: ${secretText}`);
  const qr = page.getByRole('img', { name: /QR code/ });
  assert.match(await qr.getAttribute('src'), /^data:image\/svg\+xml;base64,/);
  assert.ok((await qr.evaluate((img) => img.naturalWidth)) > 0, 'the QR code image did not load');

  const confirmStep = totpStep();
  await page.getByLabel('Six-digit code').fill(totpCode(secret, confirmStep));
  await page.getByRole('button', { name: 'Confirm' }).click();
  await page.getByText('Second factor enabled').waitFor();
  await signOut(page);

  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await heading(page, 'Second factor').waitFor();
  const { code } = await freshCode(secret, confirmStep);
  await page.getByLabel('Six-digit code').fill(code);
  await page.getByLabel('Six-digit code').press('Enter');
  await heading(page, 'Dashboard').waitFor();
  assert.equal(await page.getByTestId('user-name').innerText(), 'Tess Totp (e2e)');
  page.assertNoPageErrors();
});
