package specs_test

import (
	"context"
	"fmt"
	"testing"

	"anoncheck/check"
	"anoncheck/specs"
	"anoncheck/state"
	"anoncheck/transitions"
)

// TestVariantVerdicts checks that every variant's expected verdicts hold. A
// change to the model that flips one fails here, naming the variant, the
// property and the source of the expectation.
func TestVariantVerdicts(t *testing.T) {
	for _, v := range specs.All() {
		if len(v.Expect) == 0 {
			t.Errorf("variant %s declares no expected verdicts", v.Name)
			continue
		}
		runs := map[string]check.Result{}
		for _, e := range v.Expect {
			key := fmt.Sprintf("pages=%d procs=%d bound=%d", e.Pages, e.Procs, e.Bound)
			t.Run(v.Name+"/"+e.Property+"/"+key, func(t *testing.T) {
				res, ok := runs[key]
				if !ok {
					res, _ = explore(t, v, scope(e.Pages, e.Procs), e.Bound)
					runs[key] = res
				}
				for i, p := range specs.Properties() {
					if p.Limit || p.Advisory || (e.Property != "*" && e.Property != p.Name) {
						continue
					}
					got := specs.Holds
					if res.Violated(i) {
						got = res.Violations[i].Depth
					}
					if e.Property == "*" && got != specs.Holds {
						t.Errorf("%s: %s violated at depth %d at %s; expected to hold (%s)", v.Name, p.Name, got, key, e.Why)
					}
					if e.Property != "*" && got != e.Depth {
						t.Errorf("%s: %s at %s: got %s, want %s (%s)", v.Name, p.Name, key, verdict(got), verdict(e.Depth), e.Why)
					}
				}
			})
		}
	}
}

func verdict(d int) string {
	if d == specs.Holds {
		return "holds"
	}
	return fmt.Sprintf("violated at depth %d", d)
}

// TestLinuxNextAnonVMAMergeBug reproduces the crash syzbot and Qian Cai
// reported from linux-next 20191008: with a VMA Q before P, mmap() into the
// gap between P and N merges P, the gap and N (case 1); P imports N's
// anon_vma, then anon_vma_clone() overwrites it with Q's (NULL), and
// anon_vma_merge() hits VM_BUG_ON_VMA (rmap.h:159).
//
//	0123
//	QP.N    Q: r, P: rw, N: rw written
//	QPPP    mmap(P1, [2,3), rw)
func TestLinuxNextAnonVMAMergeBug(t *testing.T) {
	rw := uint8(transitions.ProtRead | transitions.ProtWrite)
	ops := []transitions.Op{
		{Kind: transitions.OpMmap, Start: 0, End: 1, Arg: uint8(transitions.ProtRead)},
		{Kind: transitions.OpMmap, Start: 1, End: 2, Arg: rw},
		{Kind: transitions.OpMmap, Start: 3, End: 4, Arg: rw},
		{Kind: transitions.OpWrite, Start: 3},
		{Kind: transitions.OpMmap, Start: 2, End: 3, Arg: rw},
	}
	for _, c := range []struct {
		variant string
		bug     transitions.Assertion
	}{
		{"linux-next-20191008", transitions.BugAnonVMAMerge},
		{"v5.4", transitions.AssertNone},
		{"v5.5-rc5", transitions.AssertNone},
	} {
		v, err := specs.Lookup(c.variant)
		if err != nil {
			t.Fatal(err)
		}
		k := v.Kernel()
		s := transitions.Initial()
		k.S = &s
		sc := scope(4, 1)
		for _, op := range ops {
			if _, err := k.Apply(op, &sc); err != nil {
				t.Fatal(err)
			}
		}
		if got := transitions.Assertion(s.Bug); got != c.bug {
			t.Errorf("%s: oops %q, want %q", c.variant, got, c.bug)
		}
	}
}

