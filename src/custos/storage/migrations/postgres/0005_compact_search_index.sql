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
  rid BIGINT NOT NULL, param INTEGER NOT NULL, system TEXT NOT NULL, code TEXT NOT NULL);
CREATE INDEX search_token_lookup ON search_token(param, code, system);
CREATE INDEX search_token_rid ON search_token(rid);

CREATE TABLE search_string (
  rid BIGINT NOT NULL, param INTEGER NOT NULL, normalized TEXT NOT NULL, exact TEXT NOT NULL);
CREATE INDEX search_string_lookup ON search_string(param, normalized text_pattern_ops);
CREATE INDEX search_string_rid ON search_string(rid);

CREATE TABLE search_date (
  rid BIGINT NOT NULL, param INTEGER NOT NULL, low BIGINT NOT NULL, high BIGINT NOT NULL);
CREATE INDEX search_date_lookup ON search_date(param, low, high);
CREATE INDEX search_date_rid ON search_date(rid);

CREATE TABLE search_reference (
  rid BIGINT NOT NULL, param INTEGER NOT NULL, target_type TEXT NOT NULL,
  target_id TEXT NOT NULL, url TEXT);
CREATE INDEX search_reference_lookup ON search_reference(target_id, param);
CREATE INDEX search_reference_rid ON search_reference(rid);

CREATE TABLE search_quantity (
  rid BIGINT NOT NULL, param INTEGER NOT NULL, value DOUBLE PRECISION NOT NULL, system TEXT NOT NULL,
  code TEXT NOT NULL, unit TEXT NOT NULL);
CREATE INDEX search_quantity_lookup ON search_quantity(param, code, value);
CREATE INDEX search_quantity_rid ON search_quantity(rid);

CREATE TABLE search_number (rid BIGINT NOT NULL, param INTEGER NOT NULL, value DOUBLE PRECISION NOT NULL);
CREATE INDEX search_number_lookup ON search_number(param, value);
CREATE INDEX search_number_rid ON search_number(rid);

CREATE TABLE search_uri (rid BIGINT NOT NULL, param INTEGER NOT NULL, uri TEXT NOT NULL);
CREATE INDEX search_uri_lookup ON search_uri(param, uri);
CREATE INDEX search_uri_rid ON search_uri(rid);

CREATE TABLE search_index_rebuild (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  next_rid BIGINT NOT NULL
);
INSERT INTO search_index_rebuild (id, next_rid) SELECT 1, 0 WHERE EXISTS (SELECT 1 FROM resources);

-- Migration 0003's multi-column statistics went with the old tables; the same for the new ones.
CREATE STATISTICS search_token_values (mcv, dependencies) ON param, system, code FROM search_token;
CREATE STATISTICS search_string_values (mcv, dependencies) ON param, normalized FROM search_string;
CREATE STATISTICS search_reference_values (mcv, dependencies)
  ON param, target_type FROM search_reference;
CREATE STATISTICS search_date_values (dependencies) ON param, low, high FROM search_date;
CREATE STATISTICS search_quantity_values (mcv, dependencies) ON param, code FROM search_quantity;
