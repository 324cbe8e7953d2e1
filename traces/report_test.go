package traces_test

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"anoncheck/traces"
)

// WriteFileAtomic gives the file mode 0644 less the umask, creates its
// temporary file beside the target, and refuses a directory with an error
// naming it, leaving nothing behind.
func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	write := func(s string) func(io.Writer) error {
		return func(w io.Writer) error { _, err := io.WriteString(w, s); return err }
	}
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	for _, c := range []struct {
		umask int
		want  os.FileMode
	}{{0o022, 0o644}, {0o027, 0o640}, {0o077, 0o600}} {
		syscall.Umask(c.umask)
		path := filepath.Join(dir, fmt.Sprintf("out%03o.c", c.umask))
		var during []string
		err := traces.WriteFileAtomic(path, func(w io.Writer) error {
			ents, err := os.ReadDir(dir)
			for _, e := range ents {
				during = append(during, e.Name())
			}
			return errors.Join(err, write("int x;\n")(w))
		})
		if err != nil {
			t.Fatalf("umask %03o: %v", c.umask, err)
		}
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := st.Mode().Perm(); got != c.want {
			t.Errorf("umask %03o: mode %03o, want %03o", c.umask, got, c.want)
		}
		tmp := false
		for _, n := range during {
			tmp = tmp || strings.HasPrefix(n, "."+filepath.Base(path)+".tmp")
		}
		if !tmp {
			t.Errorf("umask %03o: no temporary file in %s while writing (saw %v)", c.umask, dir, during)
		}
	}
	syscall.Umask(0o022)

	// Replacing a file: new contents, the same rule for the mode.
	path := filepath.Join(dir, "out022.c")
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := traces.WriteFileAtomic(path, write("int y;\n")); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "int y;\n" {
		t.Errorf("replaced file holds %q", b)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o644 {
		t.Errorf("replaced file: mode %03o, want 644", st.Mode().Perm())
	}

	// A directory, named with or without a trailing slash.
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadDir(dir)
	for _, target := range []string{sub, sub + "/", filepath.Join(dir, "nosuchdir") + "/"} {
		err := traces.WriteFileAtomic(target, write("x"))
		if err == nil || !strings.Contains(err.Error(), target) || !strings.Contains(err.Error(), "directory") {
			t.Errorf("WriteFileAtomic(%q) = %v, want an error naming it as a directory", target, err)
		}
	}
	after, _ := os.ReadDir(dir)
	inSub, _ := os.ReadDir(sub)
	if len(after) != len(before) || len(inSub) != 0 {
		t.Errorf("refused writes left files behind: %v, in sub %v", after, inSub)
	}

	// A failed write leaves neither the file nor a temporary file.
	if err := traces.WriteFileAtomic(filepath.Join(sub, "f"), func(io.Writer) error { return errors.New("boom") }); err == nil || err.Error() != "boom" {
		t.Errorf("err = %v, want boom", err)
	}
	if ents, _ := os.ReadDir(sub); len(ents) != 0 {
		t.Errorf("a failed write left %v", ents)
	}
}