// TestV61AnonExclusive checks v6.1's copy-on-write rules
// (PageAnonExclusive) and counters.
//
//	01
//	AA   P1: rw, written at 0, then fork, child writes, parent writes
func TestV61AnonExclusive(t *testing.T) {
	v, err := specs.Lookup("v6.1")
	if err != nil {
		t.Fatal(err)
	}
	k := v.Kernel()
	s := transitions.Initial()
	k.S = &s
	sc := scope(2, 2)
	rw := uint8(transitions.ProtRead | transitions.ProtWrite)
	apply := func(op transitions.Op) {
		t.Helper()
		if _, err := k.Apply(op, &sc); err != nil || s.Bug != 0 || s.Warn != 0 {
			t.Fatalf("%s: %v bug=%d warn=%d", op, err, s.Bug, s.Warn)
		}
	}
	apply(transitions.Op{Kind: transitions.OpMmap, Start: 0, End: 2, Arg: rw})
	apply(transitions.Op{Kind: transitions.OpWrite, Start: 0})
	pg := s.PT[0][0].Page()
	if s.Page(pg).Flags&state.PageAnonExclusive == 0 {
		t.Fatal("a new anonymous page is not PageAnonExclusive")
	}
	av1 := s.VMA(s.MMs[0].Mmap).AnonVMA
	if a := s.AV(av1); a.NumChildren != 1 || a.NumActiveVMAs != 1 || a.Degree != 0 {
		t.Fatalf("fresh anon_vma: num_children %d num_active_vmas %d degree %d, want 1 1 0", a.NumChildren, a.NumActiveVMAs, a.Degree)
	}
	apply(transitions.Op{Kind: transitions.OpFork})
	if s.Page(pg).Flags&state.PageAnonExclusive != 0 || s.Page(pg).Mapcount != 2 {
		t.Fatal("fork did not clear PageAnonExclusive or add the mapping")
	}
	if a := s.AV(av1); a.NumChildren != 2 || a.NumActiveVMAs != 1 {
		t.Fatalf("root after fork: num_children %d num_active_vmas %d, want 2 1", a.NumChildren, a.NumActiveVMAs)
	}
	apply(transitions.Op{Kind: transitions.OpWrite, Proc: 1, Start: 0}) // child copies
	apply(transitions.Op{Kind: transitions.OpWrite, Proc: 0, Start: 0}) // parent: sole mapping, moved and reused
	if s.PT[0][0].Page() != pg || !s.PT[0][0].Writable() || s.Page(pg).Flags&state.PageAnonExclusive == 0 {
		t.Fatal("the parent's write did not reuse the page as exclusive")
	}
	// mprotect(r) then mprotect(rw): the exclusive page's PTE is writable
	// again at once (64fe24a3e05e); under v5.4 it stays read-only.
	apply(transitions.Op{Kind: transitions.OpMprotect, Start: 0, End: 2, Arg: uint8(transitions.ProtRead)})
	apply(transitions.Op{Kind: transitions.OpMprotect, Start: 0, End: 2, Arg: rw})
	if !s.PT[0][0].Writable() {
		t.Fatal("mprotect(rw) left the exclusive page's PTE read-only")
	}
	// unlink_anon_vmas() clears vma->anon_vma (ee8ab1903e3d); exit frees all.
	apply(transitions.Op{Kind: transitions.OpExit, Proc: 1})
	apply(transitions.Op{Kind: transitions.OpExit, Proc: 0})
	for i := range s.AnonVMAs {
		if s.AnonVMAs[i].Status != state.AVUnused {
			t.Fatalf("anon_vma slot %d still in use after every process exited", i+1)
		}
	}
}

// TestWorkersDeterministic checks that states, transitions, per-depth
// counts and every shortest violating path are the same with one worker and
// with two.
func TestWorkersDeterministic(t *testing.T) {
	for _, name := range []string{"v5.4", "khlebnikov-fix-v1"} {
		v, _ := specs.Lookup(name)
		var runs [2]check.Result
		for i, w := range []int{1, 2} {
			m := &specs.Model{Variant: v, Scope: scope(2, 2)}
			runs[i] = check.Run[state.State](context.Background(), m, check.Config[state.State]{
				Bound: 3, Properties: m.CheckProperties(specs.Properties()), Workers: w})
		}
		a, b := runs[0], runs[1]
		if a.Stats.States != b.Stats.States || a.Stats.Transitions != b.Stats.Transitions ||
			fmt.Sprint(a.Stats.PerDepth) != fmt.Sprint(b.Stats.PerDepth) || fmt.Sprint(a.Violations) != fmt.Sprint(b.Violations) {
			t.Fatalf("%s: one worker %+v %v, two workers %+v %v", name, a.Stats, a.Violations, b.Stats, b.Violations)
		}
	}
}
