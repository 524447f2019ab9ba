-- PostgreSQL's 0003 adds multi-column statistics for search. SQLite's ANALYZE (run after imports
-- and on a timer) already samples whole index prefixes, so there is nothing to add here; the file
-- keeps both schemas at the same version.
SELECT 1;
