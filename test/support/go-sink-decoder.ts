// CockroachDB's own reading of a sink URI, done by Go itself: url.Parse + URL.Query() and
// base64.StdEncoding.DecodeString of ca_cert, client_cert and client_key, as
// changefeedbase/sink_url.go DecodeBase64FromString does (reference §5.2), then tls.X509KeyPair
// on the pair as the Kafka and webhook sinks do. Built once per source with the installed Go.
import { execFileSync } from 'node:child_process';
import { goProgram } from './go-build.js';

const PROGRAM = `package main

import (
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/url"
	"os"
	"strings"
)

func main() {
	in, _ := io.ReadAll(os.Stdin)
	out := map[string]string{}
	u, err := url.Parse(strings.TrimSpace(string(in)))
	if err != nil {
		out["error"] = err.Error()
	} else {
		q := u.Query()
		for _, name := range []string{"ca_cert", "client_cert", "client_key"} {
			v := q.Get(name)
			if v == "" {
				continue
			}
			decoded, err := base64.StdEncoding.DecodeString(v)
			if err != nil {
				out["error"] = name + ": " + err.Error()
				continue
			}
			out[name] = string(decoded)
		}
		if out["client_cert"] != "" && out["client_key"] != "" {
			if _, err := tls.X509KeyPair([]byte(out["client_cert"]), []byte(out["client_key"])); err != nil {
				out["pair_error"] = err.Error()
			} else {
				out["pair"] = "ok"
			}
		}
	}
	json.NewEncoder(os.Stdout).Encode(out)
}
`;

export interface GoDecoded {
  ca_cert?: string;
  client_cert?: string;
  client_key?: string;
  /** "ok" when Go's tls.X509KeyPair accepts the decoded certificate and key. */
  pair?: string;
  pair_error?: string;
  error?: string;
}

/** Builds the decoder (once per source, see go-build.ts); returns a function that decodes one URI with Go. */
export function goSinkDecoder(): (uri: string) => GoDecoded {
  const program = goProgram('sink-decoder', PROGRAM);
  return (uri) => JSON.parse(execFileSync(program, [], { input: uri, encoding: 'utf8' })) as GoDecoded;
}
