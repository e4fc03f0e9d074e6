package runner

import (
	"os"
	"strings"
	"testing"
)

// CheckMachine refuses, at the stage that asks for the most, a plan whose
// VUs need more open files or memory than the machine has, naming the
// need, the limit and how to raise it.
func TestCheckMachine(t *testing.T) {
	const mib = 1 << 20
	tests := []struct {
		name   string
		stages string // the case's stages
		steps  string // default: one GET to ${base}
		m      Machine
		want   []string // substrings of the errors, in order; none: no error
	}{
		{
			name:   "within both",
			stages: "[{concurrency: 1000, duration: 1m}]",
			m:      Machine{OpenFiles: 20_000, OpenFilesHard: 20_000, Memory: 1 << 30},
		},
		{
			name:   "files, hard limit too low",
			stages: "[{concurrency: 10, duration: 1m}, {name: big, concurrency: 50000, duration: 1m}]",
			m:      Machine{OpenFiles: 20_000, OpenFilesHard: 20_000, Memory: 1 << 40},
			want: []string{`s.yaml:5:59: case "c", stage "big": 50,000 VUs keeping 1 connection each need 50,256 open files (256 kept for the rest); this process may open 20,000`,
				"hint: raise the hard limit (ulimit -Hn, now 20,000) to 50256"},
		},
		{
			name:   "files, soft limit only",
			stages: "[{concurrency: 5000, duration: 1m}]",
			m:      Machine{OpenFiles: 1024, OpenFilesHard: 1 << 20},
			want:   []string{"need 5,256 open files", "hint: raise the limit in the shell that runs perfcase: ulimit -n 5256"},
		},
		{
			name:   "connections per endpoint",
			stages: "[{concurrency: 5000, duration: 1m}]",
			steps:  `[{http: "${base}/a"}, {http: "${base}/b?x=1"}, {http: "http://other:8080/x"}, {tcp: {address: "127.0.0.1:9"}}]`,
			m:      Machine{OpenFiles: 15_000, OpenFilesHard: 15_000},
			want:   []string{"5,000 VUs keeping 3 connections each need 15,256 open files"},
		},
		{
			// HTTP/1.1 lanes of a together: step keep a connection each;
			// HTTP/2's share the VU's one, which is apart from HTTP/1.1's.
			name:   "connections of requests sent together",
			stages: "[{concurrency: 5000, duration: 1m}]",
			steps:  `[{together: [{http: "${base}/a"}, {http: "${base}/b"}, {http: "${base}/c"}]}, {together: [{http: {url: "${base}/a", version: "2"}}, {http: {url: "${base}/b", version: "2"}}]}]`,
			m:      Machine{OpenFiles: 20_000, OpenFilesHard: 20_000},
			want:   []string{"5,000 VUs keeping 4 connections each need 20,256 open files"},
		},
		{
			name:   "memory",
			stages: "[{surge_concurrency: {min: 1, max: 100000, loops: 1, hold: 10s}, duration: 1m}]",
			m:      Machine{Memory: 512 * mib, MemoryFrom: "the memory limit of cgroup /x"},
			want:   []string{`s.yaml:5:43: case "c", stage "surge_concurrency": 100,000 VUs need about 2.0 GiB of memory (20 KiB per VU, 64.0 MiB for the rest); 512.0 MiB is available (the memory limit of cgroup /x)`},
		},
		{
			// A VU's memory counts its sessions' as their drivers
			// declare them: an HLS viewer's buffered segments weigh far
			// more than an HTTP connection.
			name:   "memory of streaming viewers",
			stages: "[{concurrency: 5000, duration: 1m}]",
			steps:  `[{hls: {url: "${base}/hls/master.m3u8", duration: 10s}}]`,
			m:      Machine{Memory: 512 * mib, MemoryFrom: "MemAvailable"},
			want:   []string{`5,000 VUs need about 767.1 MiB of memory (144 KiB per VU, 64.0 MiB for the rest); 512.0 MiB is available`},
		},
		{
			name:   "memory of an HTTP/2 and an MQTT session",
			stages: "[{concurrency: 5000, duration: 1m}]",
			steps:  `[{http: {url: "${base}/", version: "2"}}, {mqtt: {broker: "tcp://127.0.0.1:1883", connect: true}}]`,
			m:      Machine{Memory: 512 * mib, MemoryFrom: "MemAvailable"},
			want:   []string{`5,000 VUs need about 1.2 GiB of memory (240 KiB per VU, 64.0 MiB for the rest)`},
		},
		{
			name:   "max_vus of a rate stage",
			stages: "[{tps: 100, max_vus: 30000, duration: 1m}]",
			m:      Machine{OpenFiles: 20_000, OpenFilesHard: 20_000},
			want:   []string{`s.yaml:5:25: case "c", stage "tps": 30,000 VUs`},
		},
		{
			name:   "a rate stage without max_vus grows only as far as the machine holds",
			stages: "[{tps: 1000000, duration: 1m}]",
			m:      Machine{OpenFiles: 1024, OpenFilesHard: 1024, Memory: 100 * mib},
		},
		{
			name:   "unknown limits are not checked",
			stages: "[{concurrency: 1000000, duration: 1m}]",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			steps := tt.steps
			if steps == "" {
				steps = `[{http: "${base}/"}]`
			}
			plan := compile(t, "name: m\ncases:\n  - name: c\n    steps: "+steps+"\n    stages: "+tt.stages+"\n", "http://127.0.0.1:9", nil)
			got := CheckMachine(plan, tt.m).Error()
			if len(tt.want) == 0 {
				if errs := CheckMachine(plan, tt.m); len(errs) > 0 {
					t.Errorf("CheckMachine = %v, want no error", errs)
				}
				return
			}
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("CheckMachine =\n%s\nwant %q in it", got, w)
				}
			}
		})
	}
}

