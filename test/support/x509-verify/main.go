// Go's crypto/x509 Verify as an independent judge of certificate chains, for
// test/fuzz/chain-differential.test.ts. Standard library only; it reads a JSON list of cases on
// stdin and writes one verdict per case, so that thousands of chains cost one process.
package main

import (
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"os"
	"time"
)

type verifyCase struct {
	ID            int      `json:"id"`
	Leaf          string   `json:"leaf"`
	Intermediates []string `json:"intermediates"`
	Roots         []string `json:"roots"`
	Purpose       string   `json:"purpose"`
	Now           int64    `json:"now"`
}

type verdict struct {
	ID    int    `json:"id"`
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
}

func parse(text string) (*x509.Certificate, error) {
	block, _ := pem.Decode([]byte(text))
	if block == nil {
		return nil, os.ErrInvalid
	}
	return x509.ParseCertificate(block.Bytes)
}

func judge(c verifyCase) verdict {
	leaf, err := parse(c.Leaf)
	if err != nil {
		return verdict{ID: c.ID, Error: "leaf: " + err.Error()}
	}
	roots, intermediates := x509.NewCertPool(), x509.NewCertPool()
	for _, text := range c.Roots {
		cert, err := parse(text)
		if err != nil {
			return verdict{ID: c.ID, Error: "root: " + err.Error()}
		}
		roots.AddCert(cert)
	}
	for _, text := range c.Intermediates {
		cert, err := parse(text)
		if err != nil {
			return verdict{ID: c.ID, Error: "intermediate: " + err.Error()}
		}
		intermediates.AddCert(cert)
	}
	usage := x509.ExtKeyUsageAny
	switch c.Purpose {
	case "server_auth":
		usage = x509.ExtKeyUsageServerAuth
	case "client_auth":
		usage = x509.ExtKeyUsageClientAuth
	}
	_, err = leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: intermediates, CurrentTime: time.UnixMilli(c.Now), KeyUsages: []x509.ExtKeyUsage{usage}})
	if err != nil {
		return verdict{ID: c.ID, Error: err.Error()}
	}
	return verdict{ID: c.ID, OK: true}
}

func main() {
	var cases []verifyCase
	if err := json.NewDecoder(os.Stdin).Decode(&cases); err != nil {
		os.Stderr.WriteString("bad input: " + err.Error() + "\n")
		os.Exit(2)
	}
	out := make([]verdict, 0, len(cases))
	for _, c := range cases {
		out = append(out, judge(c))
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		os.Exit(1)
	}
}
