<?php
// Connects with PHP's pgsql extension (libpq underneath) using the conninfo in argv[1]; PHP prints
// its own warning on failure, as a web app's log shows it. Used by scripts/corpus/generate.ts.
$conn = pg_connect($argv[1]);
if ($conn === false) {
    exit(1);
}
echo pg_fetch_row(pg_query($conn, 'SELECT version()'))[0], "\n";
