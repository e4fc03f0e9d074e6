//go:build unix

package runner

import "syscall"

// openFiles returns the open-files limit of this process and its hard
// limit. Go raises the first to the second when a program starts, so
// raising the hard limit is what makes room.
func openFiles() (soft, hard int64) {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return 0, 0
	}
	return clampLimit(rl.Cur), clampLimit(rl.Max)
}

// clampLimit turns RLIM_INFINITY (the largest uint64) into a number that
// stays positive as an int64.
func clampLimit(v uint64) int64 {
	return int64(min(v, 1<<62))
}
