package v6_test

// Scenario tests of what 6.18.y (6.18.35) changes on mremap()'s copy_vma()
// path (transitions/v6/v618y.go): vmg->copied_from. Each runs on v6.18
// too, where the source is read at tag v6.18 and the result differs.

import (
	"testing"

	"anoncheck/state"
	"anoncheck/transitions"
	"anoncheck/transitions/scenariotest"
	v6 "anoncheck/transitions/v6"
)

// newEnv618y drives v6.18 patched to 6.18.y (v6.PatchV618y).
func newEnv618y(t *testing.T, pages, procs int) *scenariotest.Env {
	t.Helper()
	f := v6.V618()
	v6.PatchV618y(&f)
	return scenariotest.New(t, f, transitions.CountChildrenActive, pages, procs)
}

// moveFaultedBeforeUnfaulted moves A, written at 0, to [2,3), maps B at
// [1,2) (never written, page offset 1) and moves A back to [0,1), in
// front of B, with its page offset 0: copy_vma() of A at [0,1) finds B as
// next with the following page offset, and is_mergeable_anon_vma() case
// 1 (B has no anon_vma, the range has A's).
//
//	012
//	A..    A: rw, written at 0; mremap [0,1) -> [2,3) MAYMOVE|FIXED
//	..A    mmap [1,2) rw (B)
//	.BA    mremap [2,3) -> [0,1) MAYMOVE|FIXED
func moveFaultedBeforeUnfaulted(e *scenariotest.Env, p int, writable bool) (av state.AVID, pg state.PageID) {
	e.T.Helper()
	e.Mremap(p, 0, 1, 2, 3, move, 0)
	e.Mmap(p, 1, 2, pRW)
	av, pg = e.AVAt(p, 2), e.WantPTE(p, 2, writable)
	e.Mremap(p, 2, 3, 0, 1, move, 0)
	return av, pg
}

// TestVMAExpandDupsCopiedFrom covers vma_merge_copied_range() and
// vma_expand()'s dup_anon_vma(target, vmg->copied_from): B, next and the
// merge's target, takes [0,1), and with it A's anon_vma av1 and a copy of
// A's chain, so when unmap_source_vma() unmaps A, av1 keeps B and the
// moved page, at index 0 of av1, stays reachable. At tag v6.18 (no
// copied_from) B grows without an anon_vma and av1 is freed with A, which
// the invariants Env checks after each step report (rmap cannot find the
// page; TestMremapFaultedUnfaultedMerge in specs has the violation).
//
//	012
//	BB.    B: [0,2), anon_vma av1, chain [av1]
func TestVMAExpandDupsCopiedFrom(t *testing.T) {
	e := newEnv618y(t, 3, 1)
	e.Mmap(0, 0, 1, pRW)
	e.Write(0, 0)
	av, pg := moveFaultedBeforeUnfaulted(e, 0, true)
	e.WantCalled("copy_vma", "vma_merge_new_range", "vma_expand", "dup_anon_vma", "anon_vma_clone")
	e.WantLayout(0, "AA.")
	b := e.VMAAt(0, 0)
	e.WantVMA(b, 0, 2, 0, fRW)
	e.WantChain(b, av, av)
	if got := e.WantPTE(0, 0, true); got != pg {
		t.Errorf("PTE at 0 maps page %d, want page %d", got, pg)
	}
	e.WantPage(pg, av, 0, 1)
}

// TestIsMergeableAnonVMARefusesCopiedForkChild covers
// is_mergeable_anon_vma()'s vma_is_fork_child(vmg->copied_from): in P2,
// a fork child of P1, A's chain links P2's anon_vma and P1's, so the
// copy of A may not merge into B (case 1) and is a new VMA with A's
// anon_vma and chain; B stays unfaulted. At tag v6.18 the test is of
// src, vmg->middle, which is NULL for a copy, so B takes the range
// without an anon_vma and the page, of av1, is lost to rmap.
//
//	012
//	A..    P1: A rw, written at 0; fork -> P2, then in P2:
//	.BA    as moveFaultedBeforeUnfaulted
//	CB.    C: [0,1), P2's anon_vma, chain [av2, av1]
func TestIsMergeableAnonVMARefusesCopiedForkChild(t *testing.T) {
	e := newEnv618y(t, 3, 2)
	e.Mmap(0, 0, 1, pRW)
	e.Write(0, 0)
	p2 := e.Fork(0)
	chain := e.Chain(e.VMAAt(p2, 0))
	if len(chain) != 2 {
		t.Fatalf("P2's A has chain %v, want two anon_vmas", chain)
	}
	av, pg := moveFaultedBeforeUnfaulted(e, p2, false)
	e.WantCalled("copy_vma", "vma_merge_new_range", "anon_vma_clone")
	e.WantLayout(p2, "AB.")
	c, b := e.VMAAt(p2, 0), e.VMAAt(p2, 1)
	e.WantVMA(c, 0, 1, 0, fRW)
	e.WantChain(c, av, chain...)
	e.WantVMA(b, 1, 2, 1, fRW)
	e.WantChain(b, state.NoAV)
	if got := e.WantPTE(p2, 0, false); got != pg {
		t.Errorf("PTE at 0 maps page %d, want page %d", got, pg)
	}
}
