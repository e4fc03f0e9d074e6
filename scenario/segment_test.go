package scenario

import (
	"strings"
	"testing"
)

// What needs every part of a split run at once is refused, each at its
// place in the file, all at once; the rest of the file splits.
func TestCheckSegment(t *testing.T) {
	plan, err := compileSnippet(`name: s
cases:
  - name: c
    sla:
      - {name: slow, kpi: avg_rt < 1s, action: stop}
      - {name: flag, kpi: avg_rt < 2s}
    steps:
      - rendezvous: {name: big, users: 4}
      - rendezvous: {name: small, users: 3}
      - http: {url: "http://127.0.0.1/"}
    stages:
      - {concurrency: 12, duration: 1m}
      - {concurrency: 12, duration: 1m, manual: true}
      - {peak_probe: {start: 1, max: 10, ramp_up: 1m, kpis: avg_rt < 1s}, duration: 2m}
      - {step_probe: {start: 1, max: 10, step_size: 1, step_duration: 1m, kpis: avg_rt < 1s}, duration: 2m}
  - name: open
    steps:
      - rendezvous: {name: unbounded, users: 50}
      - http: {url: "http://127.0.0.1/"}
    stages: [{tps: 100, duration: 1m}]
  - name: few
    steps: [{http: {url: "http://127.0.0.1/"}}]
    stages:
      - {concurrency: 3, count: 10}
      - {concurrency: 3, duration: 1m}
      - {tps: 10, duration: 1m, max_vus: 2}
`)
	if err != nil {
		t.Fatal(err)
	}
	if errs := plan.CheckSegment(1); errs != nil {
		t.Errorf("one part refuses %v", errs)
	}
	errs := plan.CheckSegment(4)
	want := []string{
		`snippet.yaml:5:9: case "c": SLA rule "slow" stops the run`,
		`snippet.yaml:8:9: case "c": rendezvous "big" waits for 4 users, but split in 4 parts the smallest part has 3 VUs`,
		`snippet.yaml:13:41: case "c": a manual stage cannot run with --segment`,
		`snippet.yaml:14:9: case "c": peak_probe cannot run with --segment`,
		`snippet.yaml:15:9: case "c": step_probe cannot run with --segment`,
		`snippet.yaml:24:10: case "few": a count stage of 3 VUs cannot run split in 4 parts`,
		`snippet.yaml:26:33: case "few": max_vus 2 cannot be split in 4 parts`,
	}
	if len(errs) != len(want) {
		t.Fatalf("got %d errors, want %d:\n%v", len(errs), len(want), errs)
	}
	for i, w := range want {
		if got := errs[i].Error(); !strings.HasPrefix(got, w) || errs[i].Hint == "" {
			t.Errorf("error %d:\n got %s\nwant %s… with a hint", i, got, w)
		}
	}
}

// --segment I/N, and I alone with N from user_replicas, which every case
// that sets it must agree on.
func TestParseSegment(t *testing.T) {
	plan := func(replicas ...int) *Plan {
		p := &Plan{}
		for _, r := range replicas {
			p.Cases = append(p.Cases, &CasePlan{Name: "c", Replicas: r})
		}
		return p
	}
	for _, tt := range []struct {
		text string
		plan *Plan
		want Segment
		err  string
	}{
		{"0/4", plan(), Segment{0, 4}, ""},
		{"3/4", plan(2), Segment{3, 4}, ""},
		{"2", plan(0, 3), Segment{2, 3}, ""},
		{"4/4", plan(), Segment{}, "I counts from 0"},
		{"3", plan(3), Segment{}, "I counts from 0"},
		{"1", plan(), Segment{}, "no case sets user_replicas"},
		{"1", plan(2, 3), Segment{}, "different user_replicas"},
		{"a/4", plan(), Segment{}, "want I/N"},
		{"-1/4", plan(), Segment{}, "want I/N"},
		{"0/0", plan(), Segment{}, "N must be"},
		{"0/10001", plan(), Segment{}, "at most 10000"},
	} {
		got, err := ParseSegment(tt.text, tt.plan)
		if tt.err == "" && (err != nil || got != tt.want) || tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("ParseSegment(%q) = %v, %v; want %v, %q", tt.text, got, err, tt.want, tt.err)
		}
	}
}
