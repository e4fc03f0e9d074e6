package protocols

import (
	"errors"
	"strings"
	"testing"

	"github.com/perfcase/perfcase/scenario"
)

// compileSteps compiles one case whose steps are kind: mappings (flow
// style, one per element) and returns their request nodes in order. sets
// are inlined at compile time (${base}, ${addr}); v is a list variable,
// rendered per request through the test's scope.
func compileSteps(t testing.TB, kind string, sets map[string]string, steps ...string) []*scenario.RequestNode {
	t.Helper()
	var b strings.Builder
	b.WriteString("name: t\nvariables: {v: [a, b]}\ncases:\n  - name: c\n    steps:\n")
	for _, st := range steps {
		b.WriteString("      - " + kind + ": " + st + "\n")
	}
	b.WriteString("    stages: [{concurrency: 1, count: 1}]\n")
	f, err := scenario.Parse("t.yaml", []byte(b.String()))
	if err != nil {
		t.Fatalf("parse: %v\n%s", err, b.String())
	}
	plan, err := scenario.Compile(f, scenario.Options{
		Set:       sets,
		LookupEnv: func(string) (string, bool) { return "", false },
		ReadFile:  func(string) ([]byte, error) { return nil, errors.New("no files in tests") },
	})
	if err != nil {
		t.Fatalf("compile: %v\n%s", err, b.String())
	}
	out := make([]*scenario.RequestNode, len(plan.Cases[0].Steps))
	for i, n := range plan.Cases[0].Steps {
		out[i] = n.(*scenario.RequestNode)
	}
	return out
}
