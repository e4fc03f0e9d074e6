//go:build unix

package runner

import "syscall"

// vuLimit is the most VUs a rate stage without max_vus, or a manual
// target, may grow to: each VU holds at least one connection, so the
// open-files limit (less room for everything else) bounds them.
func vuLimit() int {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil || rl.Cur == 0 {
		return 10_000
	}
	return int(min(max(int64(rl.Cur)-256, 64), 1_000_000))
}
