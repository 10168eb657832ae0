# Connects with DBI + DBD::Pg (libpq underneath); ARGV[0] is the DSN after "dbi:Pg:" (key=value;...),
# ARGV[1] the user. DBI's RaiseError message is printed as a script shows it. Used by scripts/corpus/generate.ts.
use strict;
use warnings;
use DBI;
my $dbh = DBI->connect("dbi:Pg:$ARGV[0]", $ARGV[1], '', { RaiseError => 1, PrintError => 0 });
print $dbh->selectrow_array('SELECT version()'), "\n";
