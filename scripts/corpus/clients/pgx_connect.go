// Connects with jackc/pgx v4 using the connection string in os.Args[1]; on failure prints the
// error as `log.Fatal(err)`-style applications do. Built offline in GOPATH mode by
// scripts/corpus/generate.ts (Debian's golang-github-jackc-pgx-v4-dev under /usr/share/gocode).
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/jackc/pgx/v4"
)

func main() {
	conn, err := pgx.Connect(context.Background(), os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer conn.Close(context.Background())
	var version string
	if err := conn.QueryRow(context.Background(), "SELECT version()").Scan(&version); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(version)
}
