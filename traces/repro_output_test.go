package traces_test

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	"anoncheck/specs"
	"anoncheck/traces"
	"anoncheck/transitions"
)

// reproKhlebnikovTrace replays the shortest khlebnikov-fix-v1 traces: P1
// maps two pages, writes page 0 and makes it read-only (setup), forks,
// and then P2 does last. With a write of page 1 P2 faults in a page the
// rmap walk misses (rmap-reachable); with an mmap over both pages the
// variant oopses (no-freed-anon-vma), and v5.5-rc5, which it patches,
// completes the call.
func reproKhlebnikovTrace(t *testing.T, property string, last transitions.Op) *traces.Trace {
	t.Helper()
	v, err := specs.Lookup("khlebnikov-fix-v1")
	if err != nil {
		t.Fatal(err)
	}
	p, err := specs.LookupProperty(property)
	if err != nil {
		t.Fatal(err)
	}
	r, rw := uint8(transitions.ProtRead), uint8(transitions.ProtRead|transitions.ProtWrite)
	ops := []transitions.Op{
		{Kind: transitions.OpMmap, Start: 0, End: 2, Arg: rw},
		{Kind: transitions.OpWrite, Start: 0},
		{Kind: transitions.OpMprotect, Start: 0, End: 1, Arg: r},
		{Kind: transitions.OpFork},
		last,
	}
	sc := transitions.DefaultScope()
	sc.Pages, sc.Procs = 2, 2
	tr, err := traces.Replay(v, sc, p, ops, []bool{true, true, true, false, false})
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.Steps) != len(ops) || tr.Holds() {
		t.Fatalf("the replay ran %d of %d steps; %s holds: %v", len(tr.Steps), len(ops), property, tr.Holds())
	}
	return tr
}

var (
	reproHeaderCount = regexp.MustCompile(`(?m)^page size \d+, BASE 0x[0-9a-f]+, \d+ page slots; (\d+) trace steps? \((\d+) setup, (\d+) operations?\)(?: and (\d+) MADV_PAGEOUTs? at the end)?$`)
	reproFooterCount = regexp.MustCompile(`(?m)^all (\d+) trace steps?(?: and (\d+) MADV_PAGEOUTs? at the end)? ran as (.*)$`)
)

// reproCounts returns the counts of trace steps and of final pageouts the
// program's first line announces and its last line reports as run; it
// fails the test when either line is missing or they disagree.
func reproCounts(t *testing.T, out string) (steps, setup, pageouts int) {
	t.Helper()
	h := reproHeaderCount.FindStringSubmatch(out)
	f := reproFooterCount.FindStringSubmatch(out)
	if h == nil || f == nil {
		t.Fatalf("no step counts in the first line (%v) or the last (%v):\n%s", h != nil, f != nil, out)
	}
	if h[1] != f[1] || h[4] != f[2] {
		t.Fatalf("the first line announces %s trace steps and %q pageouts, the last reports %s and %q:\n%s", h[1], h[4], f[1], f[2], out)
	}
	atoi := func(s string) int {
		n, _ := strconv.Atoi(s) // "" (no pageouts) is 0
		return n
	}
	steps, setup, pageouts = atoi(h[1]), atoi(h[2]), atoi(h[4])
	if ops := atoi(h[3]); setup+ops != steps {
		t.Fatalf("%d setup steps and %d operations are not %d steps:\n%s", setup, ops, steps, out)
	}
	return steps, setup, pageouts
}

// The program's first line and its verdict count the same things, and say
// what: the trace's steps (setup and operations) and the MADV_PAGEOUTs at
// the end, one per live process.
func TestReproStepCounts(t *testing.T) {
	gcc := reproNeedGCC(t)
	for _, c := range []struct {
		name     string
		tr       *traces.Trace
		pageouts int
	}{
		{"khlebnikov-rmap", reproKhlebnikovTrace(t, "rmap-reachable", transitions.Op{Kind: transitions.OpWrite, Proc: 1, Start: 1}), 2},
		{"everyop", reproEveryOpTrace(t), 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := reproRequireClean(t, gcc, c.tr, c.name)
			steps, setup, pageouts := reproCounts(t, out)
			wantSetup := 0
			for _, st := range c.tr.Steps {
				if st.Setup {
					wantSetup++
				}
			}
			if steps != len(c.tr.Steps) || setup != wantSetup || pageouts != c.pageouts {
				t.Errorf("counts %d steps (%d setup) and %d pageouts, want %d (%d) and %d:\n%s", steps, setup, pageouts, len(c.tr.Steps), wantSetup, c.pageouts, out)
			}
			if n := strings.Count(out, "\nstep end "); n != pageouts {
				t.Errorf("%d pageout lines, want %d:\n%s", n, pageouts, out)
			}
		})
	}
}

