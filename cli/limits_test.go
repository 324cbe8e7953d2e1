package cli

// Tests of the limits: what they stop, and what a run they stop may still say.

import (
	"regexp"
	"runtime"
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

// TestTimeoutIsShared checks that --timeout is the whole command's time
// shared by the variants: the first variant's run (and its size pilot)
// no longer spends it all, so the broken variant last in the list is
// reached and its violation found (exit 1). v5.4 needs far more than 6 s
// at bound 6. One worker: a run stops within a state of its share's end,
// where parallel batches can overrun it by seconds on a loaded machine.
func TestTimeoutIsShared(t *testing.T) {
	code, out, _ := runCLI(t, "--spec", "v5.4,v5.5-rc5,khlebnikov-fix-v1", "--bound", "6", "--timeout", "6s", "--workers", "1", "--traces=false")
	if code != run.ExitViolation {
		t.Fatalf("exit %d, want 1:\n%s", code, out)
	}
	for _, want := range []string{"v5.4 incomplete:", "stopped by --timeout", "khlebnikov-fix-v1 (stopped by --timeout"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "not checked") {
		t.Errorf("a variant was left unchecked:\n%s", out)
	}
}

// TestMemoryTooSmallRefused checks that a memory limit that cannot hold
// the initial layouts is refused before the run, naming --max-memory and
// the least that would do, and that this least lets the run build them.
func TestMemoryTooSmallRefused(t *testing.T) {
	code, out, errs := runCLI(t, "--spec", "v5.4", "--bound", "1", "--max-memory", "4MiB")
	m := regexp.MustCompile(`--max-memory 4MiB cannot hold the initial layouts \(~1445 at pages=2\), which need about (\d+)MiB: give --max-memory (\d+MiB) or more`).FindStringSubmatch(errs)
	if code != run.ExitUsage || m == nil || out != "" {
		t.Fatalf("exit %d, stderr %q, stdout %q", code, errs, out)
	}
	for _, cmd := range [][]string{{"gate", "--spec", "v5.4"}, {"hunt", "--spec", "v5.4", "--time", "1s"}} {
		if code, _, errs := runCLI(t, append(cmd, "--max-memory", "4MiB", "--progress", "never")...); code != run.ExitUsage || !strings.Contains(errs, "cannot hold the initial layouts") {
			t.Errorf("%v: exit %d, stderr %q", cmd, code, errs)
		}
	}
	// The limit is on this process's heap, which in a test binary also
	// holds what earlier runs left for the collector: collect it first, as
	// a fresh anoncheck process would not have it.
	runtime.GC()
	code, out, _ = runCLI(t, "--spec", "v5.4", "--bound", "1", "--procs", "1", "--max-memory", m[2], "--traces=false")
	if code != run.ExitOK {
		t.Fatalf("--max-memory %s, the least suggested: exit %d:\n%s", m[2], code, out)
	}
}

// TestStoppedRunIsNotVacuous checks that a run a limit stopped before it
// allocated an anon_vma says what stopped it, and not that its operations
// never reach the anon_vma code (advice to add write to --ops).
func TestStoppedRunIsNotVacuous(t *testing.T) {
	code, out, _ := runCLI(t, "--spec", "v5.4", "--max-states", "1", "--traces=false")
	if code != run.ExitIncomplete || !strings.Contains(out, "stopped by --max-states") || strings.Contains(out, "add write to --ops") ||
		strings.Contains(out, "not checked (the operations never reached") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
}
