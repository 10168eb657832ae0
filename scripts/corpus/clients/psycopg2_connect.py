# Connects with psycopg2 (libpq underneath) using the libpq conninfo in argv[1]; on failure prints
# the traceback exactly as an application would show it. Used by scripts/corpus/generate.ts.
import sys
import traceback

import psycopg2

try:
    conn = psycopg2.connect(sys.argv[1])
    cur = conn.cursor()
    cur.execute("SELECT version()")
    print(cur.fetchone()[0])
    conn.close()
except Exception:
    traceback.print_exc()
    sys.exit(1)
