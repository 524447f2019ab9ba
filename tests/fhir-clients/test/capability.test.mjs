import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CapabilityTool } from 'fhir-kit-client';
import { assertValidR4, fhirClient, http } from './helpers.mjs';

test('GET /fhir/metadata is an R4 (4.0.1) CapabilityStatement that validates', async () => {
  const client = fhirClient();
  const cs = await client.capabilityStatement();
  assert.equal(cs.resourceType, 'CapabilityStatement');
  assert.equal(cs.fhirVersion, '4.0.1');
  assert.ok(cs.format.some((f) => /json/.test(f)), 'format lists JSON');
  const rest = cs.rest?.find((r) => r.mode === 'server');
  assert.ok(rest, 'rest[mode=server]');
  const patient = rest.resource.find((r) => r.type === 'Patient');
  assert.ok(patient, 'Patient is listed');
  const interactions = patient.interaction.map((i) => i.code);
  for (const code of ['read', 'vread', 'create', 'update', 'delete', 'search-type', 'history-instance']) {
    assert.ok(interactions.includes(code), `Patient interaction ${code} is listed (${interactions})`);
  }
  assert.ok(patient.searchParam.some((p) => p.name === 'birthdate' && p.type === 'date'), 'Patient birthdate search param');
  assertValidR4(cs, 'CapabilityStatement');
});

test('metadata answers with Content-Type application/fhir+json', async () => {
  const res = await http('GET', 'metadata');
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^application\/fhir\+json/);
  assert.equal(res.body.resourceType, 'CapabilityStatement');
  assert.equal(res.body.fhirVersion, '4.0.1');
});

test('the CapabilityStatement lists the interactions the server performs', async () => {
  const cs = await fhirClient().capabilityStatement();
  const tool = new CapabilityTool(cs);
  assert.ok(tool.serverCan('transaction'), 'rest.interaction lists transaction');
  assert.ok(tool.serverCan('batch'), 'rest.interaction lists batch');
  for (const type of ['Patient', 'Encounter', 'Observation']) {
    for (const code of ['read', 'vread', 'create', 'update', 'patch', 'delete', 'search-type', 'history-instance']) {
      assert.ok(tool.resourceCan(type, code), `${type} interaction ${code}`);
    }
    assert.equal(tool.capabilityContents({ resourceType: type, capabilityType: 'conditionalCreate' }), true, `${type} conditionalCreate`);
  }
  assert.ok(tool.resourceSearch('Observation', 'patient'), 'Observation search param patient');
  assert.ok(tool.resourceSearch('Observation', 'code'), 'Observation search param code');
});
