// create, read, vread, update with version check, history, delete: driven with fhir-kit-client,
// every response checked with the independent R4 validator.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Client } from 'fhir-kit-client';
import {
  assertErrorOutcome,
  assertValidBundle,
  assertValidR4,
  expectHttpError,
  FHIR_BASE,
  fhirClient,
  http,
  sampleObservation,
  samplePatient,
  uniqueName,
} from './helpers.mjs';

test('create Patient and Observation, read them back, all valid R4', async () => {
  const client = fhirClient();
  const family = uniqueName('Crud');
  const sent = samplePatient(family);
  const patient = assertValidR4(await client.create({ resourceType: 'Patient', body: sent }), 'created Patient');
  assert.equal(patient.resourceType, 'Patient');
  assert.match(patient.id, /^[A-Za-z0-9\-.]{1,64}$/, 'id follows the R4 id syntax');
  assert.equal(patient.meta?.versionId, '1');
  assert.ok(patient.meta?.lastUpdated, 'meta.lastUpdated set');
  assert.deepEqual(patient.name, sent.name);
  assert.deepEqual(patient.identifier, sent.identifier);
  assert.equal(patient.birthDate, sent.birthDate);

  const { response } = Client.httpFor(patient);
  assert.equal(response.status, 201);
  const location = response.headers.get('location') ?? '';
  assert.ok(
    location.includes(`Patient/${patient.id}`),
    `Location names the new resource (R4 http.html#create): ${location}`,
  );
  assert.equal(response.headers.get('etag'), 'W/"1"');

  const observation = assertValidR4(
    await client.create({ resourceType: 'Observation', body: sampleObservation(`Patient/${patient.id}`) }),
    'created Observation',
  );
  assert.equal(observation.subject.reference, `Patient/${patient.id}`);
  assert.equal(observation.valueQuantity.value, 72);

  const readPatient = assertValidR4(await client.read({ resourceType: 'Patient', id: patient.id }), 'read Patient');
  assert.deepEqual(readPatient, patient);
  const readObservation = assertValidR4(
    await client.read({ resourceType: 'Observation', id: observation.id }),
    'read Observation',
  );
  assert.deepEqual(readObservation, observation);
  assert.equal(Client.httpFor(readObservation).response.headers.get('etag'), 'W/"1"');

  const v1 = assertValidR4(await client.vread({ resourceType: 'Patient', id: patient.id, version: '1' }), 'vread');
  assert.deepEqual(v1, patient);
});

test('reading an unknown id gives 404 with a valid OperationOutcome', async () => {
  const client = fhirClient();
  const { status, body } = await expectHttpError(
    client.read({ resourceType: 'Patient', id: 'no-such-patient-' + Date.now() }),
    'read unknown',
  );
  assert.equal(status, 404);
  assertErrorOutcome(body, 'read unknown');
});

