package specs_test

// The explorer with the opt-in operations on: mremap (--ops +mremap) and
// madvise(MADV_DONTNEED) (--advices +dontneed).

import (
	"testing"

	"anoncheck/specs"
	"anoncheck/state"
	"anoncheck/traces"
	"anoncheck/transitions"
)

// optIn is the default scope at pages and procs with the opt-in
// operations on.
func optIn(pages, procs int, mremap, dontneed bool) transitions.Scope {
	sc := transitions.DefaultScope()
	sc.Pages, sc.Procs = pages, procs
	if mremap {
		sc.Ops = transitions.DefaultOps | 1<<transitions.OpMremap
	}
	if dontneed {
		sc.Advices = append(transitions.ForkAdvices(), transitions.MadvDontNeed)
	}
	return sc
}

// TestOptInExplored: at the default scope to bound 3, with MADV_DONTNEED
// and mremap in every generation (v5.4, v5.7, v6.1, v6.18), every
// property holds, the new operations take transitions, and the runs reach
// more states than without them.
func TestOptInExplored(t *testing.T) {
	for _, c := range []struct {
		v      *specs.Variant
		mremap bool
	}{{specs.V54, true}, {specs.V57, true}, {specs.V61, true}, {specs.V618, true}} {
		base, _ := explore(t, c.v, optIn(2, 2, false, false), 3)
		res, _ := explore(t, c.v, optIn(2, 2, c.mremap, true), 3)
		for i, p := range specs.Properties() {
			if res.Violated(i) {
				t.Errorf("%s: %s violated at depth %d with the opt-in operations", c.v.Name, p.Name, res.Violations[i].Depth)
			}
		}
		if res.Stats.States <= base.Stats.States {
			t.Errorf("%s: %d states with the opt-in operations, %d without", c.v.Name, res.Stats.States, base.Stats.States)
		}
	}
}

// TestMremapFaultedUnfaultedMerge: v6.18.0's copy_vma() merges a moved,
// faulted VMA into an unfaulted neighbour that it lands in front of.
// is_mergeable_anon_vma() allows it (case 1: no middle VMA, so nothing
// "had uncowed parents"), the neighbour is vma_merge_new_range()'s target,
// and vma_expand() calls dup_anon_vma() only for a next VMA it removes,
// so the neighbour grows over the moved page without an anon_vma; when
// unmap_source_vma() then unmaps the source, the source's anon_vma loses
// its last VMA and is freed while the page still points at it. The
// shortest trace is three operations at three page slots; later 6.18.y
// releases (6.18.35 in the mirror read) pass the source as
// vmg->copied_from and dup_anon_vma() it in vma_expand(). v5.4's
// is_mergeable_anon_vma() refuses the merge (the neighbour's chain is
// empty, not singular), so the same scope holds there, and in v6.1, which
// has v5.4's.
//
//	012
//	A..    A: rw, written at 0; mremap [0,1) -> [2,3) MAYMOVE|FIXED
//	..A    mmap [1,2) rw (B, unfaulted, page offset 1)
//	.BA    mremap [2,3) -> [0,1): B takes [0,1) = [0,2), anon_vma NULL; av1 freed
func TestMremapFaultedUnfaultedMerge(t *testing.T) {
	sc := optIn(3, 1, true, false)
	res, _ := explore(t, specs.V618, sc, 3)
	for _, name := range []string{"rmap-reachable", "no-freed-anon-vma"} {
		if i := propIndex(t, name); !res.Violated(i) || res.Violations[i].Depth != 3 {
			t.Errorf("v6.18: %s: violated %v at depth %d, want at depth 3", name, res.Violated(i), res.Violations[i].Depth)
		}
	}
	for _, v := range []*specs.Variant{specs.V54, specs.V61} {
		if r, _ := explore(t, v, sc, 3); r.Violated(propIndex(t, "rmap-reachable")) {
			t.Errorf("%s: rmap-reachable violated at the same scope", v.Name)
		}
	}
	rw := uint8(transitions.ProtRead | transitions.ProtWrite)
	ops := []transitions.Op{
		{Kind: transitions.OpMmap, Start: 0, End: 1, Arg: rw},
		{Kind: transitions.OpWrite, Start: 0},
		{Kind: transitions.OpMremap, Start: 0, End: 1, To: 2, ToEnd: 3, Arg: uint8(transitions.MremapMove)},
		{Kind: transitions.OpMmap, Start: 1, End: 2, Arg: rw},
		{Kind: transitions.OpMremap, Start: 2, End: 3, To: 0, ToEnd: 1, Arg: uint8(transitions.MremapMove)},
	}
	tr, err := traces.Replay(specs.V618, sc, nil, ops, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := &tr.Steps[len(tr.Steps)-1].Raw
	v := s.FindVMA(0, 0)
	if v == state.NoVMA || s.VMA(v).Start != 0 || s.VMA(v).End != 2 || s.VMA(v).AnonVMA != state.NoAV {
		t.Fatalf("after the last mremap: want one VMA [0,2) without an anon_vma:\n%v", traces.StateLines(s, transitions.CountChildrenActive))
	}
	pg := s.PT[0][0].Page()
	if pg == state.NoPage || s.AV(s.Page(pg).Mapping).Status != state.AVFreed {
		t.Errorf("the moved page's anon_vma is not freed:\n%v", traces.StateLines(s, transitions.CountChildrenActive))
	}
}

// TestMremapCopiedFromFix: v6.18.y (vmg->copied_from) holds every
// property at the scope (--pages 3 --procs 1 --ops +mremap, bound 3) where
// v6.18.0 frees the moved page's anon_vma (TestMremapFaultedUnfaultedMerge),
// and so does v6.18.y with vma_expand()'s dup_anon_vma(target,
// vmg->copied_from) taken out, which then fails as v6.18 does.
func TestMremapCopiedFromFix(t *testing.T) {
	sc := optIn(3, 1, true, false)
	res, _ := explore(t, specs.V618y, sc, 3)
	for i, p := range specs.Properties() {
		if res.Violated(i) {
			t.Errorf("v6.18.y: %s violated at depth %d", p.Name, res.Violations[i].Depth)
		}
	}
	noDup := &specs.Variant{Name: "v6.18.y-no-copied-dup", Follows: "test mutation of v6.18.y", Base: "v6.18.y",
		Patch: func(f *transitions.Funcs) {
			expand := f.VMAExpand
			f.VMAExpand = func(k *kernel, g *transitions.VMG) int {
				g.CopiedFrom = state.NoVMA // vma_expand() without dup_anon_vma(target, copied_from)
				return expand(k, g)
			}
		}}
	res, _ = explore(t, noDup, sc, 3)
	for _, name := range []string{"rmap-reachable", "no-freed-anon-vma"} {
		if !res.Violated(propIndex(t, name)) {
			t.Errorf("v6.18.y without dup_anon_vma(target, copied_from): %s holds, want violated", name)
		}
	}
}
