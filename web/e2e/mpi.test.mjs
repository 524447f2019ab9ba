// The master patient index end to end: the registrar registers a patient through the form (a bad
// SSN is refused next to its input by the server), starts registering the same person again under a
// nickname, sees the first record in the search-before-create panel with its score and "why",
// gets the duplicate warning on submit and creates the record anyway. The HIM analyst then finds
// the pair in the duplicate queue, merges it (keeping the newer record's email), finds the merge in
// the history, unmerges it, and both patients are separate, active records again whose charts open.
// Then the report's figures and plots, and a pair deferred with a note and sent on as an overlay.
import assert from 'node:assert/strict';
import { randomBytes, randomInt } from 'node:crypto';
import { after, before, test } from 'node:test';
import { DEMO_USERS, api, apiToken, goTo, heading, launchBrowser, openPage, screenshotPath, signIn } from './helpers.mjs';

/** A capitalised made-up word, letters only (the matcher ignores digits in names). */
function word(length) {
  const letters = [...randomBytes(length)].map((byte) => String.fromCharCode(97 + (byte % 26))).join('');
  return letters.charAt(0).toUpperCase() + letters.slice(1);
}

/** A random SSN the server accepts: area 100–665, group 10–99, serial 1000–9999. */
const ssn = () => `${randomInt(100, 666)}-${randomInt(10, 100)}-${randomInt(1000, 10000)}`;

const pick = (list) => list[randomInt(0, list.length)];
const pad = (value) => String(value).padStart(2, '0');

// Everything that identifies the person is random, so that reruns against the same server do not
// find the people of earlier runs: given names and nicknames from the matcher's nickname table.
const [SEX, GIVEN, NICKNAME] = pick([
  ['female', 'Katherine', 'Kathy'],
  ['female', 'Elizabeth', 'Beth'],
  ['female', 'Margaret', 'Maggie'],
  ['female', 'Susan', 'Sue'],
  ['male', 'Robert', 'Bob'],
  ['male', 'William', 'Bill'],
  ['male', 'James', 'Jim'],
  ['male', 'Thomas', 'Tom'],
]);
const FAMILY = word(10);
const FIRST = {
  given: GIVEN,
  middle: word(6),
  family: FAMILY,
  birthDate: `${randomInt(1930, 2006)}-${pad(randomInt(1, 13))}-${pad(randomInt(1, 29))}`,
  sex: SEX,
  ssn: ssn(),
  line1: `${randomInt(100, 9999)} ${word(8)} St`,
  city: word(9),
  state: 'MA',
  postalCode: String(randomInt(1001, 2792)).padStart(5, '0'),
  phone: `(${randomInt(201, 990)}) ${randomInt(200, 1000)}-${randomInt(1000, 10000)}`,
};
// The same person at a later visit: the nickname, no SSN or middle name to hand, a new email.
const SECOND = { ...FIRST, given: NICKNAME, middle: '', ssn: '', email: `${NICKNAME.toLowerCase()}.${FAMILY.toLowerCase()}@example.org` };

let browser;
const created = {};

before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

const isRegister = (response) => new URL(response.url()).pathname === '/api/v1/patients' && response.request().method() === 'POST';

async function fillPerson(form, person) {
  await form.getByLabel('Given name', { exact: true }).fill(person.given);
  await form.getByLabel('Middle name', { exact: true }).fill(person.middle);
  await form.getByLabel('Family name', { exact: true }).fill(person.family);
  await form.getByLabel('Birth date', { exact: true }).fill(person.birthDate);
  await form.getByLabel('Sex', { exact: true }).selectOption(person.sex);
  await form.getByLabel('SSN', { exact: true }).fill(person.ssn);
  await form.getByLabel('Address line 1', { exact: true }).fill(person.line1);
  await form.getByLabel('City', { exact: true }).fill(person.city);
  await form.getByLabel('State', { exact: true }).fill(person.state);
  await form.getByLabel('Postal code', { exact: true }).fill(person.postalCode);
  await form.getByLabel('Phone', { exact: true }).fill(person.phone);
  if (person.email) await form.getByLabel('Email', { exact: true }).fill(person.email);
}

