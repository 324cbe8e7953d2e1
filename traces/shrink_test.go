package traces

import (
	"bytes"
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"anoncheck/check"
	"anoncheck/specs"
	"anoncheck/state"
	"anoncheck/transitions"
)

// shrinkCase is a variant and scope with violations: every property it
// violates there gives a trace to shrink.
type shrinkCase struct {
	variant      string
	pages, procs int
	bound        int
	// only, if set, is the one property explored, with the run stopped at
	// its first violation: the same state the full run reports first, since
	// the order states are found in does not depend on the properties.
	only string
}

var shrinkCases = []shrinkCase{
	{variant: "khlebnikov-fix-v1", pages: 2, procs: 2, bound: 2},
	// The full fixpoint of 82,683 one-process layouts takes seconds.
	{variant: "linux-next-20191008", pages: 3, procs: 1, bound: 0, only: "kernel-bug"},
}

func shrinkScope(pages, procs int) transitions.Scope {
	sc := transitions.DefaultScope()
	sc.Pages, sc.Procs = pages, procs
	return sc
}

// explorerTraces runs the explorer on c with the given number of workers
// and returns the trace of each violated property, in property order.
func explorerTraces(t testing.TB, c shrinkCase, workers int) []*Trace {
	t.Helper()
	v, err := specs.Lookup(c.variant)
	if err != nil {
		t.Fatal(err)
	}
	props := specs.Properties()
	cfg := check.Config[state.State]{Bound: c.bound, Workers: workers}
	if c.only != "" {
		p, err := specs.LookupProperty(c.only)
		if err != nil {
			t.Fatal(err)
		}
		props = []*specs.Property{p}
		cfg.StopWhenAllViolated = true
	}
	m := &specs.Model{Variant: v, Scope: shrinkScope(c.pages, c.procs)}
	cfg.Properties = m.CheckProperties(props)
	res := check.Run[state.State](context.Background(), m, cfg)
	var out []*Trace
	for i, p := range props {
		if p.Limit || !res.Violated(i) {
			continue
		}
		tr, err := FromPath(v, m.Scope, p, res.Violations[i].Path)
		if err != nil {
			t.Fatalf("%s %s: %v", c.variant, p.Name, err)
		}
		out = append(out, tr)
	}
	if len(out) == 0 {
		t.Fatalf("%s at pages=%d procs=%d bound=%d: no violation to shrink", c.variant, c.pages, c.procs, c.bound)
	}
	return out
}

// checkShrunk checks got, the shrunk form of orig, without the shrinker's
// code: it is a path the explorer could have taken, it violates orig's
// property in its final state and in no state before, and it is no longer
// and costs no more than orig.
func checkShrunk(orig, got *Trace) error {
	if got.Variant != orig.Variant || got.Property != orig.Property || got.Scope.Pages != orig.Scope.Pages ||
		got.Scope.Procs != orig.Scope.Procs || got.Scope.ProtsString() != orig.Scope.ProtsString() {
		return fmt.Errorf("variant, property or scope changed")
	}
	if err := checkExplorerPath(got); err != nil {
		return err
	}
	if got.Depth() > orig.Depth() {
		return fmt.Errorf("%d operations after setup, more than the original's %d", got.Depth(), orig.Depth())
	}
	if gc, oc := TraceCost(got), TraceCost(orig); gc.Compare(oc) > 0 {
		return fmt.Errorf("costs %v, more than the original's %v", gc, oc)
	}
	return nil
}

// checkExplorerPath replays t's operations and checks each against what the
// explorer does: setup steps are P1's and first, each step is an enabled
// action of a state with successors, no state repeats, and the property is
// violated in the last state and only there.
func checkExplorerPath(t *Trace) error {
	k := t.Variant.Kernel()
	s := transitions.Initial()
	k.S = &s
	env := t.Variant.Env(t.Scope.Procs)
	var c state.State
	state.Canonical(&c, &s)
	seen := map[uint64]bool{c.Fingerprint(): true}
	if !t.Property.Judge(&c, env) && len(t.Steps) > 0 {
		return fmt.Errorf("the initial state already violates %s", t.Property.Name)
	}
	for i, st := range t.Steps {
		if st.Setup && (i > 0 && !t.Steps[i-1].Setup || st.Op.Proc != 0) {
			return fmt.Errorf("step %d (%s): setup step out of place", i+1, st.Op)
		}
		if s.Faulted() {
			return fmt.Errorf("step %d (%s): follows an oops", i+1, st.Op)
		}
		acts := t.Scope.Actions(&s, st.Setup, nil)
		found := false
		for _, a := range acts {
			found = found || a == st.Op.Encode()
		}
		if !found {
			return fmt.Errorf("step %d (%s): not an enabled action", i+1, st.Op)
		}
		if _, err := k.Apply(st.Op, &t.Scope); err != nil {
			return fmt.Errorf("step %d: %v", i+1, err)
		}
		state.Canonical(&c, &s)
		if c != st.After {
			return fmt.Errorf("step %d (%s): the recorded state is not the replayed one", i+1, st.Op)
		}
		if seen[c.Fingerprint()] {
			return fmt.Errorf("step %d (%s): returns to a state already visited", i+1, st.Op)
		}
		seen[c.Fingerprint()] = true
		violated := !t.Property.Judge(&c, env)
		if last := i == len(t.Steps)-1; violated != last {
			if last {
				return fmt.Errorf("%s holds at the end (step %d)", t.Property.Name, i+1)
			}
			return fmt.Errorf("%s is violated already after step %d of %d", t.Property.Name, i+1, len(t.Steps))
		}
	}
	if t.Holds() {
		return fmt.Errorf("Holds() is true for the shrunk trace")
	}
	return nil
}

