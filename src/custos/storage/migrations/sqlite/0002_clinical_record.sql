-- The clinical record (issue 3): versioned FHIR resources and their search index.
-- `rid` is the row key every index row points to; `patient_id` is the Patient whose record the
-- row belongs to (its compartment), on every row, so that merge, release and purge find a
-- patient's data in one place.

CREATE TABLE resources (
  rid INTEGER PRIMARY KEY,
  resource_type TEXT NOT NULL,
  id TEXT NOT NULL,
  version INTEGER NOT NULL,
  patient_id TEXT,
  last_updated TEXT NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0,
  UNIQUE (resource_type, id)
);
CREATE INDEX resources_by_patient ON resources(patient_id) WHERE patient_id IS NOT NULL;
CREATE INDEX resources_by_updated ON resources(resource_type, last_updated);

-- Every version, as accepted (plus meta.versionId and meta.lastUpdated). NULL content: deleted.
CREATE TABLE resource_versions (
  rid INTEGER NOT NULL REFERENCES resources(rid),
  version INTEGER NOT NULL,
  patient_id TEXT,
  last_updated TEXT NOT NULL,
  method TEXT NOT NULL,
  content TEXT,
  PRIMARY KEY (rid, version)
);

CREATE TABLE search_token (
  rid INTEGER NOT NULL, resource_type TEXT NOT NULL, param TEXT NOT NULL,
  system TEXT NOT NULL, code TEXT NOT NULL, patient_id TEXT);
CREATE INDEX search_token_lookup ON search_token(resource_type, param, code, system);
CREATE INDEX search_token_rid ON search_token(rid);

CREATE TABLE search_string (
  rid INTEGER NOT NULL, resource_type TEXT NOT NULL, param TEXT NOT NULL,
  normalized TEXT NOT NULL, exact TEXT NOT NULL, patient_id TEXT);
CREATE INDEX search_string_lookup ON search_string(resource_type, param, normalized);
CREATE INDEX search_string_rid ON search_string(rid);

CREATE TABLE search_date (
  rid INTEGER NOT NULL, resource_type TEXT NOT NULL, param TEXT NOT NULL,
  low INTEGER NOT NULL, high INTEGER NOT NULL, patient_id TEXT);
CREATE INDEX search_date_lookup ON search_date(resource_type, param, low, high);
CREATE INDEX search_date_rid ON search_date(rid);

CREATE TABLE search_reference (
  rid INTEGER NOT NULL, resource_type TEXT NOT NULL, param TEXT NOT NULL,
  target_type TEXT NOT NULL, target_id TEXT NOT NULL, url TEXT NOT NULL, patient_id TEXT);
CREATE INDEX search_reference_lookup ON search_reference(target_id, target_type, resource_type, param);
CREATE INDEX search_reference_rid ON search_reference(rid);

CREATE TABLE search_quantity (
  rid INTEGER NOT NULL, resource_type TEXT NOT NULL, param TEXT NOT NULL,
  value REAL NOT NULL, system TEXT NOT NULL, code TEXT NOT NULL, unit TEXT NOT NULL, patient_id TEXT);
CREATE INDEX search_quantity_lookup ON search_quantity(resource_type, param, code, value);
CREATE INDEX search_quantity_rid ON search_quantity(rid);

CREATE TABLE search_number (
  rid INTEGER NOT NULL, resource_type TEXT NOT NULL, param TEXT NOT NULL,
  value REAL NOT NULL, patient_id TEXT);
CREATE INDEX search_number_lookup ON search_number(resource_type, param, value);
CREATE INDEX search_number_rid ON search_number(rid);

CREATE TABLE search_uri (
  rid INTEGER NOT NULL, resource_type TEXT NOT NULL, param TEXT NOT NULL,
  uri TEXT NOT NULL, patient_id TEXT);
CREATE INDEX search_uri_lookup ON search_uri(resource_type, param, uri);
CREATE INDEX search_uri_rid ON search_uri(rid);
