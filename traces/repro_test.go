package traces_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"anoncheck/check"
	"anoncheck/specs"
	"anoncheck/state"
	"anoncheck/traces"
	"anoncheck/transitions"
)

// reproNeedGCC skips a test that compiles reproducers when gcc is missing,
// except in CI, where it fails.
func reproNeedGCC(t *testing.T) string {
	t.Helper()
	gcc, err := exec.LookPath("gcc")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("gcc is needed to test reproducers: %v", err)
		}
		t.Skipf("gcc not found: %v", err)
	}
	return gcc
}

// reproBuild writes tr's program and compiles it with -Wall -Werror.
func reproBuild(t *testing.T, gcc string, tr *traces.Trace, name string) (bin, src string) {
	t.Helper()
	var b bytes.Buffer
	if err := traces.WriteRepro(&b, tr); err != nil {
		t.Fatalf("%s: WriteRepro: %v", name, err)
	}
	dir := t.TempDir()
	cfile := filepath.Join(dir, name+".c")
	bin = filepath.Join(dir, name)
	if err := os.WriteFile(cfile, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(gcc, "-Wall", "-Werror", "-O1", "-o", bin, cfile).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: gcc: %v\n%s", name, err, out)
	}
	return bin, b.String()
}

// reproRun runs a compiled reproducer and returns its output and exit
// status.
func reproRun(t *testing.T, bin string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin)
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("%s: timed out\n%s", bin, out)
	}
	var ee *exec.ExitError
	switch {
	case err == nil:
		return string(out), 0
	case errors.As(err, &ee) && ee.Exited():
		return string(out), ee.ExitCode()
	}
	t.Fatalf("%s: %v\n%s", bin, err, out)
	return "", -1
}

// reproRequireClean runs a reproducer and requires exit 0.
func reproRequireClean(t *testing.T, gcc string, tr *traces.Trace, name string) string {
	t.Helper()
	bin, src := reproBuild(t, gcc, tr, name)
	out, code := reproRun(t, bin)
	if code != 0 {
		t.Fatalf("%s: exit %d, want 0 (the kernel did not do what the model predicts)\n%s\n--- program:\n%s", name, code, out, src)
	}
	return out
}

// reproViolatingTraces finds, for every variant whose expectations name a
// violation, the shortest trace of each property it violates at that
// scope. The bound is the deepest expected violation (at least 1). Short
// mode explores only the properties the expectations name, and stops at
// their first violations.
func reproViolatingTraces(t *testing.T) map[string]*traces.Trace {
	t.Helper()
	out := map[string]*traces.Trace{}
	for _, v := range specs.All() {
		type key struct{ pages, procs int }
		bounds := map[key]int{}
		named := map[key]map[string]bool{}
		var order []key
		for _, e := range v.Expect {
			if e.Depth == specs.Holds {
				continue
			}
			k := key{e.Pages, e.Procs}
			if _, ok := bounds[k]; !ok {
				order = append(order, k)
				named[k] = map[string]bool{}
			}
			bounds[k] = max(bounds[k], e.Depth, 1)
			named[k][e.Property] = true
		}
		for _, k := range order {
			sc := transitions.DefaultScope()
			sc.Pages, sc.Procs = k.pages, k.procs
			var props []*specs.Property
			for _, p := range specs.Properties() {
				if !p.Limit && !p.Advisory && (!testing.Short() || named[k][p.Name]) {
					props = append(props, p)
				}
			}
			m := &specs.Model{Variant: v, Scope: sc}
			res := check.Run[state.State](context.Background(), m, check.Config[state.State]{
				Bound: bounds[k], Properties: m.CheckProperties(props), StopWhenAllViolated: testing.Short(), Workers: 2})
			for i, p := range props {
				if !res.Violated(i) {
					if named[k][p.Name] {
						t.Fatalf("%s: %s not violated at pages=%d procs=%d bound %d, as its expectation says", v.Name, p.Name, k.pages, k.procs, bounds[k])
					}
					continue
				}
				tr, err := traces.FromPath(v, sc, p, res.Violations[i].Path)
				if err != nil {
					t.Fatalf("%s %s: %v", v.Name, p.Name, err)
				}
				if tr.Holds() {
					t.Fatalf("%s %s: the replayed trace does not violate the property", v.Name, p.Name)
				}
				out[fmt.Sprintf("%s.%s.pages%d.procs%d", v.Name, p.Name, k.pages, k.procs)] = tr
			}
		}
	}
	return out
}