/** Submits with `button` and returns the server's answer to POST /api/v1/patients. */
async function submitRegistration(page, button) {
  const answered = page.waitForResponse(isRegister);
  await button.click();
  const response = await answered;
  return { status: response.status(), body: await response.json() };
}

test('registrar: register, search before create, duplicate warning, create anyway', { timeout: 120_000 }, async () => {
  const page = await openPage(browser);
  await signIn(page, DEMO_USERS.registrar);
  await goTo(page, 'Registration');
  const form = page.locator('form.registration-form');
  const panel = page.getByTestId('match-panel');

  // The first registration, with a maiden name and insurance; the SSN is one the server refuses.
  await fillPerson(form, { ...FIRST, ssn: '666-12-3456' });
  await form.getByRole('button', { name: 'Add previous name' }).click();
  await form.getByLabel('Previous family name', { exact: true }).fill(word(9));
  await form.getByRole('button', { name: 'Add coverage' }).click();
  await form.getByLabel('Payer', { exact: true }).fill('Aetna');
  await form.getByLabel('Group', { exact: true }).fill('G9');
  await form.getByLabel('Subscriber', { exact: true }).selectOption('self');
  await form.getByLabel('Verification status', { exact: true }).selectOption('verified');
  await form.getByLabel('Verified on', { exact: true }).fill('2026-11-20');

  const refused = await submitRegistration(page, form.getByRole('button', { name: 'Register patient' }));
  assert.equal(refused.status, 400, `an SSN in area 666 was accepted: ${JSON.stringify(refused.body)}`);
  assert.equal(refused.body.error?.field, 'ssn', `the refusal names ${refused.body.error?.field}`);
  const ssnInput = form.getByLabel('SSN', { exact: true });
  await form.locator('.field-invalid').getByRole('alert').waitFor();
  assert.equal(await ssnInput.getAttribute('aria-invalid'), 'true', 'the SSN input is not marked invalid');
  assert.equal(await form.locator('[aria-invalid="true"]').count(), 1, 'the error is shown on more than the SSN');

  // Then the coverage row without its member id: the error lands on that row's input.
  await ssnInput.fill(FIRST.ssn);
  const noMember = await submitRegistration(page, form.getByRole('button', { name: 'Register patient' }));
  assert.equal(noMember.status, 400, `coverage without a member id was accepted: ${JSON.stringify(noMember.body)}`);
  assert.equal(noMember.body.error?.field, 'coverage[0].member_id');
  const memberInput = form.getByLabel('Member id', { exact: true });
  await page.waitForFunction(() => document.activeElement?.getAttribute('aria-invalid') === 'true');
  assert.equal(await memberInput.getAttribute('aria-invalid'), 'true', 'the member id input is not marked invalid');
  assert.equal(await memberInput.evaluate((input) => input === document.activeElement), true, 'the invalid input does not have the focus');
  assert.equal(await ssnInput.getAttribute('aria-invalid'), null, 'the SSN is still marked invalid');
  await memberInput.fill(`W${randomInt(100000, 999999)}`);

  const first = await submitRegistration(page, form.getByRole('button', { name: 'Register patient' }));
  assert.equal(first.status, 201, `the first registration answered ${first.status}: ${JSON.stringify(first.body)}`);
  created.first = first.body.patient;
  assert.ok(created.first?.patient_id && created.first.mrn, `no id or MRN: ${JSON.stringify(first.body)}`);
  // The registrar cannot open charts (no clinical.read): the form says what was registered.
  const registered = page.getByTestId('registered');
  await registered.waitFor();
  assert.match(await registered.innerText(), new RegExp(created.first.mrn));

  // The same person again, under her nickname: the panel shows the first record as she types.
  await fillPerson(form, SECOND);
  const candidate = panel.locator(`[data-testid="candidate"][data-patient-id="${created.first.patient_id}"]`);
  await candidate.waitFor();
  assert.match(await candidate.locator('[data-field="score"]').innerText(), /-?\d+(\.\d)?/);
  assert.match(await candidate.locator('[data-field="mrn"]').innerText(), new RegExp(created.first.mrn));
  assert.match(await candidate.locator('.decision').innerText(), /^(Very likely the same person|Possible match)$/);
  const why = candidate.locator('[data-testid="why"] tbody tr');
  assert.ok((await why.count()) >= 3, `the "why" lists ${await why.count()} fields`);
  assert.ok((await candidate.locator('[data-testid="why"] .weight-for').count()) >= 1, 'no field weighs for the same person');
  const given = await candidate.locator('[data-testid="why"] tbody tr').allInnerTexts();
  assert.ok(given.some((row) => /Family name/.test(row) && /Exact match/.test(row)), `why: ${given.join(' | ')}`);
  await page.screenshot({ path: screenshotPath('mpi-search-before-create.png'), fullPage: true });

  // Submitting anyway: the server warns, and creating needs the explicit "new person".
  const warned = await submitRegistration(page, form.getByRole('button', { name: 'Register patient' }));
  assert.equal(warned.status, 409, `the second registration answered ${warned.status}: ${JSON.stringify(warned.body)}`);
  assert.equal(warned.body.error?.code, 'possible_duplicate');
  const warning = page.getByTestId('duplicate-warning');
  await warning.waitFor();
  await warning.locator(`[data-testid="candidate"][data-patient-id="${created.first.patient_id}"]`).waitFor();
  const anyway = warning.getByRole('button', { name: 'Create new patient anyway' });
  assert.ok(await anyway.isDisabled(), 'creating anyway is possible without saying it is a new person');
  await warning.getByLabel('This is a new person — create anyway').check();
  const second = await submitRegistration(page, anyway);
  assert.equal(second.status, 201, `creating anyway answered ${second.status}: ${JSON.stringify(second.body)}`);
  created.second = second.body.patient;
  assert.notEqual(created.second.patient_id, created.first.patient_id);
  await page.waitForFunction((mrn) => document.querySelector('[data-testid="registered"]')?.textContent?.includes(mrn), created.second.mrn);
  assert.equal(await page.getByTestId('duplicate-warning').count(), 0, 'the warning stays after creating');
  page.assertNoPageErrors();
});

