# Connects with psycopg 3 (libpq underneath) using the libpq conninfo in argv[1]; on failure prints
# the traceback exactly as an application would show it. Used by scripts/corpus/generate.ts.
import sys
import traceback

import psycopg

try:
    with psycopg.connect(sys.argv[1]) as conn:
        print(conn.execute("SELECT version()").fetchone()[0])
except Exception:
    traceback.print_exc()
    sys.exit(1)