// Every violating trace of every variant with violations at small scopes
// runs on this machine's kernel exactly as the model predicts: the kernel
// carries none of the broken patches.
func TestReproViolatingTraces(t *testing.T) {
	gcc := reproNeedGCC(t)
	trs := reproViolatingTraces(t)
	names := make([]string, 0, len(trs))
	for name := range trs {
		names = append(names, name)
	}
	sort.Strings(names)
	variants := map[string]bool{}
	for _, name := range names {
		tr := trs[name]
		variants[tr.Variant.Name] = true
		t.Run(name, func(t *testing.T) {
			out := reproRequireClean(t, gcc, tr, "repro")
			if !strings.Contains(out, " ran as "+tr.Variant.Name+" predicts") {
				t.Errorf("no final verdict line:\n%s", out)
			}
			if tr.Depth() > 0 && !strings.Contains(out, "predicts\n") {
				t.Errorf("no step was reported:\n%s", out)
			}
			if steps, _, _ := reproCounts(t, out); steps != len(tr.Steps) {
				t.Errorf("the program counts %d trace steps, the trace has %d:\n%s", steps, len(tr.Steps), out)
			}
		})
	}
	for _, want := range []string{"khlebnikov-fix-v1", "linux-next-20191008"} {
		if !variants[want] {
			t.Errorf("no violating trace of %s found", want)
		}
	}
}

// reproEveryOpTrace is a hand-written trace under v5.4 that uses every
// operation kind and advice, a write that faults, calls over holes, and a
// fork into the slot of a process that exited.
//
//	0123
//	ABCC   P1 setup: rw, written at 0; [1,2) r, rw again (one VMA), r again; [3,4) DONTFORK
//	...    then WIPEONFORK on [2,3), fork, P2's calls, P1 exits, P2 forks into P1's slot
func reproEveryOpTrace(t *testing.T) *traces.Trace {
	t.Helper()
	r, rw := uint8(transitions.ProtRead), uint8(transitions.ProtRead|transitions.ProtWrite)
	mk := func(kind transitions.OpKind, proc, start, end, arg uint8) transitions.Op {
		return transitions.Op{Kind: kind, Proc: proc, Start: start, End: end, Arg: arg}
	}
	ops := []transitions.Op{
		mk(transitions.OpMmap, 0, 0, 4, rw),
		mk(transitions.OpWrite, 0, 0, 0, 0),
		mk(transitions.OpMprotect, 0, 1, 2, r),
		mk(transitions.OpMprotect, 0, 1, 3, rw), // merges the three back
		mk(transitions.OpMprotect, 0, 1, 2, r),
		mk(transitions.OpMadvise, 0, 3, 4, uint8(transitions.MadvDontFork)),
		// operations
		mk(transitions.OpMadvise, 0, 2, 3, uint8(transitions.MadvWipeOnFork)),
		mk(transitions.OpWrite, 0, 2, 0, 0),
		mk(transitions.OpFork, 0, 0, 0, 0),
		mk(transitions.OpWrite, 1, 1, 0, 0),     // read-only: SIGSEGV
		mk(transitions.OpMprotect, 1, 0, 4, rw), // a hole at 3
		mk(transitions.OpMadvise, 1, 2, 3, uint8(transitions.MadvKeepOnFork)),
		mk(transitions.OpWrite, 1, 0, 0, 0),
		mk(transitions.OpExit, 0, 0, 0, 0),
		mk(transitions.OpFork, 1, 0, 0, 0), // into P1's slot
		mk(transitions.OpMadvise, 0, 0, 2, uint8(transitions.MadvDontFork)),
		mk(transitions.OpMadvise, 0, 1, 2, uint8(transitions.MadvDoFork)),
		mk(transitions.OpMunmap, 0, 1, 2, 0),
		mk(transitions.OpMmap, 0, 3, 4, r),
		mk(transitions.OpMadvise, 0, 0, 4, uint8(transitions.MadvDoFork)), // a hole at 1
		mk(transitions.OpWrite, 0, 1, 0, 0),                               // unmapped: SIGSEGV
		mk(transitions.OpFork, 0, 0, 0, 0),
		mk(transitions.OpMunmap, 2, 0, 4, 0),
		mk(transitions.OpExit, 1, 0, 0, 0),
	}
	setup := make([]bool, len(ops))
	for i := 0; i < 6; i++ {
		setup[i] = true
	}
	sc := transitions.DefaultScope()
	sc.Pages, sc.Procs = 4, 3
	p, err := specs.LookupProperty("rmap-reachable")
	if err != nil {
		t.Fatal(err)
	}
	tr, err := traces.Replay(specs.V54, sc, p, ops, setup)
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.Steps) != len(ops) {
		t.Fatalf("replay ran %d of %d steps", len(tr.Steps), len(ops))
	}
	return tr
}

