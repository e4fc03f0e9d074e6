package main

import (
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestDockerfile checks the image's recipe without a Docker engine: the
// build stage's command, run here as the Dockerfile writes it, builds
// perfcase; its Go is go.mod's; the final stage runs what was built as a
// non-root user; and .dockerignore leaves out nothing the build reads.
func TestDockerfile(t *testing.T) {
	root := filepath.Join("..", "..")
	src, err := os.ReadFile(filepath.Join(root, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	var stages [][]string
	for _, line := range strings.Split(string(src), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasPrefix(line, "FROM ") {
			stages = append(stages, nil)
		}
		if len(stages) == 0 {
			t.Fatalf("instruction before FROM: %s", line)
		}
		stages[len(stages)-1] = append(stages[len(stages)-1], line)
	}
	if len(stages) != 2 {
		t.Fatalf("want a build stage and a final stage, got %d stages", len(stages))
	}

	gomod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	goVersion := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindSubmatch(gomod)
	if goVersion == nil || stages[0][0] != "FROM golang:"+string(goVersion[1])+" AS build" {
		t.Errorf("build stage %q: want FROM golang:%s AS build, go.mod's Go", stages[0][0], goVersion[1])
	}
	var build string
	for _, l := range stages[0] {
		if strings.HasPrefix(l, "RUN ") && strings.Contains(l, "go build") {
			build = strings.TrimPrefix(l, "RUN ")
		}
	}
	out := regexp.MustCompile(` -o (\S+) `).FindStringSubmatch(build)
	for _, want := range []string{"CGO_ENABLED=0 go build ", " -trimpath ", ` -ldflags="-s -w" `, " ./cmd/perfcase"} {
		if !strings.Contains(build+" ", want) || out == nil {
			t.Fatalf("build command %q lacks %q or -o", build, want)
		}
	}

	final := stages[1]
	var copied, user, entry string
	for _, l := range final {
		switch f := strings.Fields(l); f[0] {
		case "COPY":
			if len(f) == 4 && f[1] == "--from=build" && f[2] == out[1] {
				copied = f[3]
			}
		case "USER":
			user = f[1]
		case "ENTRYPOINT":
			entry = strings.TrimSpace(strings.TrimPrefix(l, "ENTRYPOINT"))
		}
	}
	if !strings.HasSuffix(final[0], ":nonroot") || !regexp.MustCompile(`^[1-9]\d*:[1-9]\d*$`).MatchString(user) {
		t.Errorf("final stage %q, USER %q: want a nonroot base and a numeric non-root USER", final[0], user)
	}
	if copied == "" || entry != `["`+copied+`"]` {
		t.Errorf("the final stage copies %s to %q and its ENTRYPOINT is %s", out[1], copied, entry)
	}

	// Every directory the build reads (packages and what they embed) is
	// in the build context.
	ignore, err := os.ReadFile(filepath.Join(root, ".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	var top, anywhere []string
	for _, p := range strings.Split(string(ignore), "\n") {
		p = strings.TrimSpace(p)
		switch {
		case p == "" || strings.HasPrefix(p, "#"):
		case strings.HasPrefix(p, "**/") && !strings.ContainsAny(p[3:], "/*?[!"):
			anywhere = append(anywhere, p[3:])
		case !strings.ContainsAny(p, "/*?[!"):
			top = append(top, p)
		default:
			t.Fatalf(".dockerignore pattern %q: this test knows names at the top and **/name only", p)
		}
	}
	list, err := exec.Command("go", "list", "-deps", "-f", `{{if .Module}}{{if eq .Module.Path "github.com/perfcase/perfcase"}}{{.Dir}}{{range .EmbedFiles}} {{$.Dir}}/{{.}}{{end}}{{end}}{{end}}`, ".").Output()
	if err != nil {
		t.Fatal(err)
	}
	absRoot, _ := filepath.Abs(root)
	for _, p := range strings.Fields(string(list)) {
		rel, _ := filepath.Rel(absRoot, p)
		parts := strings.Split(filepath.ToSlash(rel), "/")
		for _, name := range top {
			if parts[0] == name {
				t.Errorf(".dockerignore leaves out %s, which the build reads", rel)
			}
		}
		for _, name := range anywhere {
			for _, part := range parts {
				if part == name {
					t.Errorf(".dockerignore leaves out %s, which the build reads", rel)
				}
			}
		}
	}

	if testing.Short() {
		t.Skip("-short: not building the image's binary")
	}
	bin := path.Join(filepath.ToSlash(t.TempDir()), "perfcase")
	cmd := exec.Command("sh", "-c", strings.Replace(build, " -o "+out[1]+" ", " -o "+bin+" ", 1))
	cmd.Dir = root
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", build, err, msg)
	}
	v, err := exec.Command(bin, "version").Output()
	if err != nil || !strings.HasPrefix(string(v), "perfcase ") {
		t.Errorf("the built perfcase version: %q, %v", v, err)
	}
}
