// Connects with Go's lib/pq using the postgresql:// URL in os.Args[1]; prints the error as an
// application logs it. Built offline from Debian's golang-github-lib-pq-dev (GOPATH mode). Used by
// scripts/corpus/generate.ts.
package main

import (
	"database/sql"
	"fmt"
	"os"

	_ "github.com/lib/pq"
)

func main() {
	db, err := sql.Open("postgres", os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var version string
	if err := db.QueryRow("SELECT version()").Scan(&version); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(version)
}
