package scenario

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Compile errors never show a sensitive value, wherever it came from (the
// file, --set, a data file), in any case or quoted; a caret keeps
// pointing at its character in a masked line.
func TestCompileErrorsMaskSensitiveValues(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "users.csv"), []byte("user,password\nalice,Sesame-Open-1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "s.yaml")
	src := `name: s
variables:
  host: {value: "Inner-Host.example", sensitive: true}
  apikey: {value: placeholder, sensitive: true}
  users: {type: file, path: users.csv, sensitive: true}
cases:
  - name: c
    steps:
      - http: {url: "${host}/a"}
      - http: {url: "${apikey}/b"}
      - http: {url: "http://127.0.0.1/", method: GET, body: "x"}
        check: ['body contains "Inner-Host.example" && body contains "sesame-open-1" && stauts == 200']
    stages: [{concurrency: 1, count: 1}]
`
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(p, Options{Set: map[string]string{"apikey": "K3y/With Space"}, LookupEnv: func(string) (string, bool) { return "", false }})
	var list ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("Load = %v, want errors", err)
	}
	text := list.Error()
	for _, want := range []string{
		`url "***/a" has no http:// or https:// scheme`,
		`url "***/b" has no http:// or https:// scheme`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("errors lack %q:\n%s", want, text)
		}
	}
	for _, secret := range []string{"inner-host.example", "k3y/with space", "k3y%2fwith+space", "sesame-open-1"} {
		if strings.Contains(strings.ToLower(text), secret) {
			t.Errorf("errors show %q:\n%s", secret, text)
		}
	}
	// The check's line quotes the host: masked, the caret still under
	// "stauts".
	for _, e := range list {
		if strings.Contains(e.Msg, "stauts") {
			if e.Source != `        check: ['body contains "***" && body contains "***" && stauts == 200']` {
				t.Errorf("source line %q", e.Source)
			}
			if got := []rune(e.Source)[e.Caret-1:]; !strings.HasPrefix(string(got), "stauts") {
				t.Errorf("the caret points at %q", string(got))
			}
		}
	}
}
