package cli

// Tests of the limits: what they stop, and what a run they stop may still say.

import (
	"strings"
	"testing"

	"anoncheck/run"
)

// TestViolationWinsOverIncomplete checks that a violation found is exit 1
// even when another variant's run was cut short, and that the matrix says
// which rows are incomplete.
func TestViolationWinsOverIncomplete(t *testing.T) {
	code, out, _ := runCLI(t, "--spec", "v5.4,khlebnikov-fix-v1", "--bound", "3", "--max-states", "50000", "--traces=false")
	if code != run.ExitViolation {
		t.Fatalf("exit %d, want 1 (khlebnikov-fix-v1 violated):\n%s", code, out)
	}
	if !strings.Contains(out, "incomplete rows (their ? and - cells are no verdict, their violations are real): v5.4 (stopped by --max-states at depth 2), khlebnikov-fix-v1 (stopped by --max-states at depth 2)") {
		t.Errorf("the matrix does not name the incomplete rows:\n%s", out)
	}
}
