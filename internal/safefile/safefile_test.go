package safefile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/perfcase/perfcase/internal/testsupport"
)

func names(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func mode(t *testing.T, path string) fs.FileMode {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Mode().Perm()
}

// A new file gets what os.Create gives: 0644 less the umask; nothing but
// the file is left in the directory.
func TestWriteNewFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "report.json")
	if err := Write(p, []byte("new")); err != nil {
		t.Fatal(err)
	}
	viaCreate := filepath.Join(t.TempDir(), "c")
	f, err := os.Create(viaCreate)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if got, want := mode(t, p), mode(t, viaCreate); got != want {
		t.Errorf("mode %v, os.Create gives %v", got, want)
	}
	if got := read(t, p); got != "new" {
		t.Errorf("content %q", got)
	}
	if n := names(t, dir); !slices.Equal(n, []string{"report.json"}) {
		t.Errorf("directory holds %v", n)
	}
}

// Replacing a 0600 report keeps it 0600 (and any other mode as it was).
func TestWriteKeepsMode(t *testing.T) {
	for _, m := range []fs.FileMode{0o600, 0o640, 0o664} {
		p := filepath.Join(t.TempDir(), "report.json")
		if err := os.WriteFile(p, []byte("old"), m); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, m); err != nil { // the umask may have cut it
			t.Fatal(err)
		}
		if err := Write(p, []byte("new")); err != nil {
			t.Fatal(err)
		}
		if got := mode(t, p); got != m {
			t.Errorf("an existing %v file became %v", m, got)
		}
		if got := read(t, p); got != "new" {
			t.Errorf("content %q", got)
		}
	}
}

// A symbolic link planted at the name the old code used for its
// temporary file (<out>.tmp), or at the target itself, is never written
// through: the file it points at is unchanged.
func TestWriteDoesNotFollowPlantedLinks(t *testing.T) {
	dir := t.TempDir()
	victim := filepath.Join(t.TempDir(), "victim")
	if err := os.WriteFile(victim, []byte("precious"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "report.json")
	if err := os.Symlink(victim, out+".tmp"); err != nil {
		t.Fatal(err)
	}
	if err := Write(out, []byte("report")); err != nil {
		t.Fatal(err)
	}
	if got := read(t, victim); got != "precious" {
		t.Fatalf("the link's target was written: %q", got)
	}
	if got := read(t, out); got != "report" {
		t.Errorf("report %q", got)
	}
	// A link at the target is replaced by the file.
	linked := filepath.Join(dir, "linked.json")
	if err := os.Symlink(victim, linked); err != nil {
		t.Fatal(err)
	}
	if err := Check(linked); err != nil {
		t.Fatal(err)
	}
	if err := Write(linked, []byte("report")); err != nil {
		t.Fatal(err)
	}
	if got := read(t, victim); got != "precious" {
		t.Fatalf("the link's target was written: %q", got)
	}
	if st, err := os.Lstat(linked); err != nil || !st.Mode().IsRegular() {
		t.Errorf("the link was not replaced by a file: %v %v", st, err)
	}
}

// A file that cannot be written is found by Check before the work, and
// Check leaves nothing behind.
func TestCheck(t *testing.T) {
	dir := t.TempDir()
	if err := Check(filepath.Join(dir, "new.json")); err != nil {
		t.Errorf("a new file in a writable directory: %v", err)
	}
	if n := names(t, dir); len(n) != 0 {
		t.Errorf("Check left %v", n)
	}
	for _, c := range []struct{ path, want string }{
		{filepath.Join(dir, "missing", "r.json"), "directory " + filepath.Join(dir, "missing") + " does not exist"},
		{dir, "it is a directory"},
		{os.DevNull, "not a regular file"},
	} {
		if err := Check(c.path); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Check(%s) = %v, want %q", c.path, err, c.want)
		}
		if err := Write(c.path, []byte("x")); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Write(%s) = %v, want %q", c.path, err, c.want)
		}
	}
}

// A writable file in a directory the user cannot write: a rename there
// fails, so Check must fail too, before the run, and not only the write
// after it.
func TestCheckWritableFileInUnwritableDir(t *testing.T) {
	if !testsupport.Unprivileged(t) {
		return
	}
	dir := filepath.Join(t.TempDir(), "ro")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "report.json")
	if err := os.WriteFile(p, []byte("old"), 0o666); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, 0o666); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o555); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(dir, 0o755) })
	f, err := os.OpenFile(p, os.O_WRONLY, 0)
	if err != nil {
		t.Fatalf("the file itself should be writable: %v", err)
	}
	f.Close()
	want := "cannot create files in directory " + dir + ": permission denied"
	if err := Check(p); err == nil || err.Error() != want {
		t.Errorf("Check = %v, want %q", err, want)
	}
	if err := Write(p, []byte("new")); err == nil || err.Error() != want {
		t.Errorf("Write = %v, want %q", err, want)
	}
	if got := read(t, p); got != "old" {
		t.Errorf("the file became %q", got)
	}
}

// A write that fails after the temporary file was made removes it and
// leaves the target as it was.
func TestWriteRemovesTempOnError(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "report.json")
	if err := os.WriteFile(p, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	rename = func(string, string) error { return errors.New("disk on fire") }
	t.Cleanup(func() { rename = os.Rename })
	if err := Write(p, []byte("new")); err == nil || err.Error() != "disk on fire" {
		t.Errorf("Write = %v", err)
	}
	if n := names(t, dir); !slices.Equal(n, []string{"report.json"}) {
		t.Errorf("directory holds %v", n)
	}
	if got := read(t, p); got != "old" {
		t.Errorf("the file became %q", got)
	}
}

// Append adds to an existing file, creates a missing one, and never
// writes through a symbolic link.
func TestAppend(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "step_summary")
	if err := CheckAppend(p); err != nil {
		t.Fatal(err)
	}
	if n := names(t, dir); len(n) != 0 {
		t.Errorf("CheckAppend left %v", n)
	}
	if err := Append(p, []byte("one\n")); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := CheckAppend(p); err != nil {
		t.Fatal(err)
	}
	if err := Append(p, []byte("two\n")); err != nil {
		t.Fatal(err)
	}
	if got := read(t, p); got != "one\ntwo\n" {
		t.Errorf("content %q", got)
	}
	if got := mode(t, p); got != 0o600 {
		t.Errorf("mode %v", got)
	}

	victim := filepath.Join(t.TempDir(), "victim")
	if err := os.WriteFile(victim, []byte("precious"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "planted")
	if err := os.Symlink(victim, link); err != nil {
		t.Fatal(err)
	}
	want := "symbolic link"
	if err := CheckAppend(link); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("CheckAppend(link) = %v, want %q", err, want)
	}
	if err := Append(link, []byte("evil")); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Append(link) = %v, want %q", err, want)
	}
	// A dangling link is not created through either.
	dangling := filepath.Join(dir, "dangling")
	if err := os.Symlink(filepath.Join(t.TempDir(), "new"), dangling); err != nil {
		t.Fatal(err)
	}
	if err := Append(dangling, []byte("evil")); err == nil {
		t.Error("Append created a file through a dangling link")
	}
	if got := read(t, victim); got != "precious" {
		t.Errorf("the link's target became %q", got)
	}
	if err := CheckAppend(os.DevNull); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("CheckAppend(%s) = %v", os.DevNull, err)
	}
}
