// Scenario (d): the navigation follows the user's permissions.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DEMO_USERS, heading, launchBrowser, openPage, signIn } from './helpers.mjs';

let browser;

before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

async function navEntries(page) {
  const nav = page.getByRole('navigation', { name: 'Main' });
  await nav.getByRole('link', { name: 'Dashboard', exact: true }).waitFor();
  const links = await nav.getByRole('link').allInnerTexts();
  const unavailable = await nav.locator('[aria-disabled="true"]').allInnerTexts();
  return { nav, links: links.map((text) => text.trim()), unavailable };
}

test('coder sees neither Admin nor Audit', { timeout: 60_000 }, async () => {
  const page = await openPage(browser);
  await signIn(page, DEMO_USERS.coder);
  const { nav, links, unavailable } = await navEntries(page);
  assert.ok(!links.includes('Admin'), `coder has an Admin link: ${links}`);
  assert.ok(!links.includes('Audit'), `coder has an Audit link: ${links}`);
  assert.equal(await nav.getByText('Admin', { exact: true }).count(), 0);
  assert.equal(await nav.getByText('Audit', { exact: true }).count(), 0);
  assert.ok(links.includes('Dashboard') && links.includes('My account'), `links: ${links}`);
  assert.ok(unavailable.some((text) => /^Coding/.test(text) && /coming soon/i.test(text)), `unavailable: ${unavailable}`);

  await page.goto('/#/admin');
  await heading(page, 'No access').waitFor();
  page.assertNoPageErrors();
});

test('admin sees Admin, auditor sees Audit but not Admin', { timeout: 60_000 }, async () => {
  const adminPage = await openPage(browser);
  await signIn(adminPage, DEMO_USERS.admin);
  assert.ok((await navEntries(adminPage)).links.includes('Admin'));

  const auditorPage = await openPage(browser);
  await signIn(auditorPage, DEMO_USERS.auditor);
  const { links } = await navEntries(auditorPage);
  assert.ok(links.includes('Audit'), `auditor links: ${links}`);
  assert.ok(!links.includes('Admin'), `auditor links: ${links}`);
});