/** Shows the queue's pairs of `status` and waits for the server's answer. */
async function showQueue(page, status) {
  const select = page.getByLabel('Status', { exact: true });
  if ((await select.inputValue()) === status) return;
  const answered = page.waitForResponse((response) => {
    const url = new URL(response.url());
    return url.pathname === '/api/v1/mpi/queue' && url.searchParams.get('status') === status;
  });
  await select.selectOption(status);
  assert.equal((await answered).status(), 200);
}

/** The queue row of the test's pair (with `status`), loading more pages until it shows. */
async function findPairRow(page, status = 'open', pair = created) {
  const row = page.locator(
    `table.queue-table tbody tr[data-status="${status}"]:has([data-patient-id="${pair.first.patient_id}"]):has([data-patient-id="${pair.second.patient_id}"])`,
  );
  await page.waitForFunction(() => !/Loading/.test(document.querySelector('[data-testid="queue-count"]')?.textContent ?? 'Loading'));
  for (let pages = 0; pages < 40 && (await row.count()) === 0; pages += 1) {
    const more = page.getByRole('button', { name: 'Load more' });
    if ((await more.count()) === 0) break;
    const rows = await page.locator('table.queue-table tbody tr').count();
    await more.click();
    await page.waitForFunction((before) => document.querySelectorAll('table.queue-table tbody tr').length > before, rows);
  }
  assert.equal(await row.count(), 1, `the pair is not in the duplicate queue under ${status}`);
  return row;
}

