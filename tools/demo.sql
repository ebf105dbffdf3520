-- demo.sql — the TensorDB quickstart that `./build.sh demo` runs:
--   build/tensordb build/demo.tdb -f tools/demo.sql
-- It grows with the engine: tables, then time travel, land here as they come.

-- Expressions: arithmetic, string concatenation (||) and NULL tests.
-- Every result column is named with AS; booleans print as true/false.
SELECT 1 + 2 AS three,
       'tensor' || 'db' AS name,
       NULL IS NULL AS yes;

-- CASE picks the first WHEN that holds.
SELECT CASE WHEN 7 > 5 THEN 'bigger' ELSE 'smaller' END AS comparison;

-- CAST converts between types: text to integer, integer to text.
SELECT CAST('42' AS INTEGER) + 1 AS answer,
       CAST(2025 AS TEXT) || '-01-01' AS new_year;

-- The same result in other output modes: one `name = value` per line ...
.mode line
SELECT 10 / 4 AS integer_division, 10.0 / 4 AS real_division;

-- ... and JSON, typed: numbers, strings, true/false and null.
.mode json
SELECT 1 AS id, 'ledger' AS kind, TRUE AS active, NULL AS note;
.mode table

-- The database on disk: .check verifies every file (checksums, key order)
-- and says what it checked.
.check
