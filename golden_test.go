package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

var updateGolden = flag.Bool("update", false, "rewrite testdata/golden from this build instead of comparing")

// TestGolden runs the built command as a user does and compares what it
// prints and writes with testdata/golden: for every variant the verdict
// matrix, the state counts per depth and the traces at --bound 4, plus a
// diff, a gate, replays in each format and a C reproducer. Timings, rates
// and heap sizes are blanked; everything else must be byte-identical. A
// change that means to alter any of it regenerates the files with
//
//	go test -run TestGolden -update .
//
// and the diff of testdata/golden shows what changed.
func TestGolden(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the command and runs every variant to bound 4")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "anoncheck")
	// Without VCS stamping the build records its version as "anoncheck
	// (devel)" in the files it writes, the same at every commit.
	if out, err := exec.Command("go", "build", "-buildvcs=false", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out := filepath.Join(dir, "out")
	got := map[string]string{}
	cmd := func(name string, args ...string) {
		run := args
		if args[0] != "replay" && args[0] != "repro" { // they explore nothing and take no --progress
			run = append(args[:len(args):len(args)], "--progress", "never")
		}
		c := exec.Command(bin, run...)
		c.Dir = dir
		var stdout, stderr bytes.Buffer
		c.Stdout, c.Stderr = &stdout, &stderr
		err := c.Run()
		code := 0
		if e, ok := err.(*exec.ExitError); ok {
			code = e.ExitCode()
		} else if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got[name] = fmt.Sprintf("$ anoncheck %s\nexit %d\n--- stdout\n%s--- stderr\n%s", strings.Join(args, " "), code,
			normalizeGolden(stdout.String()), normalizeGolden(stderr.String()))
	}
	cmd("matrix-bound4", "--bound", "4", "--out", "out")
	for _, v := range goldenVariants {
		cmd("variant-"+v, "--spec", v, "--bound", "4", "--traces=false")
	}
	cmd("oops-pages3", "--spec", "linux-next-20191008", "--pages", "3", "--procs", "1", "--bound", "1")
	cmd("diff", "diff", "v5.4", "v5.5-rc5", "--bound", "2")
	cmd("gate", "gate", "--spec", "khlebnikov-fix-v1", "--baseline", "v5.5-rc5", "--bound", "2")
	files, err := filepath.Glob(filepath.Join(out, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no traces written to %s (%v)", out, err)
	}
	sort.Strings(files)
	for _, f := range files {
		base := filepath.Base(f)
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		got["trace-"+base] = string(data)
		for _, format := range []string{"text", "markdown", "html"} {
			cmd("replay-"+format+"-"+base, "replay", "out/"+base, "--format", format)
		}
		cmd("repro-"+base, "repro", "out/"+base)
	}

	golden := filepath.Join("testdata", "golden")
	if *updateGolden {
		os.RemoveAll(golden)
		if err := os.MkdirAll(golden, 0o777); err != nil {
			t.Fatal(err)
		}
		for name, text := range got {
			if err := os.WriteFile(filepath.Join(golden, name+".txt"), []byte(text), 0o666); err != nil {
				t.Fatal(err)
			}
		}
		return
	}
	want, err := filepath.Glob(filepath.Join(golden, "*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, f := range want {
		name := strings.TrimSuffix(filepath.Base(f), ".txt")
		seen[name] = true
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		g, ok := got[name]
		if !ok {
			t.Errorf("%s: no longer produced", name)
			continue
		}
		if g != string(data) {
			t.Errorf("%s differs from %s (go test -run TestGolden -update . rewrites it):\n%s", name, f, firstDiff(string(data), g))
		}
	}
	for name := range got {
		if !seen[name] {
			t.Errorf("%s: new output with no golden file (go test -run TestGolden -update . writes it)", name)
		}
	}
}

// goldenVariants are the variants TestGolden runs one by one.
var goldenVariants = []string{"v5.4", "linux-next-20191008", "v5.5-rc5", "khlebnikov-fix-v1", "khlebnikov-fix-v2",
	"lixinhai-proposal", "v5.7", "v6.1"}

var (
	goldenTiming = regexp.MustCompile(`, depth (\d+), [^,]+, \d+ states/s, heap \d+ MiB`)
	goldenRow    = regexp.MustCompile(`(?m)^( \S.*\S) +[0-9]+\.[0-9]$`)
)

// normalizeGolden blanks what changes from run to run: elapsed times,
// rates and heap sizes.
func normalizeGolden(s string) string {
	s = goldenTiming.ReplaceAllString(s, ", depth $1, TIME")
	s = strings.ReplaceAll(s, " seconds\n", "\n")
	return goldenRow.ReplaceAllString(s, "$1")
}

// firstDiff shows the first line where want and got differ.
func firstDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var a, b string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			b = g[i]
		}
		if a != b {
			return fmt.Sprintf("line %d:\n  want %q\n  got  %q", i+1, a, b)
		}
	}
	return "(identical lines; trailing difference)"
}
