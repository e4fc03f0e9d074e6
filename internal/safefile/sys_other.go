//go:build !unix

package safefile

import "io/fs"

const (
	oNoFollow = 0
	oNonBlock = 0
)

// umask: systems without one get os.Create's 0644 as it is.
var umask fs.FileMode = 0
