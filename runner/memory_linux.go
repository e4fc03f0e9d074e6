//go:build linux

package runner

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// availableMemory returns the bytes this process may still take, and
// where the figure comes from: the kernel's MemAvailable (what can be
// given without swapping), or less when the process's cgroup has a memory
// limit nearer than that, as in a container.
func availableMemory() (int64, string) {
	return memoryRoom("/proc/meminfo", "/proc/self/cgroup", "/sys/fs/cgroup")
}

// memoryRoom is availableMemory with its files named, for tests.
func memoryRoom(meminfo, selfCgroup, cgroupRoot string) (int64, string) {
	avail, from := memAvailable(meminfo), "MemAvailable in "+meminfo
	if room, dir := cgroupRoom(selfCgroup, cgroupRoot); room >= 0 && (avail == 0 || room < avail) {
		avail, from = max(room, 1), "the memory limit of cgroup "+dir
	}
	return avail, from
}

// memAvailable reads MemAvailable from /proc/meminfo; 0 when unknown.
func memAvailable(path string) int64 {
	kb := statValue(path, "MemAvailable:")
	return kb * 1024
}

// noLimit is past any real memory limit: cgroup v1 writes "no limit" as
// a number near 2^63.
const noLimit = 1 << 60

// cgroupRoom is what the tightest memory limit among the process's cgroup
// and its ancestors leaves: the limit, less the usage that cannot be
// reclaimed (page cache not recently used can be). It returns -1 when no
// cgroup limits memory.
func cgroupRoom(selfCgroup, root string) (int64, string) {
	data, err := os.ReadFile(selfCgroup)
	if err != nil {
		return -1, ""
	}
	best, bestDir := int64(-1), ""
	consider := func(room int64, dir string) {
		if best < 0 || room < best {
			best, bestDir = room, dir
		}
	}
	for line := range strings.Lines(string(data)) {
		// hierarchy-ID:controllers:path
		parts := strings.SplitN(strings.TrimSpace(line), ":", 3)
		if len(parts) != 3 {
			continue
		}
		switch {
		case parts[0] == "0" && parts[1] == "":
			// cgroup v2: every ancestor's memory.max bounds the process.
			base := root
			if _, err := os.Stat(filepath.Join(root, "cgroup.controllers")); err != nil {
				base = filepath.Join(root, "unified") // hybrid layout
			}
			for dir := cgroupDir(base, parts[2]); ; dir = filepath.Dir(dir) {
				if limit := fileNumber(filepath.Join(dir, "memory.max")); limit > 0 && limit < noLimit {
					used := fileNumber(filepath.Join(dir, "memory.current")) - statValue(filepath.Join(dir, "memory.stat"), "inactive_file")
					consider(limit-max(used, 0), dir)
				}
				if len(dir) <= len(base) {
					break
				}
			}
		case containsController(parts[1], "memory"):
			// cgroup v1: memory.stat holds the limit its ancestors set too.
			dir := cgroupDir(filepath.Join(root, "memory"), parts[2])
			limit := fileNumber(filepath.Join(dir, "memory.limit_in_bytes"))
			stat := filepath.Join(dir, "memory.stat")
			if h := statValue(stat, "hierarchical_memory_limit"); h > 0 && (limit <= 0 || h < limit) {
				limit = h
			}
			if limit > 0 && limit < noLimit {
				used := fileNumber(filepath.Join(dir, "memory.usage_in_bytes")) - statValue(stat, "total_inactive_file")
				consider(limit-max(used, 0), dir)
			}
		}
	}
	return best, bestDir
}

// cgroupDir is where a cgroup's files are. Inside a container the
// process's own cgroup is often mounted at the root, while
// /proc/self/cgroup still names its path on the host.
func cgroupDir(mount, path string) string {
	dir := filepath.Join(mount, path)
	if _, err := os.Stat(dir); err != nil {
		return mount
	}
	return dir
}

func containsController(list, name string) bool {
	for c := range strings.SplitSeq(list, ",") {
		if c == name {
			return true
		}
	}
	return false
}

// fileNumber reads a file holding one number; 0 when it cannot ("max"
// included).
func fileNumber(path string) int64 {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	n, _ := strconv.ParseInt(string(bytes.TrimSpace(data)), 10, 64)
	return n
}

// statValue reads the number after key in a file of "key value" lines
// (memory.stat, /proc/meminfo); 0 when absent.
func statValue(path, key string) int64 {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == key {
			n, _ := strconv.ParseInt(fields[1], 10, 64)
			return n
		}
	}
	return 0
}
