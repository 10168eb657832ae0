<?php
// Connects with PDO_PGSQL (libpq underneath); argv[1] is the DSN after "pgsql:" (key=value;...).
// An uncaught PDOException is printed as PHP prints it. Used by scripts/corpus/generate.ts.
$pdo = new PDO('pgsql:' . $argv[1]);
echo $pdo->query('SELECT version()')->fetchColumn(), "\n";
