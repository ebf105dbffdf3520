CREATE TABLE a(id INTEGER PRIMARY KEY, v TEXT NOT NULL, n INTEGER CHECK (n >= 0));
INSERT INTO a VALUES (1, 'x', 1), (2, 'y', 2), (1, 'z', 3);
INSERT INTO a VALUES (1, 'x', 1), (2, 'y', 2), (3, NULL, 3);
INSERT INTO a VALUES (1, 'x', 1), (2, 'y', 2), (3, 'z', -3);
INSERT INTO a VALUES (1, 'x', 1), (2, 'y', 2), (3, 'z', 1 / 0);
INSERT INTO a VALUES (1, 'x', 1), (2, 'y', 2), (3, 'z', 3);
UPDATE a SET n = 2 - n;
UPDATE a SET id = 4 - id;
SELECT * FROM a ORDER BY id;
