package cli

import (
	"strings"
	"testing"

	"anoncheck/run"
)

// diff names the fields in which the two runs' states differ after the
// last step, and marks the second trace where it departs from the first.
func TestDiffMarksTheFieldsThatDiffer(t *testing.T) {
	code, out, _ := runCLI(t, "diff", "v5.4", "v5.5-rc5", "--bound", "2", "--progress", "never")
	if code != run.ExitViolation {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	for _, want := range []string{
		"  fields that differ after the last step:\n" +
			"    D anon_vma: av3 under v5.4, av1 under v5.5-rc5\n" +
			"    D chain: [av3 av1] under v5.4, [av1] under v5.5-rc5\n" +
			"    av1 refcount: 3 under v5.4, 2 under v5.5-rc5\n" +
			"    av3: only under v5.4\n",
		"=== under v5.5-rc5, marked where it departs from the run under v5.4\n",
		"       departs from the run under v5.4: call path, state\n",
		"     -         anon_vma_clone(dst=D, src=B)\n     +         anon_vma_clone(dst=D, src=B) reuses av1\n",
		"     -       D [1,2) rw- account anon_vma=av3 chain=[av3 av1]\n     + *     D [1,2) rw- account anon_vma=av1 chain=[av1]\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("diff output lacks %q:\n%s", want, out)
		}
	}
	if before, _, _ := strings.Cut(out, "=== under v5.5-rc5"); strings.Contains(before, "departs from") {
		t.Errorf("the first trace is marked against the second too:\n%s", before)
	}
}

// Where the drawings of two states agree and the states do not (v6.1's
// PageAnonExclusive, which the drawings do not show; the counters, which
// v5.4 and v6.1 keep differently, are not compared), diff names the
// fields of the states that differ.
func TestDiffNamesFieldsTheDrawingsDoNotShow(t *testing.T) {
	code, out, _ := runCLI(t, "diff", "v5.4", "v6.1", "--bound", "2", "--progress", "never")
	if code != run.ExitViolation {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	for _, want := range []string{
		"  fields that differ after the last step:\n    pg1 Flags: 0 under v5.4, 1 under v6.1 (not drawn)\n\n",
		"       departs from the run under v5.4: state (pg1 Flags, which the drawing does not show)\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("diff output lacks %q:\n%s", want, out)
		}
	}
}
