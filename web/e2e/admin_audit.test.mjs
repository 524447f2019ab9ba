// Scenario (a): an administrator creates a user; an auditor finds the user.create event.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DEMO_USERS, filterAudit, goTo, heading, launchBrowser, openPage, signIn, signOut, unique } from './helpers.mjs';

const DEMO_USER_COUNT = 8;
let browser;

before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

test('admin creates a coder, auditor sees the user.create event', { timeout: 120_000 }, async () => {
  const page = await openPage(browser);
  const username = unique('e2e-coder-');

  await signIn(page, DEMO_USERS.admin);
  const activeCard = page.locator('li.card', { has: page.getByText('Users active', { exact: true }) });
  const active = Number((await activeCard.locator('.card-value').innerText()).replace(/\D/g, ''));
  assert.ok(active >= DEMO_USER_COUNT, `"Users active" shows ${active}, expected at least ${DEMO_USER_COUNT}`);

  await goTo(page, 'Admin');
  const form = page.getByRole('form', { name: 'Create user' });
  await form.getByLabel('Username').fill(username);
  await form.getByLabel('Display name').fill('Casey Coder (e2e)');
  await form.getByLabel('Initial password').fill('e2e-password-0123');
  await form.locator('input[type=checkbox][value="coder"]').check();
  const created = page.waitForResponse(
    (response) => response.url().endsWith('/api/v1/users') && response.request().method() === 'POST',
  );
  await form.getByRole('button', { name: 'Create user' }).click();
  const response = await created;
  assert.equal(response.status(), 201, `POST /users answered ${response.status()}: ${await response.text()}`);
  const user = await response.json();

  const row = page.locator('table tbody tr', { has: page.getByRole('rowheader', { name: username, exact: true }) });
  await row.waitFor();
  assert.match(await row.innerText(), /Coder/);
  assert.match(await row.innerText(), /Active/);
  await signOut(page);

  await signIn(page, DEMO_USERS.auditor);
  await goTo(page, 'Audit');
  await filterAudit(page, { Action: 'user.create' });
  const event = page.locator('tbody tr[data-action="user.create"]').filter({ hasText: user.id });
  await event.first().waitFor();
  const actions = await page.locator('tbody tr[data-action]').evaluateAll((rows) => rows.map((r) => r.dataset.action));
  assert.ok(actions.length > 0 && actions.every((action) => action === 'user.create'), `filter leaked: ${actions}`);
  assert.match(await event.first().innerText(), new RegExp(DEMO_USERS.admin));

  const csvLink = page.getByRole('link', { name: 'Export CSV' });
  const csvHref = await csvLink.getAttribute('href');
  assert.match(csvHref, /^\/api\/v1\/audit\/events\.csv\?(.*&)?action=user\.create(&|$)/);
  const csv = await page.evaluate(async (href) => {
    const response = await fetch(href, { credentials: 'same-origin' });
    return { status: response.status, type: response.headers.get('content-type'), text: await response.text() };
  }, csvHref);
  assert.equal(csv.status, 200, csv.text);
  assert.match(csv.type ?? '', /text\/csv/);
  assert.ok(csv.text.includes(user.id), 'the CSV export lacks the new user.create event');

  await event.first().getByRole('button', { name: /Details/ }).click();
  const details = page.locator(`#audit-details-${await event.first().getAttribute('data-sequence')}`);
  await details.waitFor();
  assert.match(await details.innerText(), /Hash/);

  await signOut(page);
  await heading(page, 'Sign in').waitFor();
  page.assertNoPageErrors();
});
