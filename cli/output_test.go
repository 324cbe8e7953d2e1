package cli

// Tests of the files the commands write.

import (
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"anoncheck/run"
	"anoncheck/version"
)

// TestGateJUnitNonGatingIsNotFailure checks that the baseline's violations,
// which do not fail the gate, are skipped test cases with their traces in
// system-out, not failures: CI would paint a passing gate red.
func TestGateJUnitNonGatingIsNotFailure(t *testing.T) {
	junit := filepath.Join(t.TempDir(), "b.xml")
	code, out, _ := runCLI(t, "gate", "--spec", "khlebnikov-fix-v2", "--baseline", "khlebnikov-fix-v1", "--bound", "2",
		"--progress", "never", "--junit", junit)
	if code != run.ExitOK {
		t.Fatalf("exit %d, want 0:\n%s", code, out)
	}
	x, err := os.ReadFile(junit)
	if err != nil {
		t.Fatal(err)
	}
	var suites struct {
		Suites []struct {
			Name     string `xml:"name,attr"`
			Failures int    `xml:"failures,attr"`
			Errors   int    `xml:"errors,attr"`
			Skipped  int    `xml:"skipped,attr"`
			Cases    []struct {
				Name    string    `xml:"name,attr"`
				Failure *struct{} `xml:"failure"`
				Error   *struct{} `xml:"error"`
				Skipped *struct {
					Message string `xml:"message,attr"`
				} `xml:"skipped"`
				SystemOut string `xml:"system-out"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(x, &suites); err != nil {
		t.Fatalf("JUnit does not parse: %v", err)
	}
	if len(suites.Suites) != 2 {
		t.Fatalf("%d suites:\n%s", len(suites.Suites), x)
	}
	skipped := 0
	for _, s := range suites.Suites {
		if s.Failures != 0 || s.Errors != 0 {
			t.Errorf("suite %s: %d failures, %d errors for a gate that passed", s.Name, s.Failures, s.Errors)
		}
		for _, c := range s.Cases {
			if c.Failure != nil || c.Error != nil {
				t.Errorf("%s %s: a failure or error for a gate that passed", s.Name, c.Name)
			}
			if c.Skipped != nil {
				skipped++
				if !strings.Contains(c.Skipped.Message, "not gating") || !strings.Contains(c.SystemOut, "violated by khlebnikov-fix-v1") {
					t.Errorf("%s %s: skipped %q, system-out %.80q", s.Name, c.Name, c.Skipped.Message, c.SystemOut)
				}
			}
		}
	}
	if b := suites.Suites[1]; b.Name != "anoncheck.khlebnikov-fix-v1" || b.Skipped != 5 || skipped != 5 {
		t.Errorf("suite %s: %d skipped (%d cases), want the baseline's 5 violations", b.Name, b.Skipped, skipped)
	}
}

// TestOutputDirectoriesCreated checks that every output file's directory
// is created if missing, as --out's is: gate's reports, repro -o and
// --checkpoint.
func TestOutputDirectoriesCreated(t *testing.T) {
	dir := t.TempDir()
	junit, ktap, md := filepath.Join(dir, "out", "anoncheck.xml"), filepath.Join(dir, "k", "r.ktap"), filepath.Join(dir, "m", "d", "r.md")
	code, out, errs := runCLI(t, "gate", "--spec", "khlebnikov-fix-v1", "--pages", "1", "--bound", "2", "--progress", "never",
		"--junit", junit, "--ktap", ktap, "--markdown", md)
	if code == run.ExitUsage {
		t.Fatalf("gate: exit %d, stderr %q:\n%s", code, errs, out)
	}
	for _, f := range []string{junit, ktap, md} {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("gate: %v", err)
		}
	}
	traces := filepath.Join(dir, "traces")
	runCLI(t, "--spec", "khlebnikov-fix-v1", "--bound", "1", "--traces=false", "--out", traces)
	src := filepath.Join(dir, "c", "repro.c")
	if code, _, errs := runCLI(t, "repro", filepath.Join(traces, "khlebnikov-fix-v1.own-anon-vma-linked.json"), "-o", src); code != run.ExitOK {
		t.Errorf("repro -o %s: exit %d, stderr %q", src, code, errs)
	}
	if _, err := os.Stat(src); err != nil {
		t.Errorf("repro -o: %v", err)
	}
	ckpt := filepath.Join(dir, "ckpt", "v54")
	if code, out, errs := runCLI(t, "--spec", "v5.4", "--pages", "1", "--bound", "2", "--traces=false", "--checkpoint", ckpt); code != run.ExitOK {
		t.Errorf("--checkpoint %s: exit %d, stderr %q:\n%s", ckpt, code, errs, out)
	}
	if st, err := os.Stat(filepath.Dir(ckpt)); err != nil || !st.IsDir() {
		t.Errorf("--checkpoint: its directory was not created (%v)", err)
	}
}

// TestFilesWrittenAreNamed checks that every file --out, gate's reports
// and --checkpoint write is named on stderr, and only there.
func TestFilesWrittenAreNamed(t *testing.T) {
	dir := t.TempDir()
	code, out, errs := runCLI(t, "--spec", "khlebnikov-fix-v1", "--bound", "2", "--out", dir, "--traces=false")
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	if code != run.ExitViolation || len(files) != 5 {
		t.Fatalf("exit %d, %d files:\n%s", code, len(files), out)
	}
	for _, f := range files {
		if !strings.Contains(errs, "wrote "+f+"\n") || strings.Contains(out, f) {
			t.Errorf("%s is not named on stderr alone; stderr:\n%s", f, errs)
		}
	}
	if n := strings.Count(errs, "wrote "); n != len(files) {
		t.Errorf("%d files named for %d written:\n%s", n, len(files), errs)
	}
	junit := filepath.Join(dir, "r.xml")
	_, out, errs = runCLI(t, "gate", "--spec", "v5.7", "--pages", "1", "--bound", "1", "--progress", "never", "--junit", junit)
	if errs != "wrote "+junit+"\n" || strings.Contains(out, junit) {
		t.Errorf("gate --junit: stderr %q, stdout:\n%s", errs, out)
	}
	ckpt := filepath.Join(dir, "c")
	_, _, errs = runCLI(t, "--spec", "v5.4", "--bound", "8", "--timeout", "2s", "--workers", "1", "--traces=false", "--checkpoint", ckpt)
	if _, err := os.Stat(ckpt); err == nil && !strings.Contains(errs, "wrote "+ckpt+"\n") {
		t.Errorf("--checkpoint: stderr %q", errs)
	}
}

// TestVersion checks that --version prints the build's version, and that
// trace files record it.
func TestVersion(t *testing.T) {
	code, out, _ := runCLI(t, "--version")
	if code != run.ExitOK || out != version.String()+"\n" || !strings.HasPrefix(out, "anoncheck ") {
		t.Fatalf("--version: exit %d, %q", code, out)
	}
	dir := t.TempDir()
	runCLI(t, "--spec", "khlebnikov-fix-v1", "--bound", "1", "--traces=false", "--out", dir)
	data, err := os.ReadFile(filepath.Join(dir, "khlebnikov-fix-v1.own-anon-vma-linked.json"))
	if err != nil || !strings.Contains(string(data), `"tool": "`+version.String()+`"`) {
		t.Fatalf("the trace file does not record the version (%v):\n%.300s", err, data)
	}
}
