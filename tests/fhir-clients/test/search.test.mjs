// Search through fhir-kit-client: string, token, date prefixes, reference, chains, _include,
// _revinclude, _sort, _summary=count, POST _search, and paging through `next` links with
// nextPage. Every searchset Bundle (and each resource in it) is checked with the R4 validator.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import {
  assertValidBundle,
  fhirClient,
  idsOf,
  sampleObservation,
  samplePatient,
  search,
  uniqueName,
} from './helpers.mjs';

describe('search', () => {
  const client = fhirClient();
  const family = uniqueName('Srch');
  const otherFamily = uniqueName('Other');
  const birthDates = ['1950-01-20', '1969-12-31', '1970-06-15', '1985-03-02', '1985-11-30', '1999-02-28', '2010-08-08'];
  /** @type {any[]} */
  let patients = [];
  let other;
  let observations = [];

  before(async () => {
    for (const [i, birthDate] of birthDates.entries()) {
      patients.push(
        await client.create({
          resourceType: 'Patient',
          body: samplePatient(family, {
            identifier: [{ system: 'urn:custos:test:mrn', value: `${family}-${i}` }],
            name: [{ family, given: [`G${i}`] }],
            gender: i % 2 === 0 ? 'female' : 'male',
            birthDate,
          }),
        }),
      );
    }
    other = await client.create({ resourceType: 'Patient', body: samplePatient(otherFamily) });
    // Two heart-rate Observations for patients[0], one body-weight for patients[1].
    observations.push(
      await client.create({
        resourceType: 'Observation',
        body: sampleObservation(`Patient/${patients[0].id}`, { effectiveDateTime: '2024-01-10T08:00:00Z' }),
      }),
      await client.create({
        resourceType: 'Observation',
        body: sampleObservation(`Patient/${patients[0].id}`, { effectiveDateTime: '2024-05-10T08:00:00Z' }),
      }),
      await client.create({
        resourceType: 'Observation',
        body: sampleObservation(`Patient/${patients[1].id}`, {
          code: { coding: [{ system: 'http://loinc.org', code: '29463-7', display: 'Body weight' }] },
          valueQuantity: { value: 80, unit: 'kg', system: 'http://unitsofmeasure.org', code: 'kg' },
        }),
      }),
    );
  });

  const idsFor = (indexes) => indexes.map((i) => patients[i].id).sort();

  test('by name (string: default prefix match, :exact, :contains)', async () => {
    const all = await search(client, 'Patient', { name: family, _count: '50' });
    assert.deepEqual(idsOf(all, 'Patient').sort(), idsFor([0, 1, 2, 3, 4, 5, 6]));
    assert.equal(all.total, 7);
    for (const entry of all.entry) assert.equal(entry.search?.mode, 'match');

    const prefix = await search(client, 'Patient', { family: family.slice(0, -3).toLowerCase() });
    assert.equal(prefix.total, 7, 'string search is a case-insensitive prefix match');

    const exactWrongCase = await search(client, 'Patient', { 'family:exact': family.toLowerCase() });
    assert.equal(exactWrongCase.total, 0, ':exact is case-sensitive');
    const exact = await search(client, 'Patient', { 'family:exact': family });
    assert.equal(exact.total, 7);

    const contains = await search(client, 'Patient', { 'family:contains': family.slice(5) });
    assert.equal(contains.total, 7, ':contains matches inside the name');

    const given = await search(client, 'Patient', { family, given: 'G3' });
    assert.deepEqual(idsOf(given, 'Patient'), idsFor([3]));

    const none = await search(client, 'Patient', { name: uniqueName('Nobody') });
    assert.equal(none.total, 0);
    assert.equal(none.entry?.length ?? 0, 0);
  });

  test('by token (identifier system|value, code, gender)', async () => {
    const bySystemValue = await search(client, 'Patient', { identifier: `urn:custos:test:mrn|${family}-4` });
    assert.deepEqual(idsOf(bySystemValue, 'Patient'), idsFor([4]));
    const byValue = await search(client, 'Patient', { identifier: `${family}-4` });
    assert.deepEqual(idsOf(byValue, 'Patient'), idsFor([4]));
    const wrongSystem = await search(client, 'Patient', { identifier: `urn:other|${family}-4` });
    assert.equal(wrongSystem.total, 0, 'the system part of a token is honoured');

    const female = await search(client, 'Patient', { family, gender: 'female' });
    assert.deepEqual(idsOf(female, 'Patient').sort(), idsFor([0, 2, 4, 6]));

    const heartRate = await search(client, 'Observation', {
      subject: `Patient/${patients[0].id}`,
      code: 'http://loinc.org|8867-4',
    });
    assert.deepEqual(idsOf(heartRate, 'Observation').sort(), [observations[0].id, observations[1].id].sort());
  });

  test('by date with prefixes and partial dates', async () => {
    const cases = [
      [{ birthdate: '1985' }, [3, 4]],
      [{ birthdate: '1985-03' }, [3]],
      [{ birthdate: 'eq1970-06-15' }, [2]],
      [{ birthdate: 'ge1985-03-02' }, [3, 4, 5, 6]],
      [{ birthdate: 'gt1985-03-02' }, [4, 5, 6]],
      [{ birthdate: 'lt1970' }, [0, 1]],
      [{ birthdate: 'le1969-12-31' }, [0, 1]],
      [{ birthdate: ['ge1969', 'lt1986'] }, [1, 2, 3, 4]],
      [{ birthdate: 'ne1985' }, [0, 1, 2, 5, 6]],
    ];
    for (const [params, expected] of cases) {
      // An array value repeats the parameter (fhir-kit-client), which ANDs the conditions.
      const searchParams = { family, _count: '50', ...params };
      const what = `Patient?birthdate=${[params.birthdate].flat().join('&birthdate=')}`;
      const bundle = await search(client, 'Patient', searchParams, what);
      assert.deepEqual(idsOf(bundle, 'Patient').sort(), idsFor(expected), what);
    }
    const obs = await search(client, 'Observation', { subject: `Patient/${patients[0].id}`, date: 'ge2024-03' });
    assert.deepEqual(idsOf(obs, 'Observation'), [observations[1].id]);
  });

  test('reference, chained, _include and _revinclude', async () => {
    const byPatientParam = await search(client, 'Observation', { patient: patients[0].id });
    assert.equal(byPatientParam.total, 2, 'patient=<id>');
    const chained = await search(client, 'Observation', { 'patient.family': family, _count: '50' });
    assert.deepEqual(idsOf(chained, 'Observation').sort(), observations.map((o) => o.id).sort(), 'patient.family chain');

    const withInclude = await search(client, 'Observation', {
      patient: patients[1].id,
      _include: 'Observation:subject',
    });
    assert.deepEqual(idsOf(withInclude, 'Observation'), [observations[2].id]);
    const included = withInclude.entry.filter((e) => e.resource.resourceType === 'Patient');
    assert.deepEqual(included.map((e) => e.resource.id), [patients[1].id]);
    assert.equal(included[0].search?.mode, 'include');
    assert.equal(withInclude.total, 1, 'total counts matches only, not included resources');

    const withRevinclude = await search(client, 'Patient', { _id: patients[0].id, _revinclude: 'Observation:subject' });
    assert.deepEqual(idsOf(withRevinclude, 'Patient'), [patients[0].id]);
    assert.deepEqual(idsOf(withRevinclude, 'Observation').sort(), [observations[0].id, observations[1].id].sort());
  });

  test('_sort, _summary=count, _elements and POST _search', async () => {
    const sorted = await search(client, 'Patient', { family, _sort: '-birthdate', _count: '50' });
    assert.deepEqual(
      sorted.entry.map((e) => e.resource.birthDate),
      [...birthDates].sort().reverse(),
      '_sort=-birthdate',
    );

    const count = await search(client, 'Patient', { family, _summary: 'count' });
    assert.equal(count.total, 7);
    assert.equal(count.entry?.length ?? 0, 0, '_summary=count returns no entries');

    const elements = await search(client, 'Patient', { _id: patients[2].id, _elements: 'birthDate' });
    const trimmed = elements.entry[0].resource;
    assert.equal(trimmed.birthDate, '1970-06-15');
    assert.equal(trimmed.name, undefined, '_elements drops elements not asked for');
    assert.ok(
      trimmed.meta?.tag?.some((t) => t.code === 'SUBSETTED'),
      '_elements marks the resource SUBSETTED (R4 search.html#elements)',
    );

    const posted = await client.search({
      resourceType: 'Patient',
      searchParams: { family, gender: 'male' },
      options: { postSearch: true },
    });
    assertValidBundle(posted, 'searchset', 'POST Patient/_search');
    assert.deepEqual(idsOf(posted, 'Patient').sort(), idsFor([1, 3, 5]));
    assert.ok(!idsOf(posted, 'Patient').includes(other.id));
  });

  test('paging through next links with nextPage, and back with prevPage', async () => {
    let page = await search(client, 'Patient', { family, _count: '3', _sort: 'birthdate' });
    assert.equal(page.total, 7);
    const seen = [];
    const pages = [];
    for (;;) {
      pages.push(page);
      assert.ok(page.entry.length <= 3, '_count=3 is honoured');
      seen.push(...idsOf(page, 'Patient'));
      assert.ok(page.link?.some((l) => l.relation === 'self'), 'each page has a self link');
      const next = await client.nextPage({ bundle: page });
      if (!next) break;
      page = assertValidBundle(next, 'searchset', `page ${pages.length + 1}`);
      assert.ok(pages.length < 10, 'paging ends');
    }
    assert.equal(pages.length, 3, '7 results in pages of 3');
    assert.deepEqual(pages.map((p) => p.entry.length), [3, 3, 1]);
    assert.equal(new Set(seen).size, 7, 'no result twice');
    assert.deepEqual([...seen].sort(), idsFor([0, 1, 2, 3, 4, 5, 6]));
    assert.deepEqual(
      pages.flatMap((p) => p.entry.map((e) => e.resource.birthDate)),
      [...birthDates].sort(),
      'pages keep the _sort order',
    );

    const back = await client.prevPage({ bundle: pages[2] });
    assert.ok(back, 'last page links to the previous one');
    assertValidBundle(back, 'searchset', 'previous page');
    assert.deepEqual(idsOf(back, 'Patient'), idsOf(pages[1], 'Patient'));
    assert.equal(await client.prevPage({ bundle: pages[0] }), undefined, 'first page has no previous link');
  });
});
