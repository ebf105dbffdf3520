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

-- Tables live in the database itself: typed columns, a primary key, a CHECK,
-- a secondary index. (IF NOT EXISTS: the demo may run on an existing file.)
CREATE TABLE IF NOT EXISTS acct (id INTEGER PRIMARY KEY, owner TEXT NOT NULL,
                                 balance INTEGER DEFAULT 0 CHECK (balance >= 0));
CREATE INDEX IF NOT EXISTS acct_owner ON acct(owner);
INSERT OR REPLACE INTO acct VALUES (1, 'ann', 100), (2, 'bob', 50), (3, 'cat', 300);

-- Every statement is atomic: the CHECK fails on one row, so nothing changes.
-- (Uncomment to see the error: 23514 new row for table "acct" violates ...)
-- UPDATE acct SET balance = balance - 80;

UPDATE acct SET balance = balance - 30 WHERE id = 1 RETURNING id, owner, balance;
SELECT owner, balance FROM acct WHERE balance > 60 ORDER BY balance DESC;
SELECT count(*) AS accounts, sum(balance) AS total, avg(balance) AS mean FROM acct;

-- A correlated subquery: each account's rank by balance.
SELECT owner, (SELECT count(*) FROM acct AS b WHERE b.balance > a.balance) + 1 AS rank
  FROM acct AS a ORDER BY rank;

-- The planner uses the index for the owner lookup (EXPLAIN shows the plan).
EXPLAIN SELECT * FROM acct WHERE owner = 'bob';

-- A document table: declared with only its key, it stores JSON in `doc`.
CREATE TABLE IF NOT EXISTS events (pk TEXT PRIMARY KEY);
INSERT OR REPLACE INTO events (pk, doc) VALUES ('e1', '{"type": "deposit", "amount": 25}');
SELECT pk, doc->>'type' AS type, doc->'amount' AS amount FROM events;

-- A bitemporal story. Every write is kept: system time is the commit epoch,
-- valid time is when a fact was true, here a day number the app chooses.
CREATE TABLE IF NOT EXISTS salary (emp TEXT PRIMARY KEY, amount INTEGER);
SET CURRENT_VALID_TIME = 100;                        -- "today" is day 100
INSERT OR REPLACE INTO salary VALUES ('ann', 5000);

-- A future-dated fact: a raise agreed today, valid from day 200 on.
UPDATE salary FOR PORTION OF APPLICATION_TIME FROM 200 TO NULL
  SET amount = 5500 WHERE emp = 'ann';
SELECT amount AS today FROM salary WHERE emp = 'ann';
SELECT amount AS on_day_250 FROM salary WHERE emp = 'ann' VALID AT 250;

-- A correction of the past, made on day 160: ann was in fact paid 5100
-- from day 120 to day 150. Only that stretch of valid time changes.
SET CURRENT_VALID_TIME = 160;
UPDATE salary FOR PORTION OF APPLICATION_TIME FROM 120 TO 150
  SET amount = 5100 WHERE emp = 'ann';
SELECT amount, _valid_from AS from_day, _valid_to AS to_day
  FROM salary FOR APPLICATION_TIME ALL WHERE emp = 'ann' ORDER BY _valid_from;

-- What the database said before the correction: AS OF the previous epoch.
SELECT amount, _valid_from AS from_day, _valid_to AS to_day
  FROM salary FOR APPLICATION_TIME ALL AS OF current_epoch() - 1
  WHERE emp = 'ann' ORDER BY _valid_from;

-- SHOW DRIFT: every version of the key, with both times and the statement
-- that wrote it.
SHOW DRIFT salary KEY 'ann';
SET CURRENT_VALID_TIME = DEFAULT;

-- The database on disk: .check verifies every file (checksums, key order)
-- and says what it checked.
.check
