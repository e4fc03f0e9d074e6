//go:build linux

package runner

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The memory a process may take is the least of MemAvailable and what
// the memory limits of its cgroup and the cgroup's ancestors leave, page
// cache that can be reclaimed counted as free; in cgroup v1 and v2.
func TestMemoryRoom(t *testing.T) {
	const mib = 1 << 20
	meminfo := "MemTotal:       24683772 kB\nMemFree:        23000000 kB\nMemAvailable:    4194304 kB\n" // 4 GiB
	tests := []struct {
		name     string
		cgroup   string // /proc/self/cgroup
		files    map[string]string
		want     int64
		wantFrom string
	}{
		{"no cgroup limit", "0::/\n", map[string]string{"cgroup.controllers": "memory"}, 4096 * mib, "MemAvailable"},
		{"v2 limit", "0::/app/job\n", map[string]string{
			"cgroup.controllers":     "memory",
			"app/job/memory.max":     "1073741824\n",
			"app/job/memory.current": "314572800\n",
			"app/job/memory.stat":    "anon 1\ninactive_file 104857600\nactive_file 5\n",
			"app/memory.max":         "max\n",
			"app/memory.current":     "999999999\n",
		}, (1024 - 300 + 100) * mib, "sys/app/job"},
		{"v2 parent limit is tighter", "0::/app/job\n", map[string]string{
			"cgroup.controllers":     "memory",
			"app/job/memory.max":     "max\n",
			"app/job/memory.current": "1\n",
			"app/memory.max":         "536870912\n",
			"app/memory.current":     "268435456\n",
		}, 256 * mib, "sys/app"},
		{"v2 path from the host, own cgroup at the root", "0::/docker/abc\n", map[string]string{
			"cgroup.controllers": "memory",
			"memory.max":         "209715200\n",
			"memory.current":     "0\n",
		}, 200 * mib, "sys"},
		{"v1 limit", "4:memory:/process_api/x\n1:cpu:/\n", map[string]string{
			"memory/process_api/x/memory.limit_in_bytes": "2147483648\n",
			"memory/process_api/x/memory.usage_in_bytes": "1073741824\n",
			"memory/process_api/x/memory.stat":           "cache 1\nhierarchical_memory_limit 9223372036854771712\ntotal_inactive_file 536870912\n",
		}, 1536 * mib, "sys/memory/process_api/x"},
		{"v1 ancestor limit", "4:cpu,memory:/a\n", map[string]string{
			"memory/a/memory.limit_in_bytes": "9223372036854771712\n",
			"memory/a/memory.usage_in_bytes": "104857600\n",
			"memory/a/memory.stat":           "hierarchical_memory_limit 314572800\ntotal_inactive_file 0\n",
		}, 200 * mib, "sys/memory/a"},
		{"v1 no limit", "4:memory:/\n", map[string]string{
			"memory/memory.limit_in_bytes": "9223372036854771712\n",
			"memory/memory.usage_in_bytes": "1\n",
		}, 4096 * mib, "MemAvailable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			root := filepath.Join(dir, "sys")
			writeTree(t, dir, map[string]string{"meminfo": meminfo, "self_cgroup": tt.cgroup})
			writeTree(t, root, tt.files)
			got, from := memoryRoom(filepath.Join(dir, "meminfo"), filepath.Join(dir, "self_cgroup"), root)
			if got != tt.want || !strings.Contains(from, tt.wantFrom) {
				t.Errorf("memoryRoom = %d MiB from %q, want %d MiB from %q", got/mib, from, tt.want/mib, tt.wantFrom)
			}
		})
	}
}

// writeTree writes files under dir: path → content.
func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for p, data := range files {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
