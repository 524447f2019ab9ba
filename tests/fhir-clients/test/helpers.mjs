// Shared set-up for the FHIR client tests: the fhir-kit-client instance pointed at the server
// that run.sh started, a raw fetch for checks the client hides (status codes, headers), and
// assertions that run the independent R4 validator over whatever the server returned.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Client } from 'fhir-kit-client';
import { formatIssues, r4Issues } from './validator.mjs';

export const FHIR_BASE = requiredEnv('CUSTOS_FHIR_BASE').replace(/\/+$/, '');
export const TOKEN = requiredEnv('CUSTOS_TOKEN');

function requiredEnv(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set: run these tests through tests/fhir-clients/run.sh`);
  }
  return value;
}

/** A fhir-kit-client Client authenticated as the demo clinician. */
export function fhirClient(baseUrl = FHIR_BASE) {
  return new Client({ baseUrl, customHeaders: { Authorization: 'Bearer ' + TOKEN } });
}

/** A name unique to this run and test, so that searches see only what the test made. */
export function uniqueName(prefix) {
  return `${prefix}${randomUUID().replace(/-/g, '').slice(0, 12)}`;
}

/**
 * Plain HTTP against the FHIR base (path relative to it, or an absolute URL). Returns
 * { status, headers, body } with body parsed from JSON when there is one.
 */
export async function http(method, path, { body, headers = {} } = {}) {
  const url = path.startsWith('http') ? path : `${FHIR_BASE}/${path.replace(/^\//, '')}`;
  const res = await fetch(url, {
    method,
    headers: {
      accept: 'application/fhir+json',
      authorization: 'Bearer ' + TOKEN,
      ...(body !== undefined ? { 'content-type': 'application/fhir+json' } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed;
  if (text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = text;
    }
  }
  return { status: res.status, headers: res.headers, body: parsed };
}

/** Asserts that the independent validator finds no error in `resource` (any FHIR R4 resource). */
export function assertValidR4(resource, what = resource?.resourceType) {
  assert.ok(resource && typeof resource === 'object', `${what}: expected a resource, got ${resource}`);
  const problems = r4Issues(resource).filter((i) => i.severity === 'error' || i.severity === 'fatal');
  assert.equal(
    problems.length,
    0,
    `${what} is not valid FHIR R4 according to @medplum/core validateResource:\n${formatIssues(problems)}\n` +
      JSON.stringify(resource).slice(0, 2000),
  );
  return resource;
}

/**
 * Runs `promise` (a fhir-kit-client call) expecting an HTTP error; returns { status, body }.
 * Fails when the call succeeds.
 */
export async function expectHttpError(promise, what) {
  try {
    const result = await promise;
    assert.fail(`${what}: expected an HTTP error, got success: ${JSON.stringify(result).slice(0, 500)}`);
  } catch (err) {
    if (err instanceof assert.AssertionError) throw err;
    assert.ok(err?.response?.status, `${what}: expected an HTTP error, got ${err?.stack ?? err}`);
    return { status: err.response.status, body: err.response.data };
  }
}

/** Asserts `outcome` is a valid R4 OperationOutcome with at least one error issue; returns the issues. */
export function assertErrorOutcome(outcome, what) {
  assert.equal(outcome?.resourceType, 'OperationOutcome', `${what}: body is not an OperationOutcome: ${JSON.stringify(outcome)}`);
  assertValidR4(outcome, `${what} (OperationOutcome)`);
  const errors = outcome.issue.filter((i) => i.severity === 'error' || i.severity === 'fatal');
  assert.ok(errors.length > 0, `${what}: OperationOutcome has no error issue: ${JSON.stringify(outcome)}`);
  return errors;
}

/** Asserts some error issue of `outcome` names `element` (e.g. 'Patient.birthDate') in expression. */
export function assertOutcomeNames(outcome, element, what) {
  const errors = assertErrorOutcome(outcome, what);
  const named = errors.some((i) => (i.expression ?? []).some((e) => e === element || e.startsWith(element + '[') || e.startsWith(element + '.')));
  assert.ok(named, `${what}: no error issue names ${element} in expression: ${JSON.stringify(outcome)}`);
}

/** Every resource in a Bundle (entry.resource), checked with the validator along with the Bundle. */
export function assertValidBundle(bundle, type, what) {
  assert.equal(bundle?.resourceType, 'Bundle', `${what}: expected a Bundle, got ${JSON.stringify(bundle).slice(0, 300)}`);
  if (type) assert.equal(bundle.type, type, `${what}: Bundle.type`);
  assertValidR4(bundle, `${what} (Bundle)`);
  for (const [i, entry] of (bundle.entry ?? []).entries()) {
    if (entry.resource) assertValidR4(entry.resource, `${what} entry[${i}] ${entry.resource.resourceType}`);
    if (entry.response?.outcome) assertValidR4(entry.response.outcome, `${what} entry[${i}].response.outcome`);
  }
  return bundle;
}

/** Ids of the entries of a Bundle whose resource has the given type. */
export function idsOf(bundle, resourceType) {
  return (bundle.entry ?? []).filter((e) => e.resource?.resourceType === resourceType).map((e) => e.resource.id);
}

/** Searches with fhir-kit-client and returns the validated searchset Bundle. */
export async function search(client, resourceType, searchParams, what = `${resourceType}?${new URLSearchParams(searchParams)}`) {
  const bundle = await client.search({ resourceType, searchParams });
  return assertValidBundle(bundle, 'searchset', what);
}

export function samplePatient(family, extra = {}) {
  return {
    resourceType: 'Patient',
    identifier: [{ system: 'urn:custos:test:fhir-clients', value: family }],
    name: [{ family, given: ['Ada', 'Test'] }],
    gender: 'female',
    birthDate: '1984-07-15',
    ...extra,
  };
}

export function sampleObservation(patientReference, extra = {}) {
  return {
    resourceType: 'Observation',
    status: 'final',
    category: [
      {
        coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }],
      },
    ],
    code: { coding: [{ system: 'http://loinc.org', code: '8867-4', display: 'Heart rate' }] },
    subject: { reference: patientReference },
    effectiveDateTime: '2024-03-05T10:15:00Z',
    valueQuantity: { value: 72, unit: 'beats/minute', system: 'http://unitsofmeasure.org', code: '/min' },
    ...extra,
  };
}
