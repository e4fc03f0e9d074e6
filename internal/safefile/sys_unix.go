//go:build unix

package safefile

import (
	"io/fs"
	"syscall"
)

const (
	oNoFollow = syscall.O_NOFOLLOW
	// A FIFO planted at the path must not block the open.
	oNonBlock = syscall.O_NONBLOCK
)

// umask is the process's file-mode creation mask, read once at start:
// reading it means setting it, which must not race with files being
// created, and nothing creates files while packages initialise.
var umask = func() fs.FileMode {
	m := syscall.Umask(0o022)
	syscall.Umask(m)
	return fs.FileMode(m)
}()
