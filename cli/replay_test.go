package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"anoncheck/run"
)

// A trace file edited so that its property no longer fails at its last
// step, or with a step marked setup that setup cannot take, is refused
// (exit 2, one line naming the file, the step and the reason), under its
// own variant and under any other: "now holds" would certify a fix the
// file never showed.
func TestReplayRefusesEditedTraces(t *testing.T) {
	dir := t.TempDir()
	if code, out, _ := runCLI(t, "--spec", "khlebnikov-fix-v1", "--bound", "2", "--out", dir, "--traces=false"); code != run.ExitViolation {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	read := func(name string) []byte {
		data, err := os.ReadFile(filepath.Join(dir, "khlebnikov-fix-v1."+name+".json"))
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	rmap, linked := read("rmap-reachable"), read("own-anon-vma-linked")
	// rmap: s1 mmap, s2 write, s3 mprotect, 1 fork, 2 write(P2); linked
	// ends at the fork.
	cut := func(n int) func(map[string]any) {
		return func(f map[string]any) { f["steps"] = f["steps"].([]any)[:n] }
	}
	relabel := func(p string) func(map[string]any) { return func(f map[string]any) { f["property"] = p } }
	bad := []struct {
		name  string
		data  []byte
		edit  func(map[string]any)
		wants []string
	}{
		{"last-step-dropped", rmap, cut(4), []string{"step 4 (fork): rmap-reachable holds after this last step under khlebnikov-fix-v1"}},
		{"setup-only", linked, cut(3), []string{"step 3 (mprotect): own-anon-vma-linked holds after this last step"}},
		{"kernel-bug", linked, relabel("kernel-bug"), []string{"step 4 (fork): kernel-bug holds after this last step"}},
		{"hierarchy-growth", linked, relabel("hierarchy-growth"), []string{"step 4 (fork): hierarchy-growth holds"}},
		{"scope-capacity", linked, relabel("scope-capacity"), []string{"step 4 (fork): scope-capacity holds"}},
		{"setup-fork", linked, func(f map[string]any) { step(f, 3)["setup"] = true },
			[]string{"step 4 (fork): marked setup, but setup has no fork"}},
		{"setup-noop", linked, func(f map[string]any) {
			steps := f["steps"].([]any)
			again := map[string]any{}
			for k, v := range steps[1].(map[string]any) {
				again[k] = v
			}
			f["steps"] = append(steps[:2:2], append([]any{again}, steps[2:]...)...)
		}, []string{"step 3 (write): marked setup, but setup would not take write(P1, 0)"}},
		{"setup-ops", linked, func(f map[string]any) { f["scope"].(map[string]any)["ops"] = "mmap,fork" },
			[]string{"step 2 (write): marked setup, but the trace's scope (ops mmap,fork) leaves write out"}},
	}
	for _, c := range bad {
		p := filepath.Join(dir, c.name+".json")
		if err := os.WriteFile(p, []byte(edit(t, c.data, c.edit)), 0o644); err != nil {
			t.Fatal(err)
		}
		for _, args := range [][]string{{"replay", p}, {"replay", p, "--spec", "v6.1"}, {"replay", p, "--spec", "khlebnikov-fix-v2", "--quiet"}, {"repro", p}} {
			code, out, errs := runCLI(t, args...)
			if code != run.ExitUsage || out != "" || strings.Count(strings.TrimSpace(errs), "\n") != 0 || !strings.Contains(errs, p+": ") {
				t.Errorf("%s: exit %d, stdout %.80q, stderr %q; want exit 2 and one line naming the file", strings.Join(args, " "), code, out, errs)
				continue
			}
			for _, want := range c.wants {
				if !strings.Contains(errs, want) {
					t.Errorf("%s: stderr %q lacks %q", strings.Join(args, " "), errs, want)
				}
			}
		}
	}
	// The unedited file passes, and is judged under another variant.
	p := filepath.Join(dir, "khlebnikov-fix-v1.rmap-reachable.json")
	if code, _, errs := runCLI(t, "replay", p, "--spec", "khlebnikov-fix-v2", "--quiet"); code != run.ExitOK {
		t.Errorf("the unedited file under khlebnikov-fix-v2: exit %d, stderr %q", code, errs)
	}
}

// Replayed under another variant, a trace whose property now holds is
// shown, in each format, marked where it departs from the recorded run;
// --quiet keeps the verdict line alone.
func TestReplayUnderAnotherVariantShowsTheTrace(t *testing.T) {
	dir := t.TempDir()
	if code, out, _ := runCLI(t, "--spec", "khlebnikov-fix-v1", "--bound", "2", "--out", dir, "--traces=false"); code != run.ExitViolation {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	file := filepath.Join(dir, "khlebnikov-fix-v1.rmap-reachable.json")
	verdict := file + ": rmap-reachable now holds under khlebnikov-fix-v2 (exit 0)\n"
	for _, c := range []struct {
		format string
		want   []string
	}{
		{"text", []string{"anoncheck: rmap-reachable holds under khlebnikov-fix-v2 after the 2 operation(s) of the trace\n",
			"       departs from the run under khlebnikov-fix-v1: call path, state\n", "\n     +         anon_vma_clone(dst=D, src=C)\n"}},
		{"markdown", []string{"**departs from the run under khlebnikov-fix-v1: call path, state**"}},
		{"html", []string{"<!DOCTYPE html>", `<p class="departs">departs from the run under khlebnikov-fix-v1: call path, state</p>`}},
	} {
		code, out, errs := runCLI(t, "replay", file, "--spec", "khlebnikov-fix-v2", "--format", c.format)
		notes := out
		if c.format == "html" {
			notes = errs
		}
		if code != run.ExitOK || !strings.HasPrefix(notes, verdict) {
			t.Errorf("--format %s: exit %d, stdout %.300q, stderr %q; want exit 0 and the verdict first", c.format, code, out, errs)
		}
		for _, w := range c.want {
			if !strings.Contains(out, w) {
				t.Errorf("--format %s: the output lacks %q:\n%s", c.format, w, out)
			}
		}
	}
	code, out, errs := runCLI(t, "replay", file, "--spec", "khlebnikov-fix-v2", "--quiet")
	if code != run.ExitOK || out != verdict || errs != "" {
		t.Errorf("--quiet: exit %d, stdout %q, stderr %q; want the verdict line alone", code, out, errs)
	}
}
