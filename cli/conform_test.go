package cli

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"anoncheck/conform"
	"anoncheck/run"
	"anoncheck/specs"
	"anoncheck/state"
	"anoncheck/transitions"
)

// init registers a variant only the CLI tests see: v6.18 whose write
// faults always copy, which conform must report as unexplained.
func init() {
	specs.Register(&specs.Variant{
		Name:    "test-conform-always-copy",
		Follows: "test mutation of v6.18",
		Base:    "v6.18",
		Patch: func(f *transitions.Funcs) {
			f.DoWPPage = func(k *transitions.Kernel, vma state.VMAID, addr uint8) int { return k.WPPageCopy(vma, addr) }
		},
	})
}

// needConform skips a test where conform cannot run, saying why; in CI a
// missing gcc fails it.
func needConform(t *testing.T) conform.Machine {
	t.Helper()
	m, err := conform.Probe()
	if err != nil {
		if _, cerr := conform.Compiler(); cerr != nil && os.Getenv("CI") == "true" {
			t.Fatalf("gcc is needed to test conform: %v", cerr)
		}
		if errors.Is(err, conform.ErrUnavailable) {
			t.Skipf("conform cannot run here: %v", err)
		}
		t.Fatal(err)
	}
	if !m.PFN {
		t.Skipf("pagemap shows no PFNs here (%s)", m.Why)
	}
	return m
}

func TestConformBadInput(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"conform", "--runs", "-1"}, "--runs -1"},
		{[]string{"conform", "--ops", "0"}, "--ops 0"},
		{[]string{"conform", "--bound", "9"}, "--bound 9"},
		{[]string{"conform", "--runs", "0"}, "nothing to run"},
		{[]string{"conform", "--spec", "v9.9"}, `unknown variant "v9.9"`},
		{[]string{"conform", "--kinds", "fork,brk"}, `--kinds "fork,brk"`},
		{[]string{"conform", "--advices", "dontneed,bogus"}, "bogus"},
		{[]string{"conform", "--pages", "9"}, "--pages 9"},
		{[]string{"conform", "--repeat", "3"}, "--repeat applies to --replay only"},
		{[]string{"conform", "--replay", "x.json", "--runs", "3"}, "--runs does not apply"},
		{[]string{"conform", "--replay", "/no/such/file.json"}, "no such file"},
		{[]string{"conform", "--probe", "--runs", "3"}, "--probe takes no other flag"},
		{[]string{"conform", "--bound", "2", "--format", "json"}, "unknown flag: --format"},
	}
	for _, c := range cases {
		code, _, errs := runCLI(t, c.args...)
		if code != run.ExitUsage {
			t.Errorf("%v: exit %d, want 2", c.args, code)
		}
		if !strings.Contains(errs, c.want) {
			t.Errorf("%v: stderr %q lacks %q", c.args, errs, c.want)
		}
	}
}

// TestConformRuns runs a short conform of v6.18 against this kernel and
// says what it compared; on a 6.18 kernel nothing may be unexplained.
func TestConformRuns(t *testing.T) {
	m := needConform(t)
	code, out, errs := runCLI(t, "conform", "--runs", "100", "--ops", "20", "--procs", "3", "--bound", "2", "--pages", "2", "--progress", "never")
	t.Log(out)
	for _, want := range []string{"conform v6.18 against Linux ", "random: 100 of 100 runs of 20 operations (seed 1)",
		"bound: every sequence of 2 operations", "runs/s", "fields compared: ", "known differences: ", "unexplained differences: "} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	for _, never := range []string{" ok", "holds"} {
		if strings.Contains(out, never) {
			t.Errorf("output says %q: conform says what it compared, never that the model holds", never)
		}
	}
	if strings.HasPrefix(m.Release, "6.18.") && code != run.ExitOK {
		t.Errorf("exit %d on Linux %s, want 0 (no unexplained difference): %s", code, m.Release, errs)
	}
}

// TestConformMutantAndReplay: a model that gets write faults wrong is an
// unexplained difference (exit 1), written to --out, and --replay of the
// file shows it again (exit 1); --replay of a file v6.18 agrees with
// exits 0.
func TestConformMutantAndReplay(t *testing.T) {
	needConform(t)
	dir := t.TempDir()
	code, out, errs := runCLI(t, "conform", "--spec", "test-conform-always-copy", "--runs", "300", "--pages", "3", "--procs", "3",
		"--out", dir, "--max-files", "2", "--progress", "never")
	if code != run.ExitViolation {
		t.Fatalf("exit %d, want 1:\n%s\n%s", code, out, errs)
	}
	if !strings.Contains(out, "identity: model a new page, kernel the same page as before the step") || !strings.Contains(out, "(unexplained)") {
		t.Errorf("output lacks the identity difference:\n%s", out)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "conform.test-conform-always-copy.random-1-*.json"))
	if len(files) != 2 {
		t.Fatalf("--max-files 2 wrote %d files: %v", len(files), files)
	}
	if !strings.Contains(errs, "wrote "+files[0]) && !strings.Contains(errs, "wrote "+files[1]) {
		t.Errorf("stderr does not name the files written: %s", errs)
	}
	code, out, errs = runCLI(t, "conform", "--replay", files[0], "--repeat", "3")
	if code != run.ExitViolation || !strings.Contains(out, "3 repetition(s): 3 with an unexplained difference") {
		t.Errorf("replay: exit %d, want 1 with every repetition differing:\n%s\n%s", code, out, errs)
	}

	// The same sequence under v6.18: the file edited to name it.
	data, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	f, err := conform.DecodeFile(data)
	if err != nil {
		t.Fatal(err)
	}
	f.Variant = "v6.18"
	b, err := conform.EncodeFile(f)
	if err != nil {
		t.Fatal(err)
	}
	edited := filepath.Join(dir, "edited.json")
	if err := os.WriteFile(edited, b, 0o644); err != nil {
		t.Fatal(err)
	}
	// A copy and a reuse are one canonical state (pages are renamed), so
	// the file's digests hold under v6.18 too: no note.
	code, out, _ = runCLI(t, "conform", "--replay", edited)
	if code != run.ExitOK || strings.Contains(out, "note:") || !strings.Contains(out, "1 repetition(s): 0 with an unexplained difference, 0 with a known one only, 1 without") {
		t.Errorf("replay under v6.18: exit %d, want 0 and no difference:\n%s", code, out)
	}

	// A digest that is not the model's: the replay says the model changed.
	f.Steps[1].Digest = "0123456789abcdef"
	if b, err = conform.EncodeFile(f); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(edited, b, 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ = runCLI(t, "conform", "--replay", edited)
	if code != run.ExitOK || !strings.Contains(out, "note: step 2 ") || !strings.Contains(out, "the model changed since the file was written") {
		t.Errorf("replay of an edited digest: exit %d, want 0 with a note:\n%s", code, out)
	}

	// Not a conform file: exit 2.
	if err := os.WriteFile(edited, []byte(`{"format": "anoncheck-trace"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := runCLI(t, "conform", "--replay", edited); code != run.ExitUsage || !strings.Contains(errs, `format "anoncheck-trace", want "anoncheck-conform"`) {
		t.Errorf("replay of a trace file: exit %d, want 2: %s", code, errs)
	}
}
