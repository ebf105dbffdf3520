CREATE TABLE ty(id INTEGER PRIMARY KEY, b BOOLEAN, i INTEGER, r REAL, t TEXT, bl BLOB, ts TIMESTAMP, j JSON, v VECTOR(3));
INSERT INTO ty VALUES (1, TRUE, -9007199254740993, 2.5, 'héllo', x'0001ff', '2025-01-01T00:00:00Z', '{"a": [1, 2]}', '[1.5, -2, 0.25]');
INSERT INTO ty(id) VALUES (2);
INSERT INTO ty(id, j) VALUES (3, '{bad');
INSERT INTO ty(id, v) VALUES (4, '[1, 2]');
SELECT *, typeof(b), j -> 'a', j ->> 'a' FROM ty ORDER BY id;