test('analyst: find the pair, merge it, see it in the history, unmerge it', { timeout: 150_000 }, async () => {
  assert.ok(created.first && created.second, 'the registrar test did not create both patients');
  const page = await openPage(browser);
  await signIn(page, DEMO_USERS.analyst);
  await goTo(page, 'Duplicate queue');
  assert.equal(await page.getByLabel('Status', { exact: true }).inputValue(), 'open');
  const row = await findPairRow(page);
  assert.match(await row.locator('td.number').first().innerText(), /\d/);
  const order = await row.locator('.pair-patient').evaluateAll((cells) => cells.map((cell) => cell.getAttribute('data-patient-id')));
  const firstSide = order[0] === created.first.patient_id ? 'A' : 'B';
  const secondSide = firstSide === 'A' ? 'B' : 'A';
  const pairId = await row.getAttribute('data-pair-id');
  await row.getByRole('link', { name: /^Review/ }).click();
  await heading(page, 'Review possible duplicate').waitFor();
  assert.equal(new URL(page.url()).hash, `#/duplicates/${pairId}`);
  assert.equal(await page.locator('[data-field="status"]').getAttribute('data-status'), 'open');
  assert.ok((await page.locator('[data-testid="why"] tbody tr').count()) >= 3, 'the pair has no explanation');

  // The first record survives; the second one's email (the first has none) is kept.
  await page.getByRole('radio', { name: new RegExp(`^Patient ${firstSide}: `) }).check();
  await page.getByRole('radio', { name: new RegExp(`Keep patient ${secondSide}'s email`) }).check();
  await page.getByRole('button', { name: 'Merge…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Merge these records?' });
  await dialog.waitFor();
  assert.match(await dialog.innerText(), /Kept from the retired record: email/);
  const merged = page.waitForResponse((response) => new URL(response.url()).pathname === '/api/v1/mpi/merge');
  await dialog.getByRole('button', { name: 'Merge records' }).click();
  const mergeResponse = await merged;
  const mergeBody = await mergeResponse.json();
  assert.equal(mergeResponse.status(), 200, `merge answered ${mergeResponse.status()}: ${JSON.stringify(mergeBody)}`);
  assert.equal(mergeBody.merge.survivor, created.first.patient_id);
  assert.equal(mergeBody.merge.duplicate, created.second.patient_id);
  await page.getByText(/^Merged .* resources? moved\./).waitFor();
  await page.locator('[data-field="status"][data-status="merged"]').waitFor();

  const token = await apiToken(DEMO_USERS.analyst);
  const survivor = await api('GET', `/patients/${created.first.patient_id}`, { token });
  const retired = await api('GET', `/patients/${created.second.patient_id}`, { token });
  assert.equal(survivor.email, SECOND.email, `the survivor did not keep the duplicate's email: ${JSON.stringify(survivor)}`);
  assert.equal(retired.active, false, `the duplicate is still active: ${JSON.stringify(retired)}`);
  assert.equal(retired.replaced_by, created.first.patient_id);

  // The queue lists the pair under "Merged" now, and no longer under "Open".
  await goTo(page, 'Duplicate queue');
  await showQueue(page, 'merged');
  await findPairRow(page, 'merged');

  // The merge is in the history; unmerging it (after confirming) restores both records.
  await goTo(page, 'Merge history');
  const mergeRow = page.locator(`table.merge-table tbody tr[data-merge-id="${mergeBody.merge.merge_id}"]`);
  await mergeRow.filter({ hasText: FAMILY }).waitFor();
  assert.equal(await mergeRow.getAttribute('data-status'), 'merged');
  await mergeRow.getByRole('button', { name: /^Unmerge/ }).click();
  const confirm = page.getByRole('dialog', { name: 'Unmerge these records?' });
  await confirm.waitFor();
  await confirm.getByRole('button', { name: 'Unmerge', exact: true }).click();
  await page.locator(`table.merge-table tbody tr[data-merge-id="${mergeBody.merge.merge_id}"][data-status="unmerged"]`).waitFor();
  await page.getByText(/^Unmerged: .* are separate records again\./).waitFor();

  for (const patient of [created.first, created.second]) {
    const summary = await api('GET', `/patients/${patient.patient_id}`, { token });
    assert.equal(summary.active, true, `not active after unmerge: ${JSON.stringify(summary)}`);
    assert.equal(summary.replaced_by ?? null, null, `still replaced after unmerge: ${JSON.stringify(summary)}`);
  }
  const restored = await api('GET', `/patients/${created.first.patient_id}`, { token });
  assert.notEqual(restored.email, SECOND.email, 'unmerge left the merged email on the survivor');

  // Both charts open again.
  for (const [patient, given] of [[created.first, GIVEN], [created.second, NICKNAME]]) {
    await page.goto(`/#/patients/${patient.patient_id}`);
    await page.getByRole('heading', { level: 1, name: new RegExp(`${given}.*${FAMILY}`) }).waitFor();
    await page.getByTestId('demographics').waitFor();
  }

  // The pair itself is no longer merged: it is back in the open queue for a fresh decision.
  await page.goto(`/#/duplicates/${pairId}`);
  await heading(page, 'Review possible duplicate').waitFor();
  const status = await page.locator('[data-field="status"]').getAttribute('data-status');
  assert.notEqual(status, 'merged', 'the pair still says merged after the unmerge');
  await page.getByRole('link', { name: '← Duplicate queue' }).click();
  await heading(page, 'Duplicate queue').waitFor();
  await showQueue(page, 'open');
  await findPairRow(page, 'open');
  page.assertNoPageErrors();
});