// The hand-written trace covers what it claims to, and runs as predicted.
func TestReproEveryOp(t *testing.T) {
	tr := reproEveryOpTrace(t)
	kinds := map[transitions.OpKind]bool{}
	advices := map[transitions.Advice]bool{}
	errnos := map[int]bool{}
	reused, merged := false, false
	var live [state.MaxProcs]bool
	live[0] = true
	exited := map[uint8]bool{}
	prev := transitions.Initial()
	for i, st := range tr.Steps {
		if p := int(st.Op.Proc); st.Op.Kind != transitions.OpExit && st.Op.Kind != transitions.OpMunmap &&
			reproCount(&st.After, p) < reproCount(&prev, p) {
			merged = true
		}
		prev = st.After
		kinds[st.Op.Kind] = true
		errnos[st.Errno] = true
		if st.Op.Kind == transitions.OpMadvise {
			advices[transitions.Advice(st.Op.Arg)] = true
		}
		for p := 0; p < state.MaxProcs; p++ {
			now := st.After.MMs[p].Live != 0
			if now && !live[p] && exited[uint8(p)] {
				reused = true
			}
			if !now && live[p] {
				exited[uint8(p)] = true
			}
			live[p] = now
		}
		if st.After.Faulted() || st.After.Warn != 0 {
			t.Fatalf("step %d (%s): v5.4 faulted or warned", i+1, st.Op)
		}
	}
	for k := transitions.OpMmap; k <= transitions.OpExit; k++ {
		if !kinds[k] {
			t.Errorf("the trace has no %v", transitions.Op{Kind: k})
		}
	}
	for a := transitions.MadvDontFork; a <= transitions.MadvKeepOnFork; a++ {
		if !advices[a] {
			t.Errorf("the trace has no %s", a)
		}
	}
	for _, e := range []int{transitions.EFAULT, transitions.ENOMEM} {
		if !errnos[e] {
			t.Errorf("no step returns %s", transitions.ErrnoName(e))
		}
	}
	if !reused {
		t.Error("no fork reuses the slot of a process that exited")
	}
	if !merged {
		t.Error("no step merges VMAs")
	}
	gcc := reproNeedGCC(t)
	out := reproRequireClean(t, gcc, tr, "everyop")
	for _, want := range []string{"= -EFAULT", "= -ENOMEM", "child P3 maps", "exit() = 0: reaped", "MADV_PAGEOUT"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func reproCount(s *state.State, p int) int {
	n := 0
	s.ForEachVMA(p, func(state.VMAID) bool { n++; return true })
	return n
}

// A wrong prediction is caught: a layout or a return value tampered with
// makes the program print the difference and exit 1.
func TestReproCatchesDifference(t *testing.T) {
	gcc := reproNeedGCC(t)
	tr := reproEveryOpTrace(t)
	var mprot, fork int = -1, -1
	for i, st := range tr.Steps {
		if st.Op.Kind == transitions.OpMprotect && !st.Setup && mprot < 0 {
			mprot = i
		}
		if st.Op.Kind == transitions.OpFork && fork < 0 {
			fork = i
		}
	}
	// The mprotect's first VMA is predicted read-only.
	st := &tr.Steps[mprot]
	p := int(st.Op.Proc)
	v := st.After.VMA(st.After.MMs[p].Mmap)
	before := fmt.Sprintf("[%d,%d) %s", v.Start, v.End, reproPerm(v.Flags))
	v.Flags &^= state.VMWrite
	after := fmt.Sprintf("[%d,%d) %s", v.Start, v.End, reproPerm(v.Flags))
	// The fork is predicted to fail.
	tr.Steps[fork].Errno = transitions.ENOMEM

	bin, src := reproBuild(t, gcc, tr, "tampered")
	out, code := reproRun(t, bin)
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s\n--- program:\n%s", code, out, src)
	}
	label := func(i int) string {
		if tr.Steps[i].Setup {
			return fmt.Sprintf("s%d", tr.Number(i))
		}
		return fmt.Sprint(tr.Number(i))
	}
	for _, want := range []string{
		fmt.Sprintf("step %s P%d mprotect([%d,%d), rw): maps differ: expected %s", label(mprot), p+1, st.Op.Start, st.Op.End, after),
		fmt.Sprintf(", got %s", before),
		fmt.Sprintf("step %s P1 fork(): returned 0, expected -ENOMEM", label(fork)),
		"2 difference(s) from the model",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func reproPerm(f state.Flags) string {
	b := []byte("---p")
	if f&state.VMRead != 0 {
		b[0] = 'r'
	}
	if f&state.VMWrite != 0 {
		b[1] = 'w'
	}
	if f&state.VMExec != 0 {
		b[2] = 'x'
	}
	return string(b)
}

// The header names the variant, the property and each step's kernel path;
// a step on which the variant oopses is expected to complete as under the
// variant it patches.
func TestReproHeader(t *testing.T) {
	v, err := specs.Lookup("linux-next-20191008")
	if err != nil {
		t.Fatal(err)
	}
	p, err := specs.LookupProperty("kernel-bug")
	if err != nil {
		t.Fatal(err)
	}
	sc := transitions.DefaultScope()
	sc.Pages, sc.Procs = 3, 1
	m := &specs.Model{Variant: v, Scope: sc}
	res := check.Run[state.State](context.Background(), m, check.Config[state.State]{
		Bound: 1, Properties: m.CheckProperties([]*specs.Property{p}), StopWhenAllViolated: true})
	if !res.Violated(0) {
		t.Fatal("linux-next-20191008 does not oops at pages=3 procs=1")
	}
	tr, err := traces.FromPath(v, sc, p, res.Violations[0].Path)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := traces.WriteRepro(&b, tr); err != nil {
		t.Fatal(err)
	}
	src := b.String()
	last := tr.Steps[len(tr.Steps)-1]
	if last.Errno != transitions.EOOPS {
		t.Fatalf("the trace's last step returned %d, want an oops", last.Errno)
	}
	for _, want := range []string{
		"variant:  linux-next-20191008",
		"follows:  " + strings.Fields(v.Follows)[0],
		"property: kernel-bug: ",
		last.Op.String(),
		"mmap_region",
		"!! " + transitions.Assertion(last.After.Bug).String(),
		"linux-next-20191008 stops here",
		"call as v5.4 does:",
		"only on a",
		"kernel carrying that patch",
		"MADV_PAGEOUT",
	} {
		if !strings.Contains(src, want) {
			t.Errorf("program lacks %q:\n%s", want, src)
		}
	}
	if i := strings.Index(src, "*/"); i < 0 || strings.Contains(src[2:i], "/*") {
		t.Error("the header is not one well-formed comment")
	}
}

// reproDefine finds the macros a program's generated part defines.
var reproDefine = regexp.MustCompile(`(?m)^#define (\w+) `)

// The fixed C files (repro/) compile as one program on their own, with
// testdata/repro_stub.c standing in for the parts a trace supplies; a
// generated program holds them verbatim, in the stub's order, and defines
// the same macros as the stub.
func TestReproFixedCode(t *testing.T) {
	read := func(name string) string {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	prelude, process, controller := read("repro/prelude.h"), read("repro/process.c"), read("repro/controller.c")
	stub := read("testdata/repro_stub.c")
	var b strings.Builder
	if err := traces.WriteRepro(&b, reproEveryOpTrace(t)); err != nil {
		t.Fatal(err)
	}
	prog := b.String()
	at := strings.Index(prog, "\n\n"+prelude+"\n")
	table := strings.Index(prog, "\nstatic const struct step steps[NSTEPS + 1] = {\n")
	if at < 0 || table < at {
		t.Errorf("the program does not hold repro/prelude.h before its step table:\n%s", prog)
	}
	if !strings.HasSuffix(prog, "\n\n"+process+"\n"+controller) {
		t.Errorf("the program does not end with repro/process.c and repro/controller.c:\n%s", prog)
	}
	names := func(src string) string {
		var out []string
		for _, m := range reproDefine.FindAllStringSubmatch(src, -1) {
			out = append(out, m[1])
		}
		sort.Strings(out)
		return strings.Join(out, " ")
	}
	if at >= 0 {
		if got, want := names(stub[:strings.Index(stub, "#include")]), names(prog[:at]); got != want {
			t.Errorf("testdata/repro_stub.c defines %s; a program defines %s", got, want)
		}
	}
	gcc := reproNeedGCC(t)
	if out, err := exec.Command(gcc, "-fsyntax-only", "-Wall", "-Wextra", "-Werror", "testdata/repro_stub.c").CombinedOutput(); err != nil {
		t.Fatalf("the fixed C files do not compile: gcc: %v\n%s", err, out)
	}
}

// A trace whose step names a process that is not running is refused.
func TestReproRejectsBadTrace(t *testing.T) {
	tr := reproEveryOpTrace(t)
	tr.Steps[len(tr.Steps)-1].Op.Proc = 3
	var b strings.Builder
	err := traces.WriteRepro(&b, tr)
	if err == nil || !strings.Contains(err.Error(), "P4 is not running") {
		t.Fatalf("err = %v, want one naming P4", err)
	}
}
