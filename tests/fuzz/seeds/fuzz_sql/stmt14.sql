SELECT 1 /* comment */ + -- line comment
 2;