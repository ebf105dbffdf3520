CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT NOT NULL, score REAL DEFAULT 1.5, tag TEXT UNIQUE, CHECK (score >= 0));
INSERT INTO t VALUES (1, 'a', 2.5, 'x'), (2, 'b', 0, NULL), (3, 'c', 10, 'z');
SELECT * FROM t ORDER BY id;
SELECT id, name FROM t WHERE id = 2;
