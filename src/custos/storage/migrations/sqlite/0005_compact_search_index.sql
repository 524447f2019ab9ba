-- A compact search index (issue 3's import figure). Index rows name their parameter by a number
-- (clinical/index_layout.h: ParamId of resource type and code) instead of carrying the resource
-- type and parameter name as text, and no longer repeat the patient id, which the resource's
-- own row holds. The lookup indexes shrink to a third and a bulk import writes half the pages.
-- A reference keeps its URL only when type and id cannot say it again.
--
-- The parameter numbers are computed by the program, so the rows are rebuilt by it: the new
-- tables start empty and `search_index_rebuild` asks the server to refill them from the stored
-- resources at its next start (ResourceStore::RebuildSearchIndex), resumably, from `next_rid`.

DROP TABLE search_token;
DROP TABLE search_string;
DROP TABLE search_date;
DROP TABLE search_reference;
DROP TABLE search_quantity;
DROP TABLE search_number;
DROP TABLE search_uri;

CREATE TABLE search_token (
  rid INTEGER NOT NULL, param INTEGER NOT NULL, system TEXT NOT NULL, code TEXT NOT NULL);
CREATE INDEX search_token_lookup ON search_token(param, code, system);
CREATE INDEX search_token_rid ON search_token(rid);

CREATE TABLE search_string (
  rid INTEGER NOT NULL, param INTEGER NOT NULL, normalized TEXT NOT NULL, exact TEXT NOT NULL);
CREATE INDEX search_string_lookup ON search_string(param, normalized);
CREATE INDEX search_string_rid ON search_string(rid);

CREATE TABLE search_date (
  rid INTEGER NOT NULL, param INTEGER NOT NULL, low INTEGER NOT NULL, high INTEGER NOT NULL);
CREATE INDEX search_date_lookup ON search_date(param, low, high);
CREATE INDEX search_date_rid ON search_date(rid);

CREATE TABLE search_reference (
  rid INTEGER NOT NULL, param INTEGER NOT NULL, target_type TEXT NOT NULL,
  target_id TEXT NOT NULL, url TEXT);
CREATE INDEX search_reference_lookup ON search_reference(target_id, param);
CREATE INDEX search_reference_rid ON search_reference(rid);

CREATE TABLE search_quantity (
  rid INTEGER NOT NULL, param INTEGER NOT NULL, value REAL NOT NULL, system TEXT NOT NULL,
  code TEXT NOT NULL, unit TEXT NOT NULL);
CREATE INDEX search_quantity_lookup ON search_quantity(param, code, value);
CREATE INDEX search_quantity_rid ON search_quantity(rid);

CREATE TABLE search_number (rid INTEGER NOT NULL, param INTEGER NOT NULL, value REAL NOT NULL);
CREATE INDEX search_number_lookup ON search_number(param, value);
CREATE INDEX search_number_rid ON search_number(rid);

CREATE TABLE search_uri (rid INTEGER NOT NULL, param INTEGER NOT NULL, uri TEXT NOT NULL);
CREATE INDEX search_uri_lookup ON search_uri(param, uri);
CREATE INDEX search_uri_rid ON search_uri(rid);

CREATE TABLE search_index_rebuild (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  next_rid INTEGER NOT NULL
);
INSERT INTO search_index_rebuild (id, next_rid) SELECT 1, 0 WHERE EXISTS (SELECT 1 FROM resources);
