package cli

// Tests of the opt-in operations' flags: --ops +mremap and --advices.

import (
	"strings"
	"testing"

	"anoncheck/run"
)

// TestOptInFlags checks the scope flags of the opt-in operations: bad
// values are usage errors naming the flag; the default report shows
// neither mremap nor MADV_DONTNEED's functions; with them on, the report
// names the scope, counts mremap and counts their nine functions among
// those a run can enter.
func TestOptInFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--ops", "+remap"}, `--ops "+remap": unknown operation "remap"`},
		{[]string{"--advices", "dontneed,free"}, `--advices "dontneed,free": unknown advice "free"`},
	} {
		code, out, errs := runCLI(t, c.args...)
		if code != run.ExitUsage || !strings.Contains(errs, c.want) || out != "" {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and %q", c.args, code, errs, c.want)
		}
	}
	_, out, _ := runCLI(t, "--spec", "v6.18", "--bound", "1", "--traces=false")
	for _, not := range []string{", mremap", "madvise_dontneed_free", "zap_page_range", "advices=", "of 73 entered"} {
		if strings.Contains(out, not) {
			t.Errorf("the default report mentions %s:\n%s", not, out)
		}
	}
	code, out, _ := runCLI(t, "--spec", "v6.18", "--bound", "2", "--traces=false", "--ops", "+mremap", "--advices", "+dontneed")
	if code != run.ExitOK {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	for _, want := range []string{"ops=+mremap advices=+dontneed", "mremap ", "of 73 entered"} {
		if !strings.Contains(out, want) {
			t.Errorf("the report with the opt-in operations lacks %q:\n%s", want, out)
		}
	}
}
