// Command testsum reads 'go test -json' on standard input and prints what
// 'go test' would: each package's result line, and the whole output of a
// test that failed. It ends with the list of tests that were skipped,
// each with the line that says why, so that a CI log shows what did not
// run. It exits 1 when a test or a build failed.
//
//	go test -json ./... | go run ./.ci/testsum
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strings"
)

// event is one line of 'go test -json' (cmd/test2json).
type event struct {
	Action  string
	Package string
	Test    string
	Output  string
}

type skip struct{ name, why string }

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<26)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	logs := map[string][]string{} // a test's output so far
	var skips []skip
	failed := false
	for in.Scan() {
		var e event
		if err := json.Unmarshal(in.Bytes(), &e); err != nil {
			// Not an event: go test's own words (a setup error, say).
			fmt.Fprintln(out, in.Text())
			continue
		}
		key := e.Package + " " + e.Test
		switch e.Action {
		case "output", "build-output":
			if e.Test == "" {
				if e.Output != "PASS\n" {
					out.WriteString(e.Output)
				}
				continue
			}
			logs[key] = append(logs[key], e.Output)
		case "skip":
			if e.Test != "" {
				skips = append(skips, skip{e.Package + " " + e.Test, why(logs[key])})
			}
			delete(logs, key)
		case "pass":
			delete(logs, key)
		case "fail", "build-fail":
			failed = true
			for _, line := range logs[key] {
				out.WriteString(line)
			}
			delete(logs, key)
		}
	}
	if err := in.Err(); err != nil {
		fmt.Fprintln(out, "testsum:", err)
		failed = true
	}
	fmt.Fprintf(out, "\n== %d skipped tests\n", len(skips))
	for _, s := range skips {
		fmt.Fprintf(out, "  %s: %s\n", s.name, s.why)
	}
	if failed {
		out.Flush()
		os.Exit(1)
	}
}

// why is the line a skipped test logged last: its t.Skip message.
func why(log []string) string {
	for i := len(log) - 1; i >= 0; i-- {
		line := strings.TrimSpace(log[i])
		if line != "" && !strings.HasPrefix(line, "=== ") && !strings.HasPrefix(line, "--- ") {
			return line
		}
	}
	return ""
}