test('analyst: the duplicate-rate report shows the figures and the monthly plot', { timeout: 60_000 }, async () => {
  const page = await openPage(browser);
  await signIn(page, DEMO_USERS.analyst);
  await goTo(page, 'Duplicate report');
  for (const key of ['registry_size', 'active_patients', 'duplicates_open', 'duplicate_rate']) {
    await page.locator(`.card[data-count="${key}"]`).waitFor();
  }
  assert.match(await page.locator('.card[data-count="duplicate_rate"] .card-value').innerText(), /%$/);
  const plot = page.locator('figure[data-plot="registrations"]');
  await plot.waitFor();
  assert.ok((await plot.locator('circle.plot-point').count()) >= 1, 'no month is plotted');
  await page.locator('figure[data-plot="creation-rate"]').waitFor();
  const month = new Date().toISOString().slice(0, 7);
  const thisMonth = page.locator(`table.report-table tbody tr[data-month="${month}"]`);
  await thisMonth.waitFor();
  assert.match(await thisMonth.innerText(), /[1-9]/, 'this month shows no registrations');
  await page.screenshot({ path: screenshotPath('mpi-report.png'), fullPage: true });
  page.assertNoPageErrors();
});

test('analyst: defer a pair with a note, then send it to the privacy officer as an overlay', { timeout: 90_000 }, async () => {
  // A fresh pair through the API: a patient, and the same person registered again anyway.
  const token = await apiToken(DEMO_USERS.registrar);
  const family = word(10);
  const person = {
    name: { given: 'Susan', family },
    birth_date: `19${randomInt(40, 99)}-0${randomInt(1, 10)}-1${randomInt(0, 10)}`,
    sex: 'female',
    address: { line: [`${randomInt(10, 999)} ${word(7)} Ave`], city: word(8), state: 'MA', postal_code: '01060' },
  };
  const a = (await api('POST', '/patients', { token, body: person })).patient;
  const b = (await api('POST', '/patients', { token, body: { ...person, name: { given: 'Sue', family }, confirm_new_person: true } })).patient;
  const pair = { first: a, second: b };

  const page = await openPage(browser);
  await signIn(page, DEMO_USERS.analyst);
  await goTo(page, 'Duplicate queue');
  const row = await findPairRow(page, 'open', pair);
  await row.getByRole('link', { name: /^Review/ }).click();
  await heading(page, 'Review possible duplicate').waitFor();

  await page.getByLabel('Note (optional)').fill('Waiting for a copy of her ID card');
  await page.getByRole('button', { name: 'Defer' }).click();
  await page.locator('[data-field="status"][data-status="deferred"]').waitFor();
  await page.getByText('Waiting for a copy of her ID card').waitFor();

  await page.getByRole('button', { name: 'Overlay…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Report an overlay?' });
  await dialog.waitFor();
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  assert.equal(await page.getByRole('dialog').count(), 0, 'Cancel left the dialog open');
  assert.equal(await page.locator('[data-field="status"]').getAttribute('data-status'), 'deferred', 'Cancel changed the pair');
  await page.getByRole('button', { name: 'Overlay…' }).click();
  await page.getByRole('dialog', { name: 'Report an overlay?' }).getByRole('button', { name: 'Send to privacy officer' }).click();
  await page.locator('[data-field="status"][data-status="overlay"]').waitFor();
  assert.equal(await page.getByRole('button', { name: 'Merge…' }).count(), 0, 'an overlay can still be merged here');

  await page.getByRole('link', { name: '← Duplicate queue' }).click();
  await heading(page, 'Duplicate queue').waitFor();
  await showQueue(page, 'overlay');
  await findPairRow(page, 'overlay', pair);
  page.assertNoPageErrors();
});
