// Invalid resources are refused with 400/422 and an OperationOutcome whose `expression` names the
// element; nothing is stored from a refused request. Also `$validate`.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  assertErrorOutcome,
  assertOutcomeNames,
  assertValidR4,
  expectHttpError,
  fhirClient,
  http,
  sampleObservation,
  samplePatient,
  uniqueName,
} from './helpers.mjs';

async function countByFamily(client, family) {
  const bundle = await client.search({ resourceType: 'Patient', searchParams: { family, _summary: 'count' } });
  return bundle.total;
}

test('invalid resources are rejected with 400/422 and an OperationOutcome naming the element', async () => {
  const client = fhirClient();
  const patient = await client.create({ resourceType: 'Patient', body: samplePatient(uniqueName('Ref')) });
  const cases = [
    ['Patient', { birthDate: '1990-13-45' }, 'Patient.birthDate', 'bad date'],
    ['Patient', { birthDate: '2023-02-30' }, 'Patient.birthDate', 'impossible calendar date'],
    ['Patient', { gender: 'x' }, 'Patient.gender', 'code outside the required value set'],
    ['Patient', { foo: 1 }, 'Patient.foo', 'unknown element'],
    ['Patient', { active: 'yes' }, 'Patient.active', 'string for a boolean'],
    ['Patient', { name: { family: 'NotAnArray' } }, 'Patient.name', 'object for a repeating element'],
    ['Patient', { identifier: [{ system: 'urn:x', value: 'v', period: { start: 'yesterday' } }] }, 'Patient.identifier', 'bad dateTime deep inside'],
  ];
  for (const [resourceType, change, element, what] of cases) {
    const family = uniqueName('Invalid');
    const body = { ...samplePatient(family), ...change };
    const { status, body: outcome } = await expectHttpError(client.create({ resourceType, body }), what);
    assert.ok(status === 400 || status === 422, `${what}: status ${status}, expected 400 or 422`);
    assertOutcomeNames(outcome, element, what);
    assert.equal(await countByFamily(client, family), 0, `${what}: nothing stored`);
  }

  const observationCases = [
    [{ status: undefined }, 'Observation.status', 'missing required status'],
    [{ code: undefined }, 'Observation.code', 'missing required code'],
    [{ status: 'done' }, 'Observation.status', 'status outside the required value set'],
    [{ valueQuantity: { value: 'seventy' } }, 'Observation.valueQuantity', 'string for a decimal'],
    [{ subject: { reference: 'this is not a reference' } }, 'Observation.subject', 'bad reference syntax'],
  ];
  for (const [change, element, what] of observationCases) {
    const body = sampleObservation(`Patient/${patient.id}`, change);
    for (const [k, v] of Object.entries(change)) if (v === undefined) delete body[k];
    const { status, body: outcome } = await expectHttpError(client.create({ resourceType: 'Observation', body }), what);
    assert.ok(status === 400 || status === 422, `${what}: status ${status}, expected 400 or 422`);
    assertOutcomeNames(outcome, element, what);
  }
  const observations = await client.search({
    resourceType: 'Observation',
    searchParams: { subject: `Patient/${patient.id}`, _summary: 'count' },
  });
  assert.equal(observations.total, 0, 'no invalid Observation was stored');
});

test('malformed requests: wrong resourceType for the endpoint, body that is not JSON', async () => {
  const wrongType = await http('POST', 'Patient', { body: sampleObservation('Patient/x') });
  assert.equal(wrongType.status, 400, `Observation posted to /Patient: ${JSON.stringify(wrongType.body)}`);
  assertErrorOutcome(wrongType.body, 'wrong resourceType');

  const notJson = await http('POST', 'Patient', { body: '{"resourceType": "Patient", ' });
  assert.equal(notJson.status, 400, 'truncated JSON');
  assertErrorOutcome(notJson.body, 'truncated JSON');

  const unknownType = await http('GET', 'NoSuchType/123');
  assert.ok(unknownType.status === 404 || unknownType.status === 400, `unknown type: ${unknownType.status}`);
  assertErrorOutcome(unknownType.body, 'unknown type');
});

test('an invalid update is refused and leaves the stored version alone', async () => {
  const client = fhirClient();
  const created = await client.create({ resourceType: 'Patient', body: samplePatient(uniqueName('InvUpd')) });
  const bad = { ...created, birthDate: 'not-a-date' };
  delete bad.meta;
  const { status, body } = await expectHttpError(
    client.update({ resourceType: 'Patient', id: created.id, body: bad }),
    'invalid update',
  );
  assert.ok(status === 400 || status === 422, `status ${status}`);
  assertOutcomeNames(body, 'Patient.birthDate', 'invalid update');
  const current = await client.read({ resourceType: 'Patient', id: created.id });
  assert.equal(current.meta.versionId, '1');
  assert.equal(current.birthDate, created.birthDate);
});

test('$validate checks a resource without storing it', async () => {
  const client = fhirClient();
  const family = uniqueName('Validate');

  const ok = await client.operation({ name: 'validate', resourceType: 'Patient', input: samplePatient(family) });
  assert.equal(ok.resourceType, 'OperationOutcome');
  assertValidR4(ok, '$validate outcome (valid input)');
  assert.deepEqual(
    ok.issue.filter((i) => i.severity === 'error' || i.severity === 'fatal'),
    [],
    'a valid Patient has no error issues',
  );

  // The invalid input, once as the resource itself and once wrapped in Parameters.
  const invalid = { ...samplePatient(family), gender: 'x', birthDate: '1990-13-01' };
  const inputs = [
    ['bare resource', invalid],
    ['Parameters', { resourceType: 'Parameters', parameter: [{ name: 'resource', resource: invalid }] }],
  ];
  for (const [what, input] of inputs) {
    let outcome;
    try {
      outcome = await client.operation({ name: 'validate', resourceType: 'Patient', input });
    } catch (err) {
      // R4 lets $validate answer an invalid resource with 200 + errors or with a 4xx.
      assert.ok(err?.response?.status >= 400 && err.response.status < 500, `${what}: ${err}`);
      outcome = err.response.data;
    }
    assertOutcomeNames(outcome, 'Patient.gender', `$validate ${what}`);
    assertOutcomeNames(outcome, 'Patient.birthDate', `$validate ${what}`);
  }
  assert.equal(await countByFamily(client, family), 0, '$validate stores nothing');
});
