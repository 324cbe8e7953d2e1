package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"anoncheck/run"
	"anoncheck/specs"
	"anoncheck/state"
	"anoncheck/transitions"
)

// init registers a variant that only the CLI tests see: v5.4 whose
// anon_vma_clone() forgets unlink_anon_vmas(dst) on its failure path, a
// bug that shows only when an allocation fails.
func init() {
	specs.Register(&specs.Variant{
		Name:    "test-clone-forgets-unlink",
		Follows: "test mutation of v5.4",
		Base:    "v5.4",
		Patch: func(f *transitions.Funcs) {
			clone := f.AnonVMAClone
			f.AnonVMAClone = func(k *transitions.Kernel, dst, src state.VMAID) int {
				unlink := k.F.UnlinkAnonVMAs
				k.F.UnlinkAnonVMAs = func(*transitions.Kernel, state.VMAID) {}
				defer func() { k.F.UnlinkAnonVMAs = unlink }()
				return clone(k, dst, src)
			}
		},
	})
}

// TestFailAllocCommand runs --fail-alloc from the command line: a broken
// unwind holds without it and is found with it; the trace file records the
// injected failure, replays (exit 1), holds under v5.4 (exit 0) and turns
// into a C program that stops at the step needing fault injection.
func TestFailAllocCommand(t *testing.T) {
	args := []string{"--spec", "test-clone-forgets-unlink", "--bound", "2", "--traces=false"}
	if code, out, _ := runCLI(t, args...); code != run.ExitOK {
		t.Fatalf("without --fail-alloc: exit %d, want 0:\n%s", code, out)
	}
	dir := t.TempDir()
	code, out, errs := runCLI(t, append(args, "--fail-alloc", "1", "--out", dir)...)
	if code != run.ExitViolation {
		t.Fatalf("--fail-alloc 1: exit %d, want 1:\n%s\n%s", code, out, errs)
	}
	for _, want := range []string{"fail-alloc=1, bound 2", "no-freed-anon-vma         VIOLATED at depth 2", "failed      anon_vma_alloc "} {
		if !strings.Contains(out, want) {
			t.Errorf("the report lacks %q:\n%s", want, out)
		}
	}
	file := filepath.Join(dir, "test-clone-forgets-unlink.no-freed-anon-vma.json")
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"fail_alloc": 1`, `"fail_alloc": 3`, `"injected": "anon_vma_chain_alloc"`} {
		if !strings.Contains(string(data), want) {
			t.Errorf("the trace file lacks %s:\n%s", want, data)
		}
	}
	code, out, _ = runCLI(t, "replay", file)
	if code != run.ExitViolation || !strings.Contains(out, "[allocation 3 failed: anon_vma_chain_alloc()]") ||
		!strings.Contains(out, "anon_vma_chain_alloc() = NULL (fault injected)") {
		t.Errorf("replay: exit %d, want 1 and the injected failure shown:\n%s", code, out)
	}
	if code, out, _ := runCLI(t, "replay", file, "--spec", "v5.4", "--quiet"); code != run.ExitOK {
		t.Errorf("replay under v5.4: exit %d, want 0 (its unwind is whole):\n%s", code, out)
	}
	c := filepath.Join(dir, "repro.c")
	if code, out, errs := runCLI(t, "repro", file, "-o", c); code != run.ExitOK {
		t.Fatalf("repro: exit %d\n%s%s", code, out, errs)
	}
	src, _ := os.ReadFile(c)
	if !strings.Contains(string(src), "needs fault injection") || !strings.Contains(string(src), "/proc/self/make-it-fail") {
		t.Errorf("the program does not say its last step needs fault injection")
	}

	for _, bad := range [][]string{
		{"--spec", "v5.4", "--fail-alloc", "-1"},
		{"--spec", "v5.4", "--fail-alloc", "9"},
		{"diff", "v5.4", "v6.1", "--fail-alloc", "1"},
	} {
		if code, _, _ := runCLI(t, bad...); code != run.ExitUsage {
			t.Errorf("%v: exit %d, want 2", bad, code)
		}
	}
}
