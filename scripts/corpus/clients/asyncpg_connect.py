# Connects with asyncpg using the DSN in argv[1] (sslmode, sslrootcert, sslcert, sslkey as URL
# parameters); on failure prints the traceback as an application would show it.
# Used by scripts/corpus/generate.ts.
import asyncio
import sys
import traceback

import asyncpg


async def main():
    conn = await asyncpg.connect(sys.argv[1], timeout=10)
    print(await conn.fetchval("SELECT version()"))
    await conn.close()


try:
    asyncio.run(main())
except Exception:
    traceback.print_exc()
    sys.exit(1)
