CREATE TABLE e(id INTEGER PRIMARY KEY, k INTEGER);
CREATE TABLE f(id INTEGER, z INTEGER);
INSERT INTO e VALUES (1, 1), (2, 1);
INSERT INTO f VALUES (1, 9);
SELECT a.id, b.id FROM e a, e b WHERE a.id = 1;
SELECT e.*, f.z FROM e JOIN f ON e.id = f.id;
SELECT * FROM e a JOIN e b ON a.k = b.id;
