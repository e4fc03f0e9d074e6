package scenario

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/perfcase/perfcase/internal/testsupport"
)

var noEnv = func(string) (string, bool) { return "", false }

const ldFlowYAML = `{name: flow, cases: [{name: c, steps: [{http: {url: "http://127.0.0.1:1/"}}], stages: [{concurrency: 1, duration: 1s}]}]}`

func TestOpenStdin(t *testing.T) {
	_, err := Open("-", Options{LookupEnv: noEnv, Stdin: strings.NewReader("name: x\ncases: [{name: c, steps: [{thnk: 1s}], stages: [{concurrency: 1, duration: 1s}]}]\n")})
	if err == nil || !strings.Contains(err.Error(), `<stdin>:2:28: unknown key "thnk"`) {
		t.Errorf("a bad scenario on standard input: got %v", err)
	}
}

// A scenario file over the limit is refused before it is read, and
// standard input past the limit after one byte too many.
func TestOpenRefusesLargeFiles(t *testing.T) {
	big := filepath.Join(t.TempDir(), "big.yaml")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	// Sparse: the size is what counts, and nothing needs reading.
	if err := f.Truncate(DefaultMaxFileSize + 1); err != nil {
		t.Fatal(err)
	}
	f.Close()
	_, err = Open(big, Options{})
	if err == nil || !strings.Contains(err.Error(), big+": the scenario is 16.0 MiB, over the 16 MiB limit") || !strings.Contains(err.Error(), "--max-file-size") {
		t.Errorf("a 16 MiB + 1 file: got %v", err)
	}

	small := testsupport.WriteTemp(t, "s.yaml", ldFlowYAML)
	if _, err := Open(small, Options{LookupEnv: noEnv, MaxFileSize: 64}); err == nil || !strings.Contains(err.Error(), "over the 64 bytes limit") {
		t.Errorf("a %d-byte file with a 64-byte limit: got %v", len(ldFlowYAML), err)
	}
	if _, err := Open(small, Options{LookupEnv: noEnv, MaxFileSize: int64(len(ldFlowYAML))}); err != nil {
		t.Errorf("a file of exactly the limit: %v", err)
	}
	if _, err := Open("-", Options{Stdin: strings.NewReader(ldFlowYAML), MaxFileSize: 64}); err == nil || !strings.Contains(err.Error(), "<stdin>: the scenario is over the 64 bytes limit") {
		t.Errorf("standard input past the limit: got %v", err)
	}
}

// Data files are regular files under a size limit: a device or a named
// pipe is refused at once, without reading it or waiting for a writer.
func TestDataFilesMustBeRegularAndBounded(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("cannot make a named pipe here: %v", err)
	}
	huge := filepath.Join(dir, "huge.csv")
	f, err := os.Create(huge)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(MaxDataFileSize + 1); err != nil {
		t.Fatal(err)
	}
	f.Close()
	hugePart := filepath.Join(dir, "huge.bin")
	if err := os.Link(huge, hugePart); err != nil {
		t.Fatal(err)
	}
	multipart := func(file string) string {
		return fmt.Sprintf(`name: m
cases:
  - name: c
    steps:
      - http: {method: POST, url: "http://127.0.0.1:1/", multipart: {f: {file: %q}}}
    stages: [{concurrency: 1, duration: 1s}]
`, file)
	}
	csvVar := func(file string) string {
		return fmt.Sprintf(`name: d
variables:
  users: {type: file, path: %q}
cases:
  - name: c
    steps: [{http: {url: "http://127.0.0.1:1/${users.id}"}}]
    stages: [{concurrency: 1, duration: 1s}]
`, file)
	}
	tests := []struct {
		name, src, want string
	}{
		{"/dev/zero as a multipart file", multipart("/dev/zero"), ":5:70: multipart field f: cannot read /dev/zero: it is a device, not a regular file"},
		{"a named pipe as a multipart (body) file", multipart(fifo), "multipart field f: cannot read " + fifo + ": it is a named pipe (FIFO), not a regular file"},
		{"a named pipe as CSV data", csvVar(fifo), ":3:3: variable users: cannot read " + fifo + ": it is a named pipe (FIFO), not a regular file"},
		{"a directory as CSV data", csvVar(dir), "variable users: cannot read " + dir + ": it is a directory, not a regular file"},
		{"CSV data over 256 MiB", csvVar(huge), "variable users: cannot read " + huge + ": it is 256.0 MiB, over the 256 MiB limit"},
		{"a multipart file over 64 MiB", multipart(hugePart), "multipart field f: cannot read " + hugePart + ": it is 256.0 MiB, over the 64 MiB limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := testsupport.WriteTemp(t, "s.yaml", tt.src)
			done := make(chan error, 1)
			go func() {
				_, err := Open(p, Options{LookupEnv: noEnv})
				done <- err
			}()
			select {
			case err := <-done:
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Errorf("got %v, want an error containing %q", err, tt.want)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("Open did not return: it waits on the file")
			}
		})
	}
}