// Cases that run in parallel need their peaks together; in series, one
// case's VUs are gone before the next starts.
func TestCheckMachineParallelCases(t *testing.T) {
	src := `
name: m
parallel: %s
cases:
  - name: a
    steps: [{http: "${base}/"}]
    stages: [{concurrency: 12000, duration: 1m}]
  - name: b
    steps: [{http: "${base}/"}]
    stages: [{name: big, concurrency: 15000, duration: 1m}]
`
	m := Machine{OpenFiles: 20_000, OpenFilesHard: 20_000}
	if errs := CheckMachine(compile(t, strings.Replace(src, "%s", "false", 1), "http://127.0.0.1:9", nil), m); len(errs) > 0 {
		t.Errorf("serial cases: %v", errs)
	}
	errs := CheckMachine(compile(t, strings.Replace(src, "%s", "true", 1), "http://127.0.0.1:9", nil), m)
	want := `s.yaml:10:26: cases running in parallel, "b" 15,000 (stage "big") + "a" 12,000 (stage "concurrency"): 27,000 VUs keeping 1 connection each need 27,256 open files`
	if len(errs) != 1 || !strings.Contains(errs.Error(), want) {
		t.Errorf("parallel cases: %v\nwant %q", errs, want)
	}
}

// The most VUs a machine holds follows the tighter of its limits.
func TestMaxVUs(t *testing.T) {
	http := vuNeed{conns: 1, mem: 20 << 10}
	tests := []struct {
		m    Machine
		need vuNeed
		want int
	}{
		{Machine{}, http, 10_000},
		{Machine{OpenFiles: 20_256}, http, 20_000},
		{Machine{OpenFiles: 20_256}, vuNeed{conns: 2, mem: 24 << 10}, 10_000},
		{Machine{OpenFiles: 1 << 40}, http, 1_000_000},
		{Machine{OpenFiles: 1 << 40, Memory: 64<<20 + 1000*20<<10}, http, 1000},
		{Machine{OpenFiles: 1 << 40, Memory: 64<<20 + 1000*20<<10}, vuNeed{conns: 1, mem: 144 << 10}, 138},
		{Machine{OpenFiles: 100}, http, 64},
	}
	for _, tt := range tests {
		if got := tt.m.maxVUs(tt.need); got != tt.want {
			t.Errorf("%+v.maxVUs(%+v) = %d, want %d", tt.m, tt.need, got, tt.want)
		}
	}
}

// The limits of this process are read: a real number of open files, and,
// on Linux, the memory available.
func TestThisMachine(t *testing.T) {
	m := ThisMachine()
	t.Logf("%+v", m)
	if m.OpenFiles < 64 || m.OpenFilesHard < m.OpenFiles {
		t.Errorf("open files %d, hard %d", m.OpenFiles, m.OpenFilesHard)
	}
	if _, err := os.Stat("/proc/meminfo"); err == nil && (m.Memory <= 0 || m.MemoryFrom == "") {
		t.Errorf("memory %d from %q with /proc/meminfo present", m.Memory, m.MemoryFrom)
	}
}
