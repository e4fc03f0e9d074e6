// Package safefile writes the files perfcase outputs: reports, summaries,
// converted scenarios, profiles. Every output file goes through it, so that
// each one is either written whole or not at all:
//
//   - Check runs before the work that produces a file and does what Write
//     will do in the file's directory (creates and removes a temporary
//     file), so that a file that cannot be written is known before a long
//     run, not after it. It creates nothing that stays.
//   - Write writes to a temporary file that os.CreateTemp makes in the
//     target's directory (O_EXCL and a random name: no planted symbolic
//     link is followed), syncs it to disk and renames it over the target.
//     A reader sees the old file or the new one, never half of one; a
//     process killed while writing leaves the old file, and at most a
//     temporary file that Write removes on any error it sees.
//   - Append adds to a file that belongs to someone else (GitHub's
//     $GITHUB_STEP_SUMMARY): with O_APPEND, never through a symbolic link,
//     and creating the file only when no file of that name exists.
//
// A replaced file keeps its permission bits (a 0600 report stays 0600); a
// new file gets 0644 less the umask, as os.Create would give it. A
// symbolic link at the target is replaced by the file, not followed; a
// target that is a directory, device, pipe or socket is refused.
package safefile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Check reports whether Write can write path: the directory exists and
// takes new files, and path is not something other than a regular file
// or a symbolic link. It leaves the directory as it found it.
func Check(path string) error {
	if _, err := targetMode(path); err != nil {
		return err
	}
	dir := dirOf(path)
	f, err := os.CreateTemp(dir, tempPattern(path))
	if err != nil {
		return dirError(dir, err)
	}
	name := f.Name()
	f.Close()
	if err := os.Remove(name); err != nil {
		return fmt.Errorf("cannot remove the test file %s: %v", name, unwrap(err))
	}
	return nil
}

// Write replaces path with data, atomically (see the package comment).
func Write(path string, data []byte) (err error) {
	mode, err := targetMode(path)
	if err != nil {
		return err
	}
	dir := dirOf(path)
	f, err := os.CreateTemp(dir, tempPattern(path))
	if err != nil {
		return dirError(dir, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if _, err = f.Write(data); err != nil {
		return unwrap(err)
	}
	// CreateTemp makes the file 0600; give it the mode the target has or
	// would have got from os.Create.
	if err = f.Chmod(mode); err != nil {
		return unwrap(err)
	}
	// Synced before the rename, so that a crash right after it cannot
	// leave an empty file under the target's name.
	if err = f.Sync(); err != nil {
		return unwrap(err)
	}
	if err = f.Close(); err != nil {
		return unwrap(err)
	}
	if err = rename(tmp, path); err != nil {
		return unwrap(err)
	}
	syncDir(dir)
	return nil
}

// CheckAppend reports whether Append can append to path: an existing
// regular file that opens for appending, or a name that is free in a
// directory that takes new files.
func CheckAppend(path string) error {
	st, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Check(path)
	}
	if err != nil {
		return unwrap(err)
	}
	if !st.Mode().IsRegular() {
		return notAppendable(st)
	}
	f, err := openAppend(path)
	if err != nil {
		return err
	}
	return f.Close()
}

// Append writes data at the end of path in one write. An existing file
// must be a regular file and is opened with O_APPEND and without
// following a symbolic link; a missing one is created with O_EXCL, so
// that a link planted meanwhile is not followed either.
func Append(path string, data []byte) error {
	f, err := openAppend(path)
	if errors.Is(err, fs.ErrNotExist) {
		f, err = os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			err = unwrap(err)
		}
	}
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return unwrap(err)
	}
	return nil
}

// openAppend opens an existing regular file for appending, refusing a
// symbolic link (oNoFollow) and anything that is not a regular file once
// open, so that the check and the write look at the same file.
func openAppend(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|oNoFollow|oNonBlock, 0)
	if err != nil {
		if st, lerr := os.Lstat(path); lerr == nil && st.Mode()&fs.ModeSymlink != 0 {
			return nil, notAppendable(st)
		}
		if errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		return nil, unwrap(err)
	}
	st, err := f.Stat()
	if err == nil && !st.Mode().IsRegular() {
		err = notAppendable(st)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

func notAppendable(st fs.FileInfo) error {
	if st.Mode()&fs.ModeSymlink != 0 {
		return errors.New("it is a symbolic link; perfcase appends only to a regular file, never through a link")
	}
	return errors.New("it is not a regular file")
}

// targetMode is the permission a file written to path gets: the existing
// file's, or os.Create's default. Targets that a rename must not replace
// are refused.
func targetMode(path string) (fs.FileMode, error) {
	st, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return 0o644 &^ umask, nil
	case err != nil:
		return 0, unwrap(err)
	case st.IsDir():
		return 0, errors.New("it is a directory; name a file")
	case st.Mode().IsRegular():
		return st.Mode().Perm(), nil
	case st.Mode()&fs.ModeSymlink != 0:
		// Replaced, not followed: the link's target is never written.
		return 0o644 &^ umask, nil
	}
	return 0, errors.New("it is not a regular file (a device, pipe or socket); name a file")
}

// rename is os.Rename; tests make it fail to see the temporary file go.
var rename = os.Rename

func dirOf(path string) string { return filepath.Dir(path) }

// tempPattern names temporary files after their target, hidden, so that a
// left-over one (from a killed process) says where it came from.
func tempPattern(path string) string { return "." + filepath.Base(path) + ".*.tmp" }

func dirError(dir string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("directory %s does not exist", dir)
	}
	return fmt.Errorf("cannot create files in directory %s: %v", dir, unwrap(err))
}

// unwrap drops the path from an *os.PathError: callers name the file.
func unwrap(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}

// syncDir makes the rename durable. It is best effort: some systems
// cannot sync a directory, and the file itself is already complete.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
