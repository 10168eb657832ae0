# Connects with the ruby-pg gem (libpq underneath) using the conninfo in ARGV[0]; an uncaught
# PG::Error is printed as Ruby prints it. Used by scripts/corpus/generate.ts.
require 'pg'
conn = PG.connect(ARGV[0])
puts conn.exec('SELECT version()').getvalue(0, 0)
