// The patient chart: a clinician finds a patient created through the FHIR API by name, opens the
// chart and sees the demographics, the encounter, the problem and the heart-rate plot; and a role
// without clinical.read gets no working Patients link.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  BASE_URL,
  DEMO_PASSWORD,
  DEMO_USERS,
  DESKTOP,
  TABLET,
  heading,
  launchBrowser,
  openPage,
  screenshotPath,
  signIn,
  unique,
} from './helpers.mjs';

const CLINICIAN = process.env.CUSTOS_DEMO_CLINICIAN ?? 'clinician';

/** Calls the FHIR API as `token`; throws on a non-2xx answer with the OperationOutcome. */
async function fhir(method, path, token, body) {
  const headers = { Accept: 'application/fhir+json', Authorization: `Bearer ${token}` };
  if (body !== undefined) headers['Content-Type'] = 'application/fhir+json';
  const response = await fetch(`${BASE_URL}/fhir${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} /fhir${path} answered ${response.status}: ${text}`);
  return text === '' ? undefined : JSON.parse(text);
}

async function loginToken(username) {
  const response = await fetch(`${BASE_URL}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify({ username, password: DEMO_PASSWORD }),
  });
  const answer = await response.json();
  assert.ok(response.ok && answer.token, `login of ${username} failed: ${JSON.stringify(answer)}`);
  return answer.token;
}

const HEART_RATES = [
  ['2021-01-15T09:00:00Z', 72],
  ['2021-06-02T10:30:00Z', 80],
  ['2022-02-20T08:15:00Z', 76],
  ['2022-11-11T14:00:00Z', 88],
  ['2023-05-05T11:45:00Z', 70],
];

let browser;
let fixture;

before(async () => {
  browser = await launchBrowser();
  const token = await loginToken(CLINICIAN);
  const family = unique('Chartson');
  const mrn = unique('MRN-');
  const patient = await fhir('POST', '/Patient', token, {
    resourceType: 'Patient',
    name: [{ use: 'official', family, given: ['Harriet', 'Q'] }],
    gender: 'female',
    birthDate: '1961-07-14',
    identifier: [
      {
        system: 'urn:custos:e2e:mrn',
        value: mrn,
        type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MR' }], text: 'Medical Record Number' },
      },
    ],
    telecom: [{ system: 'phone', value: '555-010-4477', use: 'mobile' }],
    address: [{ line: ['12 Orchard Lane'], city: 'Springfield', state: 'MA', postalCode: '01101', country: 'US' }],
  });
  assert.ok(patient.id, `the server gave the new patient no id: ${JSON.stringify(patient)}`);
  const subject = { reference: `Patient/${patient.id}` };

  const encounter = await fhir('POST', '/Encounter', token, {
    resourceType: 'Encounter',
    status: 'finished',
    class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' },
    type: [{ coding: [{ system: 'http://snomed.info/sct', code: '185349003' }], text: 'Annual wellness visit' }],
    subject,
    period: { start: '2023-05-05T11:30:00Z', end: '2023-05-05T12:10:00Z' },
    reasonCode: [{ text: 'Palpitations on exertion' }],
    serviceProvider: { display: 'Springfield Family Practice' },
  });
  await fhir('POST', '/Condition', token, {
    resourceType: 'Condition',
    clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] },
    verificationStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code: 'confirmed' }] },
    code: { coding: [{ system: 'http://snomed.info/sct', code: '49436004' }], text: 'Atrial fibrillation' },
    subject,
    encounter: { reference: `Encounter/${encounter.id}` },
    onsetDateTime: '2022-11-11',
  });
  for (const [when, value] of HEART_RATES) {
    await fhir('POST', '/Observation', token, {
      resourceType: 'Observation',
      status: 'final',
      category: [
        { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] },
      ],
      code: { coding: [{ system: 'http://loinc.org', code: '8867-4', display: 'Heart rate' }], text: 'Heart rate' },
      subject,
      effectiveDateTime: when,
      valueQuantity: { value, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
    });
  }
  fixture = { id: patient.id, family, mrn };
});

after(async () => {
  await browser?.close();
});

/** Waits until the results are the one row of the test's patient (not the list shown before). */
async function waitForOnlyResult(page) {
  await page.waitForFunction((id) => {
    const rows = document.querySelectorAll('table.patient-table tbody tr');
    return rows.length === 1 && rows[0].getAttribute('data-patient-id') === id;
  }, fixture.id);
  return page.locator('table.patient-table tbody tr').first();
}

async function openChartBySearch(page) {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Patients', exact: true }).click();
  await heading(page, 'Patients').waitFor();
  const search = page.getByRole('search', { name: 'Patients' });
  await search.getByLabel('Name', { exact: true }).fill(fixture.family);
  await search.getByRole('button', { name: 'Search' }).click();
  const row = await waitForOnlyResult(page);
  assert.match(await page.getByTestId('patient-count').innerText(), /Showing 1–1 of 1 patient\./);
  assert.match(await row.innerText(), new RegExp(fixture.mrn));
  assert.match(await row.innerText(), /Springfield/);
  await row.getByRole('link', { name: `${fixture.family}, Harriet Q` }).click();
  await heading(page, `Harriet Q ${fixture.family}`).waitFor();
  assert.equal(new URL(page.url()).hash, `#/patients/${fixture.id}`);
}

test('clinician finds a patient and reads the chart', { timeout: 90_000 }, async () => {
  const page = await openPage(browser);
  await signIn(page, CLINICIAN);
  await openChartBySearch(page);

  const demographics = page.getByTestId('demographics');
  assert.match(await demographics.locator('[data-field="birth-date"]').innerText(), /1961/);
  assert.equal(await demographics.locator('[data-field="sex"]').innerText(), 'Female');
  assert.match(await demographics.locator('[data-field="address"]').innerText(), /12 Orchard Lane, Springfield, MA 01101/);
  assert.match(await demographics.locator('[data-field="phone"]').innerText(), /555-010-4477/);
  const identifiers = await demographics.locator('[data-field="identifiers"]').innerText();
  assert.match(identifiers, /MRN/);
  assert.match(identifiers, new RegExp(fixture.mrn));

  const encounters = page.locator('[data-section="encounters"]');
  await encounters.locator('.timeline-item').first().waitFor();
  assert.equal(await encounters.locator('.timeline-item').count(), 1);
  const encounterText = await encounters.locator('.timeline-item').innerText();
  for (const expected of [/Annual wellness visit/, /Ambulatory/, /Palpitations on exertion/, /Springfield Family Practice/]) {
    assert.match(encounterText, expected);
  }

  const problems = page.locator('[data-section="problems"]');
  await problems.locator('tbody tr').first().waitFor();
  const problemRow = problems.locator('tbody tr', { hasText: 'Atrial fibrillation' });
  assert.equal(await problemRow.getAttribute('data-status'), 'active');
  assert.match(await problemRow.innerText(), /Active/);

  const plot = page.locator('[data-section="vital-signs"] figure[data-plot="heart-rate"]');
  await plot.waitFor();
  assert.equal(await plot.locator('circle.plot-point').count(), HEART_RATES.length, 'heart-rate points drawn');
  assert.equal(await plot.locator('path').count(), 1, 'one line joins the heart-rate points');
  const label = await plot.locator('svg[role="img"]').getAttribute('aria-label');
  assert.match(label, /Heart rate: 5 values/);
  assert.match(label, /latest 70/);
  assert.equal(await plot.locator('table tbody tr').count(), HEART_RATES.length, 'the accessible table lists every value');

  await page.locator('[data-section="documents"] .empty-state').waitFor();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the chart scrolls sideways by ${overflow} px`);
  await page.screenshot({ path: screenshotPath('patient-chart-desktop.png'), fullPage: true });

  // Back to the list: the search is still there.
  await page.getByRole('link', { name: '← Patients' }).click();
  await heading(page, 'Patients').waitFor();
  assert.equal(await page.getByLabel('Name', { exact: true }).inputValue(), fixture.family);
  await page.locator('table.patient-table tbody tr').first().waitFor();
  page.assertNoPageErrors();
});

test('the patient search works with the keyboard, and the chart holds at 768 px', { timeout: 90_000 }, async () => {
  const page = await openPage(browser, TABLET);
  await signIn(page, CLINICIAN);
  await page.goto('/#/patients');
  await heading(page, 'Patients').waitFor();
  await page.getByLabel('Identifier', { exact: true }).focus();
  await page.keyboard.type(fixture.mrn);
  await page.keyboard.press('Enter');
  const link = (await waitForOnlyResult(page)).getByRole('link');
  await link.focus();
  await page.keyboard.press('Enter');
  await heading(page, `Harriet Q ${fixture.family}`).waitFor();
  await page.locator('figure[data-plot="heart-rate"] circle.plot-point').first().waitFor();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `tablet: the chart scrolls sideways by ${overflow} px`);
  await page.screenshot({ path: screenshotPath('patient-chart-tablet.png'), fullPage: true });
  page.assertNoPageErrors();
});

test('a birth date that is not a date is refused next to its field', { timeout: 60_000 }, async () => {
  const page = await openPage(browser, DESKTOP);
  await signIn(page, CLINICIAN);
  await page.goto('/#/patients');
  await heading(page, 'Patients').waitFor();
  await page.getByLabel('Birth date', { exact: true }).fill('yesterday');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.locator('.field-invalid').getByRole('alert').waitFor();
  assert.equal(await page.getByLabel('Birth date', { exact: true }).getAttribute('aria-invalid'), 'true');
  page.assertNoPageErrors();
});

test('a role without clinical.read gets no working Patients link', { timeout: 60_000 }, async () => {
  const page = await openPage(browser);
  await signIn(page, DEMO_USERS.registrar);
  const nav = page.getByRole('navigation', { name: 'Main' });
  await nav.getByRole('link', { name: 'Dashboard', exact: true }).waitFor();
  assert.equal(await nav.getByRole('link', { name: 'Patients' }).count(), 0, 'registrar has a Patients link');
  const unavailable = await nav.locator('[aria-disabled="true"]').allInnerTexts();
  assert.ok(unavailable.some((text) => /^Patients/.test(text) && /coming soon/i.test(text)), `unavailable: ${unavailable}`);

  await page.goto(`/#/patients/${fixture.id}`);
  await heading(page, 'No access').waitFor();
  assert.equal(await page.getByTestId('demographics').count(), 0);
  await page.goto('/#/patients');
  await heading(page, 'No access').waitFor();
  page.assertNoPageErrors();
});
