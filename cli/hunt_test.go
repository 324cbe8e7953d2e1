package cli

import (
	"path/filepath"
	"strings"
	"testing"

	"anoncheck/run"
)

// hunt finds a broken variant, exits 1 and writes a replayable trace.
func TestHuntCommandFinds(t *testing.T) {
	dir := t.TempDir()
	code, out, errs := runCLI(t, "hunt", "--spec", "khlebnikov-fix-v1", "--time", "30s", "--progress", "never", "--out", dir)
	if code != run.ExitViolation {
		t.Fatalf("exit %d, want 1:\n%s%s", code, out, errs)
	}
	for _, want := range []string{"hunt khlebnikov-fix-v1", "VIOLATED after", "found after", "covered:", "coverage (transitions"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	if len(files) != 1 {
		t.Fatalf("wrote %v, want one trace", files)
	}
	if code, out, _ := runCLI(t, "replay", files[0], "--quiet"); code != run.ExitViolation {
		t.Errorf("replay of the hunt's trace: exit %d, want 1:\n%s", code, out)
	}
}

// A hunt that finds nothing says so and what it covered, never that a
// property holds, and exits 0.
func TestHuntCommandFindsNothing(t *testing.T) {
	code, out, errs := runCLI(t, "hunt", "--spec", "v5.4", "--pages", "1", "--time", "1s", "--progress", "never")
	if code != run.ExitOK {
		t.Fatalf("exit %d, want 0:\n%s%s", code, out, errs)
	}
	if !strings.Contains(out, "no violation found") || !strings.Contains(out, "proves nothing") || !strings.Contains(out, "covered:") {
		t.Errorf("output does not say it found nothing and what it covered:\n%s", out)
	}
	for _, never := range []string{"holds", " ok"} {
		if strings.Contains(out, never) {
			t.Errorf("a hunt that found nothing says %q:\n%s", never, out)
		}
	}
}

// Bad input is exit 2 with a message naming the flag.
func TestHuntCommandBadInput(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"hunt"}, "--spec is required"},
		{[]string{"hunt", "--spec", "v5.4", "--time", "0s"}, "--time"},
		{[]string{"hunt", "--spec", "nope"}, "unknown variant"},
		{[]string{"hunt", "--spec", "v5.4", "--bound", "3"}, "unknown flag: --bound"},
		{[]string{"hunt", "--spec", "v5.4", "--max-depth", "2"}, "--max-depth"},
	} {
		code, _, errs := runCLI(t, c.args...)
		if code != run.ExitUsage || !strings.Contains(errs, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", c.args, code, errs, c.want)
		}
	}
}

// A run whose operations never reach the anon_vma code says so, prints no
// clean verdict, and exits 3.
func TestVacuousRun(t *testing.T) {
	code, out, _ := runCLI(t, "--spec", "khlebnikov-fix-v1", "--ops", "fork", "--bound", "2")
	if code != run.ExitIncomplete {
		t.Fatalf("exit %d, want 3:\n%s", code, out)
	}
	if strings.Contains(out, "holds") || !strings.Contains(out, "no anon_vma was ever allocated") {
		t.Errorf("a vacuous run reads as clean:\n%s", out)
	}
	code, out, _ = runCLI(t, "--spec", "khlebnikov-fix-v1,v5.4", "--ops", "mprotect,fork", "--bound", "2", "--traces=false")
	row := ""
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, " khlebnikov-fix-v1 ") && row == "" {
			row = l
		}
	}
	if code != run.ExitIncomplete || strings.Contains(row, " ok") || !strings.Contains(row, " - ") {
		t.Errorf("exit %d; the matrix row of a vacuous run shows ok or lacks '-': %q\n%s", code, row, out)
	}
}

// A hunt that searched fewer pages breadth first, or drew its walks'
// initial layouts, says so under what it covered; one that did neither
// says nothing of it.
func TestHuntSaysWhatItDrew(t *testing.T) {
	hc := &run.HuntConfig{}
	hc.Scope.Pages = 4
	hu := &run.Hunt{Members: []run.MemberResult{
		{Member: run.Member{Kind: run.MemberBFS}},
		{Member: run.Member{Kind: run.MemberWalk}, Layouts: 200000, Steps: 1000},
	}}
	hu.Members[0].Member.Scope.Pages = 3
	hu.Members[1].Member.Scope.Pages = 4
	var b strings.Builder
	printDrawn(&b, hc, hu)
	for _, want := range []string{"at most pages=3", "from 200000 enumerated initial layouts", "not from all of them"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, b.String())
		}
	}
	hc.Scope.Pages = 3
	hu.Members[1].Member.Scope.Pages, hu.Members[1].LayoutsComplete = 3, true
	b.Reset()
	printDrawn(&b, hc, hu)
	if b.Len() != 0 {
		t.Errorf("a hunt over its whole scope says %q", b.String())
	}
}
