package cli

// Tests of the flags each command takes.

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"anoncheck/run"
)

// TestFlagsNeverIgnored checks that a flag is refused rather than
// silently ignored: an empty value, a flag of another command, one that
// applies only with another, two reports to one file; and that each
// command's help lists only the flags it uses.
func TestFlagsNeverIgnored(t *testing.T) {
	dir := t.TempDir()
	trace := filepath.Join(dir, "t.json")
	if code, _, _ := runCLI(t, "--spec", "khlebnikov-fix-v1", "--bound", "1", "--traces=false", "--out", dir); code != run.ExitViolation {
		t.Fatalf("writing a trace: exit %d", code)
	}
	os.Rename(filepath.Join(dir, "khlebnikov-fix-v1.own-anon-vma-linked.json"), trace)
	x := filepath.Join(dir, "x")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--ops", ""}, `--ops "": empty, most likely an unset variable; give a value or leave the flag out`},
		{[]string{"--out", ""}, `--out "": empty`},
		{[]string{"gate", "--spec", "v5.4", "--baseline", ""}, `--baseline "": empty`},
		{[]string{"replay", trace, "--spec", ""}, `--spec "": empty`},
		{[]string{"replay", trace, "--bound", "7", "--pages", "5"}, "unknown flag: --bound (see anoncheck replay --help)"},
		{[]string{"repro", trace, "--pages", "5"}, "unknown flag: --pages (see anoncheck repro --help)"},
		{[]string{"hunt", "--spec", "v5.4", "--bound", "3"}, "unknown flag: --bound (see anoncheck hunt --help)"},
		{[]string{"merge", x, "--pages", "3"}, "unknown flag: --pages (see anoncheck merge --help)"},
		{[]string{"gate", "--spec", "v5.4", "--out", dir}, "unknown flag: --out (see anoncheck gate --help)"},
		{[]string{"--spec", "v5.4", "--checkpoint-every", "1m"}, "--checkpoint-every 1m0s: applies only with --checkpoint FILE"},
		{[]string{"gate", "--spec", "v5.4", "--junit", x, "--ktap", x}, `--junit and --ktap name the same file "` + x + `": one would overwrite the other`},
		{[]string{"gate", "--spec", "v5.4", "--junit", x, "--markdown", dir + "/../" + filepath.Base(dir) + "/x"}, "--junit and --markdown name the same file"},
	} {
		code, out, errs := runCLI(t, c.args...)
		if code != run.ExitUsage || !strings.Contains(errs, c.want) || out != "" {
			t.Errorf("%v: exit %d, stderr %q, stdout %q; want exit 2 and %q", c.args, code, errs, out, c.want)
		}
	}
	if _, err := os.Stat(x); err == nil {
		t.Errorf("a refused gate wrote %s", x)
	}
	for _, c := range []struct {
		cmd         []string
		has, hasNot []string
	}{
		{[]string{"replay"}, []string{"--format", "--spec", "--quiet"}, []string{"--bound", "--pages", "--out", "--workers"}},
		{[]string{"repro"}, []string{"--output", "--spec"}, []string{"--bound", "--format", "--progress"}},
		{[]string{"gate"}, []string{"--junit", "--bound", "--pages", "--timeout"}, []string{"--out", "--checkpoint", "--format", "--traces", "--shard"}},
		{[]string{"merge"}, []string{"--out", "--format"}, []string{"--bound", "--pages", "--workers", "--timeout"}},
		{[]string{"hunt"}, []string{"--time", "--out", "--pages"}, []string{"--bound", "--timeout", "--max-states", "--checkpoint"}},
		{[]string{"specs"}, nil, []string{"--bound", "--format"}},
	} {
		code, out, _ := runCLI(t, append(c.cmd, "--help")...)
		_, flags, ok := strings.Cut(out, "\nFlags:\n")
		if code != run.ExitOK || !ok {
			t.Errorf("%v --help: exit %d, no flags:\n%s", c.cmd, code, out)
		}
		for _, fl := range c.has {
			if !strings.Contains(flags, " "+fl+" ") {
				t.Errorf("%v --help lacks %s", c.cmd, fl)
			}
		}
		for _, fl := range c.hasNot {
			if strings.Contains(flags, " "+fl+" ") {
				t.Errorf("%v --help lists %s, which it does not use", c.cmd, fl)
			}
		}
	}
}