test('update with If-Match; a stale second update gets 412; history has both versions; delete then read gives 410', async () => {
  const client = fhirClient();
  const family = uniqueName('Upd');
  const created = await client.create({ resourceType: 'Patient', body: samplePatient(family) });
  const id = created.id;

  const changed = { ...created, active: true, telecom: [{ system: 'phone', value: '555-0100', use: 'home' }] };
  delete changed.meta;
  const updated = assertValidR4(
    await client.update({ resourceType: 'Patient', id, body: changed, options: { headers: { 'If-Match': 'W/"1"' } } }),
    'updated Patient',
  );
  assert.equal(updated.meta.versionId, '2');
  assert.equal(updated.active, true);
  assert.equal(Client.httpFor(updated).response.headers.get('etag'), 'W/"2"');

  // A second writer who still holds version 1.
  const stale = { ...changed, active: false };
  const conflict = await expectHttpError(
    client.update({ resourceType: 'Patient', id, body: stale, options: { headers: { 'If-Match': 'W/"1"' } } }),
    'stale update',
  );
  assert.equal(conflict.status, 412, 'stale If-Match gives 412 Precondition Failed');
  assertErrorOutcome(conflict.body, 'stale update');
  const current = await client.read({ resourceType: 'Patient', id });
  assert.equal(current.meta.versionId, '2', 'the stale update changed nothing');
  assert.equal(current.active, true);

  const history = assertValidBundle(await client.history({ resourceType: 'Patient', id }), 'history', 'instance history');
  const versions = history.entry.map((e) => e.resource?.meta?.versionId);
  assert.deepEqual(versions, ['2', '1'], 'history lists both versions, newest first');
  assert.equal(history.entry[1].resource.active, undefined);
  assert.equal(history.entry[0].resource.active, true);
  for (const entry of history.entry) {
    assert.ok(entry.request?.method, 'history entries carry request (bdl-3)');
    assert.ok(entry.response?.status, 'history entries carry response (bdl-4)');
  }
  const v1 = assertValidR4(await client.vread({ resourceType: 'Patient', id, version: '1' }), 'vread 1');
  assert.equal(v1.active, undefined);

  await client.delete({ resourceType: 'Patient', id });
  const gone = await expectHttpError(client.read({ resourceType: 'Patient', id }), 'read after delete');
  assert.equal(gone.status, 410, 'read of a deleted resource gives 410 Gone');
  assertErrorOutcome(gone.body, 'read after delete');

  const afterDelete = assertValidBundle(
    await client.history({ resourceType: 'Patient', id }),
    'history',
    'history after delete',
  );
  assert.equal(afterDelete.entry.length, 3, 'history after delete: delete + 2 versions');
  assert.equal(afterDelete.entry[0].request?.method, 'DELETE');
  assert.equal(afterDelete.entry[0].resource, undefined, 'the delete entry has no resource');

  const search = await client.search({ resourceType: 'Patient', searchParams: { family } });
  assert.equal(search.total ?? search.entry?.length ?? 0, 0, 'a deleted resource is not found by search');
});

test('update without If-Match through the raw HTTP API; an id mismatch is refused', async () => {
  const client = fhirClient();
  const created = await client.create({ resourceType: 'Patient', body: samplePatient(uniqueName('Raw')) });
  const res = await http('PUT', `Patient/${created.id}`, {
    body: { ...samplePatient(created.name[0].family), id: created.id, gender: 'male' },
  });
  assert.equal(res.status, 200);
  assertValidR4(res.body, 'PUT response');
  assert.equal(res.body.meta.versionId, '2');
  // Id in the body must match the URL (R4 http.html#update: 400 otherwise).
  const mismatch = await http('PUT', `Patient/${created.id}`, {
    body: { ...samplePatient('X'), id: 'some-other-id' },
  });
  assert.equal(mismatch.status, 400, `PUT with a different id in the body: ${JSON.stringify(mismatch.body)}`);
  assertErrorOutcome(mismatch.body, 'PUT id mismatch');
});

test('type history: GET [base]/Patient/_history', async () => {
  const client = fhirClient();
  const created = await client.create({ resourceType: 'Patient', body: samplePatient(uniqueName('TypeHist')) });
  const typeHistory = assertValidBundle(await client.history({ resourceType: 'Patient' }), 'history', 'type history');
  assert.ok(typeHistory.entry.some((e) => e.resource?.id === created.id), 'type history includes the new Patient');
});

test('HTTP headers: Last-Modified is an HTTP-date (RFC 7231, FHIR R4 http.html#read)', async () => {
  const created = await fhirClient().create({ resourceType: 'Patient', body: samplePatient(uniqueName('Hdr')) });
  const res = await http('GET', `${FHIR_BASE}/Patient/${created.id}`);
  const lastModified = res.headers.get('last-modified');
  assert.ok(lastModified, 'Last-Modified is sent');
  assert.match(
    lastModified,
    /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/,
    'Last-Modified must be an IMF-fixdate such as "Tue, 25 Nov 2026 01:45:31 GMT"',
  );
  assert.equal(
    Math.floor(new Date(lastModified).getTime() / 1000),
    Math.floor(new Date(created.meta.lastUpdated).getTime() / 1000),
    'Last-Modified matches meta.lastUpdated',
  );
});
