-- Stored resources compressed (clinical/resource_codec.h): new versions keep their JSON as a zstd
-- frame in `content_z` and leave `content` NULL; rows written before keep their text. A deleted
-- version has neither.
ALTER TABLE resource_versions ADD COLUMN content_z BYTEA;