// Where the trace's variant stops (an oops) the program expects what the
// variant it patches does, and says so: each step's line and the verdict
// name the variant whose prediction held.
func TestReproNamesPredictor(t *testing.T) {
	gcc := reproNeedGCC(t)
	tr := reproKhlebnikovTrace(t, "no-freed-anon-vma", transitions.Op{Kind: transitions.OpMmap, Proc: 1, Start: 0, End: 2, Arg: uint8(transitions.ProtRead)})
	if last := tr.Steps[len(tr.Steps)-1]; !last.After.Faulted() && last.Errno != transitions.EOOPS {
		t.Fatalf("khlebnikov-fix-v1 does not stop at %s", last.Op)
	}
	out := reproRequireClean(t, gcc, tr, "oops")
	if strings.Contains(out, "as predicted") {
		t.Errorf("a line says \"as predicted\" without naming whose prediction:\n%s", out)
	}
	for _, want := range []string{
		"step s3  P1 mprotect([0,1), r) = 0, maps [0,1) r--p [1,2) rw-p: as khlebnikov-fix-v1 predicts\n",
		"; child P2 maps [0,1) r--p [1,2) rw-p: as khlebnikov-fix-v1 predicts\n",
		"step 2   P2 mmap([0,2), r) = 0, maps [0,2) r--p: as v5.5-rc5 predicts\n",
		"step end P2 madvise([0,2), MADV_PAGEOUT) = 0, maps [0,2) r--p: as v5.5-rc5 predicts\n",
		" ran as khlebnikov-fix-v1 predicts; step 2, where khlebnikov-fix-v1 stops, as v5.5-rc5 predicts; the MADV_PAGEOUTs as v5.5-rc5 predicts: the return values and /proc/self/maps layouts matched\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// After MADV_PAGEOUT the program reports, per page the model maps, whether
// it was paged out, beside the model's prediction; without swap it says
// once that the check is informational. It never fails the run.
func TestReproPageoutPagemap(t *testing.T) {
	gcc := reproNeedGCC(t)
	tr := reproKhlebnikovTrace(t, "rmap-reachable", transitions.Op{Kind: transitions.OpWrite, Proc: 1, Start: 1})
	out := reproRequireClean(t, gcc, tr, "pagemap")
	if strings.Contains(out, "cannot read /proc/self/pagemap") {
		t.Skipf("no /proc/self/pagemap here:\n%s", out)
	}
	// P1 and P2 share page 0 (mapcount 2); P2's page 1 is its own, and
	// khlebnikov-fix-v1's rmap walk misses it.
	wants := []string{
		"    P1: page at slot 0 still mapped: shared by 2 processes, which MADV_PAGEOUT leaves alone\n",
		"    P2: page at slot 0 still mapped: shared by 2 processes, which MADV_PAGEOUT leaves alone\n",
	}
	noSwap := "pageout cannot move anonymous pages without swap, so no rmap walk runs and the pagemap check below is informational only"
	switch {
	case strings.Contains(out, "MADV_PAGEOUT: no swap is configured"):
		if n := strings.Count(out, noSwap); n != 1 {
			t.Errorf("the no-swap note appears %d times, want once:\n%s", n, out)
		}
		wants = append(wants, "    P2: page at slot 1 still mapped, not paged out (khlebnikov-fix-v1 predicts that rmap misses it)\n")
	case strings.Contains(out, "MADV_PAGEOUT: swap is configured"):
		if !strings.Contains(out, "    P2: page at slot 1 paged out by MADV_PAGEOUT: rmap reached it, though khlebnikov-fix-v1's rmap-reachable predicts a miss (this kernel does not have the bug)\n") &&
			!strings.Contains(out, "    P2: page at slot 1 still mapped after MADV_PAGEOUT: rmap did not reach it (what khlebnikov-fix-v1's rmap-reachable predicts)\n") {
			t.Errorf("no verdict on P2's page at slot 1:\n%s", out)
		}
	default:
		t.Fatalf("the program does not say whether there is swap:\n%s", out)
	}
	for _, want := range wants {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "P1: page at slot 1") {
		t.Errorf("a page is reported where the model maps none:\n%s", out)
	}
}

// A run that matched every step says what matched (the return values and
// the layouts) and that this is not the bug: a patch's bug shows only on a
// kernel carrying it, and a release's predictions are of that release.
func TestReproSaysWhatMatched(t *testing.T) {
	gcc := reproNeedGCC(t)
	v2, err := specs.Lookup("khlebnikov-fix-v2")
	if err != nil {
		t.Fatal(err)
	}
	rmap := reproKhlebnikovTrace(t, "rmap-reachable", transitions.Op{Kind: transitions.OpWrite, Proc: 1, Start: 1})
	ops, setup := make([]transitions.Op, len(rmap.Steps)), make([]bool, len(rmap.Steps))
	for i, st := range rmap.Steps {
		ops[i], setup[i] = st.Op, st.Setup
	}
	fixed, err := traces.Replay(v2, rmap.Scope, rmap.Property, ops, setup)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		tr   *traces.Trace
		want string
	}{
		{"patch", rmap, "Matching layouts are not the bug reproducing: khlebnikov-fix-v1's rmap-reachable violation is in the anon_vma " +
			"bookkeeping they do not reveal, and happens only on a kernel carrying the patch khlebnikov-fix-v1 models. (This kernel: "},
		{"fixed", fixed, "khlebnikov-fix-v2 models a patch: what it changes shows only on a kernel carrying it. (This kernel: "},
		{"release", reproEveryOpTrace(t), "The predictions are of Linux v5.4, as the model has that release. (This kernel: "},
	} {
		out := reproRequireClean(t, gcc, c.tr, c.name)
		if !strings.Contains(out, "\n"+c.want) {
			t.Errorf("%s: output lacks %q:\n%s", c.name, c.want, out)
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if last := lines[len(lines)-1]; !strings.HasSuffix(last, " predicts: the return values and /proc/self/maps layouts matched") {
			t.Errorf("%s: the last line %q does not say what matched", c.name, last)
		}
	}
}
