-- Statistics over the columns that a search names together. Without them PostgreSQL multiplies
-- per-column selectivities, so a frequent code (LOINC 8302-2, body height, in thousands of rows)
-- looked like 90 rows, and the planner started from it instead of from the patient: 74 ms instead
-- of 4 ms on the Synthea set.
CREATE STATISTICS search_token_values (mcv, dependencies)
  ON resource_type, param, system, code FROM search_token;
CREATE STATISTICS search_string_values (mcv, dependencies)
  ON resource_type, param, normalized FROM search_string;
CREATE STATISTICS search_reference_values (mcv, dependencies)
  ON resource_type, param, target_type FROM search_reference;
CREATE STATISTICS search_date_values (dependencies)
  ON resource_type, param, low, high FROM search_date;
CREATE STATISTICS search_quantity_values (mcv, dependencies)
  ON resource_type, param, code FROM search_quantity;