// setupFirst returns setup flags for n steps of which the first k are setup.
func setupFirst(k, n int) []bool {
	out := make([]bool, n)
	for i := 0; i < k; i++ {
		out[i] = true
	}
	return out
}

func encodeTrace(t *testing.T, tr *Trace) []byte {
	t.Helper()
	b, err := EncodeJSON(tr)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func opsString(tr *Trace) string {
	var parts []string
	for _, st := range tr.Steps {
		s := st.Op.String()
		if st.Setup {
			s = "setup " + s
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

// Every violation of the variants that have some shrinks to a trace that
// still violates, ends where it first violates, is no longer and costs no
// more than the explorer's, and is a fixpoint. Shrinking takes well under a
// second.
func TestShrinkExplorerTraces(t *testing.T) {
	for _, c := range shrinkCases {
		for _, orig := range explorerTraces(t, c, 1) {
			t.Run(c.variant+"/"+orig.Property.Name, func(t *testing.T) {
				if err := checkExplorerPath(orig); err != nil {
					t.Fatalf("the explorer's own trace: %v", err)
				}
				got, err := Shrink(orig)
				if err != nil {
					t.Fatal(err)
				}
				t.Logf("%s\n  cost %v\n  ->   %v", opsString(got), TraceCost(orig), TraceCost(got))
				if err := checkShrunk(orig, got); err != nil {
					t.Fatalf("shrunk trace %s: %v", opsString(got), err)
				}
				again, err := Shrink(got)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(encodeTrace(t, again), encodeTrace(t, got)) {
					t.Fatalf("not a fixpoint: %s shrinks further to %s", opsString(got), opsString(again))
				}
			})
		}
	}
}

// A trace padded with what the violation does not need shrinks to the
// explorer's: khlebnikov-fix-v1 loses the child's anon_vma_chain link at
// the first fork of a process whose two VMAs share an anon_vma. The padding
// is an extra process that maps a page, a mapping of three pages instead
// of two with PROT_EXEC, an extra written page, an operation in place of a
// setup step, and an mprotect of the upper half and the extra page, to rw
// where r suffices. After the violation, more operations follow, and the
// last of them ends in a state where the property holds again.
func TestShrinkPadded(t *testing.T) {
	v, err := specs.Lookup("khlebnikov-fix-v1")
	if err != nil {
		t.Fatal(err)
	}
	p, err := specs.LookupProperty("own-anon-vma-linked")
	if err != nil {
		t.Fatal(err)
	}
	sc := shrinkScope(3, 3)
	r, rw, rwx := transitions.ProtRead, transitions.ProtRead|transitions.ProtWrite, transitions.ProtRead|transitions.ProtWrite|transitions.ProtExec
	sc.Prots = []transitions.Prot{r, rw, rwx}
	mmap := func(proc, a, b uint8, pr transitions.Prot) transitions.Op {
		return transitions.Op{Kind: transitions.OpMmap, Proc: proc, Start: a, End: b, Arg: uint8(pr)}
	}
	mprotect := func(a, b uint8, pr transitions.Prot) transitions.Op {
		return transitions.Op{Kind: transitions.OpMprotect, Start: a, End: b, Arg: uint8(pr)}
	}
	write := func(proc, a uint8) transitions.Op {
		return transitions.Op{Kind: transitions.OpWrite, Proc: proc, Start: a}
	}
	fork := func(proc uint8) transitions.Op { return transitions.Op{Kind: transitions.OpFork, Proc: proc} }
	exit := func(proc uint8) transitions.Op { return transitions.Op{Kind: transitions.OpExit, Proc: proc} }

	padded := []transitions.Op{
		mmap(0, 0, 3, rwx), write(0, 2), // setup
		fork(0), write(0, 0), mmap(1, 0, 1, rw), mprotect(1, 3, rw), fork(0), // violated here
		write(2, 1), exit(2),
	}
	tr, err := Replay(v, sc, p, padded, setupFirst(2, len(padded)))
	if err != nil {
		t.Fatal(err)
	}
	if !tr.Holds() {
		t.Fatal("the padded trace violates at its end; it should violate only in the middle")
	}
	want := []transitions.Op{mmap(0, 0, 2, rw), write(0, 0), mprotect(0, 1, r), fork(0)}
	wantTrace, err := Replay(v, sc, p, want, setupFirst(3, len(want)))
	if err != nil {
		t.Fatal(err)
	}
	if wantTrace.Holds() {
		t.Fatal("the expected trace does not violate")
	}
	start := time.Now()
	got, err := Shrink(tr)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("shrinking %d steps to %d took %v", len(tr.Steps), len(got.Steps), time.Since(start))
	if opsString(got) != opsString(wantTrace) {
		t.Fatalf("shrunk to\n  %s\nwant\n  %s", opsString(got), opsString(wantTrace))
	}
	if err := checkExplorerPath(got); err != nil {
		t.Fatal(err)
	}
	if gc, pc := TraceCost(got), TraceCost(tr); gc.Compare(pc) >= 0 {
		t.Fatalf("cost %v, not below the padded trace's %v", gc, pc)
	}
}

// The explorer finds the same traces with one worker and with two, and they
// shrink to byte-identical trace files.
func TestShrinkWorkersStable(t *testing.T) {
	c := shrinkCases[0]
	one, two := explorerTraces(t, c, 1), explorerTraces(t, c, 2)
	if len(one) != len(two) {
		t.Fatalf("%d violations with one worker, %d with two", len(one), len(two))
	}
	for i := range one {
		a, err := Shrink(one[i])
		if err != nil {
			t.Fatal(err)
		}
		b, err := Shrink(two[i])
		if err != nil {
			t.Fatal(err)
		}
		if ja, jb := encodeTrace(t, a), encodeTrace(t, b); !bytes.Equal(ja, jb) {
			t.Errorf("%s: one worker shrinks to\n%s\ntwo workers to\n%s", one[i].Property.Name, ja, jb)
		}
	}
}

// A search that accepts a path that no longer violates is caught: by
// Shrink's own replay of its result, and by checkShrunk, which the tests
// above rely on. The broken searches accept any state, or judge the wrong
// property (own-anon-vma-linked, violated one operation before
// rmap-reachable).
func TestShrinkCatchesWrongAcceptance(t *testing.T) {
	var orig *Trace
	for _, tr := range explorerTraces(t, shrinkCases[0], 1) {
		if tr.Property.Name == "rmap-reachable" {
			orig = tr
		}
	}
	if orig == nil {
		t.Fatal("no rmap-reachable trace")
	}
	link, err := specs.LookupProperty("own-anon-vma-linked")
	if err != nil {
		t.Fatal(err)
	}
	env := orig.Variant.Env(orig.Scope.Procs)
	for _, c := range []struct {
		name  string
		wrong func(*state.State) bool
	}{
		{"the right property", nil},
		{"any state", func(*state.State) bool { return true }},
		{"the wrong property", func(s *state.State) bool { return !link.Judge(s, env) }},
	} {
		name, wrong := c.name, c.wrong
		t.Run(name, func(t *testing.T) {
			sh, err := newShrinker(orig)
			if err != nil {
				t.Fatal(err)
			}
			if wrong != nil {
				sh.violates = wrong
			}
			start, err := sh.identify(orig)
			if err != nil {
				t.Fatal(err)
			}
			o, err := sh.search(start)
			if err != nil {
				t.Fatal(err)
			}
			tr, err := Replay(orig.Variant, orig.Scope, orig.Property, o.ops, o.setup)
			if err != nil {
				t.Fatal(err)
			}
			_, verr := sh.verify(o)
			cerr := checkShrunk(orig, tr)
			if wrong == nil {
				if verr != nil || cerr != nil {
					t.Fatalf("the correct search is rejected: %v; %v", verr, cerr)
				}
				return
			}
			if verr == nil || !strings.Contains(verr.Error(), "does not violate") {
				t.Errorf("Shrink's verification let %s through: %v", opsString(tr), verr)
			}
			if cerr == nil {
				t.Errorf("checkShrunk let %s through", opsString(tr))
			}
		})
	}
}

// Shrink refuses a trace it cannot start from, naming the step.
func TestShrinkRejectsBadTraces(t *testing.T) {
	v, err := specs.Lookup("khlebnikov-fix-v1")
	if err != nil {
		t.Fatal(err)
	}
	p, err := specs.LookupProperty("own-anon-vma-linked")
	if err != nil {
		t.Fatal(err)
	}
	sc := shrinkScope(2, 2)
	rw := uint8(transitions.ProtRead | transitions.ProtWrite)
	layout := []transitions.Op{
		{Kind: transitions.OpMmap, Start: 0, End: 2, Arg: rw},
		{Kind: transitions.OpWrite, Start: 0},
		{Kind: transitions.OpMprotect, Start: 0, End: 1, Arg: uint8(transitions.ProtRead)},
	}
	fork := transitions.Op{Kind: transitions.OpFork}
	for _, c := range []struct {
		name  string
		ops   []transitions.Op
		setup []bool
		prop  *specs.Property
		want  string
	}{
		{"holds throughout", layout, []bool{true, true, true}, p, "holds after all 3 steps"},
		{"no property", append(layout, fork), []bool{true, true, true, false}, nil, "names no property"},
		{"setup after an operation", append(layout, fork), []bool{true, false, true, false}, p, "step 3 (mprotect(P1, [0,1), r)): a setup step after an operation"},
		{"a write that takes no fault", append(append(layout[:2:2], layout[1]), fork), []bool{true, true, true, false}, p, "step 3 (write(P1, 0)): not a setup action"},
	} {
		t.Run(c.name, func(t *testing.T) {
			tr, err := Replay(v, sc, c.prop, c.ops, c.setup)
			if err != nil {
				t.Fatal(err)
			}
			_, err = Shrink(tr)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want one containing %q", err, c.want)
			}
		})
	}
}

// Cost compares field by field in the documented order: a cost lower in
// one field is lower whatever the fields after it hold.
func TestCostOrder(t *testing.T) {
	fields := []func(*Cost) *int{
		func(c *Cost) *int { return &c.Ops },
		func(c *Cost) *int { return &c.Procs },
		func(c *Cost) *int { return &c.Others },
		func(c *Cost) *int { return &c.Fails },
		func(c *Cost) *int { return &c.VMAs },
		func(c *Cost) *int { return &c.Pages },
		func(c *Cost) *int { return &c.Width },
		func(c *Cost) *int { return &c.Writes },
		func(c *Cost) *int { return &c.Setup },
		func(c *Cost) *int { return &c.ProtBits },
		func(c *Cost) *int { return &c.Advice },
		func(c *Cost) *int { return &c.Slots },
	}
	if n := reflect.TypeOf(Cost{}).NumField(); n != len(fields) {
		t.Fatalf("Cost has %d fields, the test orders %d", n, len(fields))
	}
	for i := range fields {
		var lo, hi Cost
		*fields[i](&lo), *fields[i](&hi) = 1, 2
		for j := i + 1; j < len(fields); j++ {
			*fields[j](&lo) = 9
		}
		if lo.Compare(hi) != -1 || hi.Compare(lo) != 1 || lo.Compare(lo) != 0 {
			t.Errorf("field %d: %v vs %v compares %d, %d, %d; want -1, 1, 0", i, lo, hi, lo.Compare(hi), hi.Compare(lo), lo.Compare(lo))
		}
	}
}

// TraceCost counts what a trace does: khlebnikov-fix-v1's first fork of
// two VMAs sharing an anon_vma.
func TestTraceCost(t *testing.T) {
	v, err := specs.Lookup("khlebnikov-fix-v1")
	if err != nil {
		t.Fatal(err)
	}
	p, err := specs.LookupProperty("own-anon-vma-linked")
	if err != nil {
		t.Fatal(err)
	}
	rw := uint8(transitions.ProtRead | transitions.ProtWrite)
	ops := []transitions.Op{
		{Kind: transitions.OpMmap, Start: 0, End: 2, Arg: rw},
		{Kind: transitions.OpWrite, Start: 0},
		{Kind: transitions.OpMprotect, Start: 0, End: 1, Arg: uint8(transitions.ProtRead)},
		{Kind: transitions.OpFork},
	}
	tr, err := Replay(v, shrinkScope(2, 2), p, ops, setupFirst(3, 4))
	if err != nil {
		t.Fatal(err)
	}
	// Others: same-anon-vma-same-chain fails at the same fork (README).
	want := Cost{Ops: 1, Procs: 2, Others: 1, VMAs: 4, Pages: 2, Width: 4, Writes: 1, Setup: 3, ProtBits: 3, Advice: 0, Slots: 3}
	if got := TraceCost(tr); got != want {
		t.Fatalf("cost %v, want %v", got, want)
	}
}

// BenchmarkShrink measures shrinking each khlebnikov-fix-v1 violation at
// pages=2 procs=2 bound=2.
func BenchmarkShrink(b *testing.B) {
	trs := explorerTraces(b, shrinkCases[0], 1)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, tr := range trs {
			if _, err := Shrink(tr); err != nil {
				b.Fatal(err)
			}
		}
	}
}
