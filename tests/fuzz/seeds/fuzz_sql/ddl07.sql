CREATE TABLE pair(a INTEGER, b TEXT, v REAL, PRIMARY KEY (a, b));
INSERT INTO pair VALUES (1, 'x', 0.5), (1, 'y', 1.5), (2, 'x', NULL);
SELECT * FROM pair WHERE a = 1 ORDER BY b;
SELECT * FROM pair WHERE a = 1 AND b = 'y';
DELETE FROM pair WHERE a = 2;
UPDATE pair SET b = 'z' WHERE a = 1 AND b = 'x';
SELECT * FROM tdb_columns WHERE table_name = 'pair';
SELECT * FROM tdb_indexes;
