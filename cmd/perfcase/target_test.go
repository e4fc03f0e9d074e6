package main

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/perfcase/perfcase/demo"
)

func TestTargetHelp(t *testing.T) {
	code, out, _ := runCmd(t, "target", "--help")
	if code != exitOK {
		t.Fatalf("target --help exit %d", code)
	}
	for _, want := range []string{"usage: perfcase target", "Example:", "perfcase target &", "-http", "127.0.0.1:8080"} {
		if !strings.Contains(out, want) {
			t.Errorf("help lacks %q:\n%s", want, out)
		}
	}
}

func TestTargetCommandLineMistakes(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--nope"}, "flag provided but not defined"},
		{[]string{"extra"}, "takes no arguments"},
		{[]string{"--http", "", "--tcp", "", "--udp", ""}, "every listener is off"},
		{[]string{"--http", "0.0.0.0:8080", "--tcp", "", "--udp", ""}, "not a loopback address"},
		{[]string{"--tcp", "127.0.0.1", "--http", "", "--udp", ""}, "want host:port"},
	} {
		code, _, errOut := runCmd(t, append([]string{"target"}, tc.args...)...)
		if code != exitInvalid || !strings.Contains(errOut, tc.want) {
			t.Errorf("target %q: exit %d, stderr:\n%s\nwant exit %d and %q", tc.args, code, errOut, exitInvalid, tc.want)
		}
	}
}

func TestTargetBusyPort(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	code, _, errOut := runCmd(t, "target", "--http", ln.Addr().String(), "--tcp", "", "--udp", "")
	for _, want := range []string{ln.Addr().String(), "already in use", "--http"} {
		if code != exitAborted || !strings.Contains(errOut, want) {
			t.Errorf("on a busy port: exit %d, stderr:\n%s\nwant exit %d and %q", code, errOut, exitAborted, want)
		}
	}
}

// TestTargetServesUntilCancelled runs the serving loop with a context in
// place of a signal.
func TestTargetServesUntilCancelled(t *testing.T) {
	pr, pw := io.Pipe()
	e := &env{stdout: pw, stderr: io.Discard}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- serveTarget(ctx, e, demo.Options{HTTP: "127.0.0.1:0", TCP: "127.0.0.1:0", UDP: "127.0.0.1:0"})
		pw.Close()
	}()

	var base string
	lines := bufio.NewScanner(pr)
	for lines.Scan() {
		line := lines.Text()
		if u, ok := strings.CutPrefix(line, "HTTP       "); ok {
			base = u
		}
		if strings.HasPrefix(line, "Serving") {
			break
		}
	}
	if base == "" {
		cancel()
		t.Fatalf("no HTTP address printed; serveTarget: %v", <-done)
	}
	resp, err := http.Get(base + "items/1")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET %sitems/1: %d", base, resp.StatusCode)
	}

	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serveTarget returned %v after the context ended", err)
	}
}
