package main

import (
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// TestShardsAsProcesses runs a check as three parts in three processes at
// once, merges their part files, and gets the verdicts, states per depth
// and shortest depths of one run: the matrix is the same but for the
// transitions and seconds columns.
func TestShardsAsProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the command and runs it five times")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "anoncheck")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	args := []string{"--spec", "v5.4,khlebnikov-fix-v1,v6.1", "--bound", "3", "--traces=false", "--progress", "never"}
	const parts = 3
	var wg sync.WaitGroup
	codes := make([]int, parts)
	for i := 0; i < parts; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			c := exec.Command(bin, append(args, "--workers", "1", "--shard", strings.Join([]string{string(rune('0' + i)), "3"}, "/"),
				"--out", filepath.Join(dir, "parts"))...)
			out, err := c.CombinedOutput()
			if e, ok := err.(*exec.ExitError); ok {
				codes[i] = e.ExitCode()
			} else if err != nil {
				t.Errorf("part %d: %v\n%s", i, err, out)
			}
		}(i)
	}
	wg.Wait()
	for i, c := range codes {
		if c != 1 { // khlebnikov-fix-v1's violations are found by every part
			t.Errorf("part %d exited %d, want 1", i, c)
		}
	}
	files, _ := filepath.Glob(filepath.Join(dir, "parts", "*.part-*"))
	if len(files) != 3*parts {
		t.Fatalf("%d part files, want %d: %v", len(files), 3*parts, files)
	}
	merged, mcode := runBin(t, bin, append([]string{"merge", "--traces=false"}, files...)...)
	whole, wcode := runBin(t, bin, args...)
	if strings.Count(matrixOf(whole), "\n") != 3 {
		t.Fatalf("no matrix rows read from:\n%s", whole)
	}
	if mcode != wcode || matrixOf(merged) != matrixOf(whole) {
		t.Fatalf("merge (exit %d):\n%s\none run (exit %d):\n%s", mcode, merged, wcode, whole)
	}
	// A part missing is refused.
	if out, code := runBin(t, bin, append([]string{"merge"}, files[1:]...)...); code != 2 || !strings.Contains(out, "missing") {
		t.Errorf("merge without a part: exit %d:\n%s", code, out)
	}
}

// matrixOf keeps the verdict matrix's rows without their transitions and
// seconds.
func matrixOf(out string) string {
	row := regexp.MustCompile(`^ (\S+ +(?:\S+ +){11}\d+) +\d+ +(\d+) +[0-9.]+$`)
	var b strings.Builder
	for _, l := range strings.Split(out, "\n") {
		if m := row.FindStringSubmatch(l); m != nil {
			b.WriteString(m[1] + " depth " + m[2] + "\n")
		}
	}
	return b.String()
}

func runBin(t *testing.T, bin string, args ...string) (string, int) {
	t.Helper()
	out, err := exec.Command(bin, args...).CombinedOutput()
	if e, ok := err.(*exec.ExitError); ok {
		return string(out), e.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return string(out), 0
}
