package cli

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"anoncheck/check"
	"anoncheck/run"
	"anoncheck/version"
)

// TestCheckpointMismatchNamesTheOptions checks that resuming a checkpoint
// of another run names the options that differ, as flags, rather than a
// run id the report never printed; that the checkpoint records the build
// that wrote it; and that a checkpoint of an older format is refused,
// saying so.
func TestCheckpointMismatchNamesTheOptions(t *testing.T) {
	dir := t.TempDir()
	ckpt := filepath.Join(dir, "ckpt")
	args := []string{"--spec", "v5.4", "--pages", "1", "--bound", "3", "--traces=false"}
	if code, out, _ := runCLI(t, append(args, "--checkpoint", ckpt, "--checkpoint-every", "1ms")...); code != run.ExitOK {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	h, err := check.ReadCheckpointHeader(ckpt)
	if err != nil || h.Tool != version.String() || !strings.Contains(h.Identity, "variant=v5.4\npages=1\n") {
		t.Fatalf("checkpoint header %+v, %v", h, err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--spec", "v5.7"}, "the checkpoint is of another run: --spec v5.7 here, v5.4 in the checkpoint (it was written by " + version.String() + ")"},
		{[]string{"--pages", "2", "--symmetry", "off"}, "--pages 2 here, 1 in the checkpoint; --symmetry off here, full in the checkpoint ("},
		{[]string{"--self-check"}, "--self-check true here, false in the checkpoint ("},
		{[]string{"--ops", "write,fork"}, "--ops write,fork here, all in the checkpoint ("},
		{[]string{"--fail-alloc", "1"}, "--fail-alloc 1 here, 0 in the checkpoint ("},
		{[]string{"--advices", "+dontneed"}, "--ops all --advices +dontneed here, all in the checkpoint ("},
		{[]string{"--ops", "+mremap"}, "--ops +mremap here, all in the checkpoint ("},
	} {
		code, _, errs := runCLI(t, append(append(append([]string(nil), args...), "--resume", ckpt), c.args...)...)
		if code != run.ExitUsage || !strings.Contains(errs, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", c.args, code, errs, c.want)
		}
	}
	if code, out, _ := runCLI(t, append(args, "--resume", ckpt)...); code != run.ExitOK || !strings.Contains(out, "coverage counts the transitions taken since the checkpoint") {
		t.Errorf("resumed with the same options: exit %d, or its coverage not marked as since the checkpoint:\n%s", code, out)
	}
	data, _ := os.ReadFile(ckpt)
	binary.LittleEndian.PutUint64(data[len("anoncheck-checkpoint\n"):], 2)
	old := filepath.Join(dir, "old")
	os.WriteFile(old, data, 0o600)
	code, _, errs := runCLI(t, append(args, "--resume", old)...)
	if code != run.ExitUsage || !strings.Contains(errs, "checkpoint format version 2, written by another anoncheck; this one reads version 4 only") {
		t.Errorf("an old checkpoint: exit %d, stderr %q", code, errs)
	}
}
