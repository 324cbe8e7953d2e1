package traces_test

import (
	"bytes"
	"strings"
	"testing"

	"anoncheck/specs"
	"anoncheck/traces"
	"anoncheck/transitions"
)

// failTrace replays, under variant name at pages=2 procs=2 with
// --fail-alloc 1, P1 mapping two pages and writing page 0 (setup), a fork,
// then P2's mprotect([0,1), r), whose split makes allocation 1
// (vm_area_dup()) fail, then P2's write of page 1.
func failTrace(t *testing.T, name string) *traces.Trace {
	t.Helper()
	v, err := specs.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	rw := uint8(transitions.ProtRead | transitions.ProtWrite)
	ops := []transitions.Op{
		{Kind: transitions.OpMmap, Start: 0, End: 2, Arg: rw},
		{Kind: transitions.OpWrite, Start: 0},
		{Kind: transitions.OpFork},
		{Kind: transitions.OpMprotect, Proc: 1, Start: 0, End: 1, Arg: uint8(transitions.ProtRead), Fail: 1},
		{Kind: transitions.OpWrite, Proc: 1, Start: 1},
	}
	sc := transitions.DefaultScope()
	sc.Pages, sc.Procs, sc.FailAlloc = 2, 2, 1
	tr, err := traces.Replay(v, sc, nil, ops, []bool{true, true, false, false, false})
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// TestFailTraceRenderings checks that every rendering of a step with an
// injected allocation failure names it: the operation line says which
// allocation failed and what allocated it, and the call path has the
// allocation returning NULL where it failed.
func TestFailTraceRenderings(t *testing.T) {
	for _, name := range []string{"v5.4", "v6.1", "v6.18"} {
		t.Run(name, func(t *testing.T) {
			tr := failTrace(t, name)
			st := tr.Steps[3]
			if st.Errno != transitions.ENOMEM || st.Injected != transitions.AllocVMADup {
				t.Fatalf("step 4: %s, injected %s; want -ENOMEM from vm_area_dup", st.Syscall(), st.Injected)
			}
			line := "mprotect(P2, [0,1), r) = -ENOMEM [allocation 1 failed: vm_area_dup()]"
			call := "vm_area_dup(B) = NULL (fault injected)"
			for _, r := range []struct {
				format string
				write  func(*bytes.Buffer, *traces.Trace) error
			}{
				{"text", func(b *bytes.Buffer, t *traces.Trace) error { return traces.WriteText(b, t) }},
				{"markdown", func(b *bytes.Buffer, t *traces.Trace) error { return traces.WriteMarkdownTrace(b, t) }},
				{"html", func(b *bytes.Buffer, t *traces.Trace) error { return traces.WriteHTML(b, t) }},
			} {
				var b bytes.Buffer
				if err := r.write(&b, tr); err != nil {
					t.Fatal(err)
				}
				out := b.String()
				if r.format == "html" {
					out = strings.ReplaceAll(out, "\\u003e", ">")
				}
				for _, want := range []string{line, call, "fail-alloc=1"} {
					if !strings.Contains(out, want) {
						t.Errorf("%s: no %q in\n%s", r.format, want, out)
					}
				}
			}
		})
	}
}

// TestFailTraceRepro checks the C reproducer of a trace with an injected
// failure: it says, in its header, that the step needs fault injection
// (failslab, make-it-fail) and which allocation of which cache; it runs
// the steps before it, does not run that step or any after it, and exits 3
// when those matched.
func TestFailTraceRepro(t *testing.T) {
	tr := failTrace(t, "v6.18")
	var b bytes.Buffer
	if err := traces.WriteRepro(&b, tr); err != nil {
		t.Fatal(err)
	}
	src := b.String()
	for _, want := range []string{
		"Step 2 needs fault injection", "/sys/kernel/debug/failslab", "/sys/kernel/slab/vm_area_struct/failslab",
		"/proc/self/make-it-fail", "does not pretend", "#define NSTEPS 3 ", "#define FAULT_STEP",
		"3: every step before step 2 ran and matched",
	} {
		if !strings.Contains(src, want) {
			t.Errorf("the program has no %q", want)
		}
	}
	if strings.Contains(src, ".op = OP_MPROTECT") {
		t.Errorf("the program performs the step that needs fault injection")
	}
	gcc := reproNeedGCC(t)
	bin, _ := reproBuild(t, gcc, tr, "fail")
	out, code := reproRun(t, bin)
	if code != 3 {
		t.Fatalf("exit %d, want 3\n%s", code, out)
	}
	if !strings.Contains(out, "all 3 trace steps ran") || !strings.Contains(out, "step 2 mprotect(P2, [0,1), r) = -ENOMEM [allocation 1 failed: vm_area_dup()]: needs fault injection") {
		t.Errorf("output:\n%s", out)
	}
}
