package v6_test

// Scenario tests of mremap() in the v6.18 model (mm/mremap.c at tag
// v6.18; copy_vma() and vma_merge_extend() of mm/vma.c): one or more per
// kernel function, drawn as the other scenarios are. The expected values
// follow from the v6.18 source the functions' doc comments cite.

import (
	"testing"

	"anoncheck/transitions"
	"anoncheck/transitions/scenariotest"
	v6 "anoncheck/transitions/v6"
)

const (
	move     = transitions.MremapMove
	moveKeep = transitions.MremapMoveKeep
)

// TestDoMremapChecks covers do_mremap() and check_mremap_params(): an
// overlap of the old and new ranges and MREMAP_DONTUNMAP with a new length
// are -EINVAL, an mremap of an unmapped address -EFAULT (check_prep_vma());
// none changes anything.
//
//	0123
//	AA..    A: rw, written at 0
//	        mremap [0,2) -> [1,3) MAYMOVE|FIXED = -EINVAL
//	        mremap [0,1) -> [2,4) MAYMOVE|FIXED|DONTUNMAP = -EINVAL
//	        mremap [2,3) -> [2,4) = -EFAULT
func TestDoMremapChecks(t *testing.T) {
	e := newEnv(t, 4, 1)
	e.Mmap(0, 0, 2, pRW)
	e.Write(0, 0)
	before := *e.S
	e.Mremap(0, 0, 2, 1, 3, move, transitions.EINVAL)
	e.WantCalled("do_mremap")
	e.Mremap(0, 0, 1, 2, 4, moveKeep, transitions.EINVAL)
	e.Mremap(0, 2, 3, 2, 4, 0, transitions.EFAULT)
	if *e.S != before {
		t.Errorf("a refused mremap changed the state")
	}
}

// TestMremapAt covers mremap_at(): a shrink unmaps the tail
// (shrink_vma() -> do_vmi_munmap(), its pages freed, the anon_vma kept;
// the split gives the part kept to a new VMA, new_below = 1);
// a growth in place goes through vma_merge_extend() ->
// vma_merge_new_range(), in which A, as prev, takes the new range; with B
// in the way and no MREMAP_MAYMOVE it is -ENOMEM.
//
//	0123
//	AAA.    A: rw, written at 0..2; mremap [0,3) -> [0,1)
//	A...    mremap [0,1) -> [0,2)
//	AA..    mmap [2,3) r (B); mremap [0,2) -> [0,3) = -ENOMEM
func TestMremapAt(t *testing.T) {
	e := newEnv(t, 4, 1)
	e.Mmap(0, 0, 3, pRW)
	for a := 0; a < 3; a++ {
		e.Write(0, a)
	}
	av := e.AVAt(0, 0)
	e.Mremap(0, 0, 3, 0, 1, 0, 0)
	e.WantCalled("mremap_at", "do_vmi_munmap")
	e.WantLayout(0, "A...")
	a := e.VMAAt(0, 0)
	e.WantVMA(a, 0, 1, 0, fRW)
	e.WantChain(a, av, av)
	if n := e.UsedPages(); n != 1 {
		t.Errorf("%d pages in use after the shrink, want 1", n)
	}
	e.Mremap(0, 0, 1, 0, 2, 0, 0)
	e.WantCalled("mremap_at", "vma_merge_new_range", "vma_expand")
	e.WantLayout(0, "AA..")
	e.WantVMA(a, 0, 2, 0, fRW)
	e.Mmap(0, 2, 3, pR)
	e.Mremap(0, 0, 2, 0, 3, 0, transitions.ENOMEM)
	e.WantLayout(0, "AAB.")
}

// TestMovePageTablesDontUnmap: scenariotest.ScenarioDontUnmap,
// MREMAP_DONTUNMAP (dontunmap_complete()).
func TestMovePageTablesDontUnmap(t *testing.T) {
	scenariotest.ScenarioDontUnmap(newEnv(t, 4, 1), "do_mremap")
}

// newEnv61 drives the v6.1 table (scenariotest.Env).
func newEnv61(t *testing.T, pages, procs int) *scenariotest.Env {
	t.Helper()
	return scenariotest.New(t, v6.V61(), transitions.CountChildrenActive, pages, procs)
}

// TestMoveVMAV61DontUnmap: v6.1's move_vma() with MREMAP_DONTUNMAP
// (scenariotest.ScenarioDontUnmap) ends as v6.18's dontunmap_complete().
func TestMoveVMAV61DontUnmap(t *testing.T) {
	scenariotest.ScenarioDontUnmap(newEnv61(t, 4, 1), "mremap")
}

// TestMremapV61GrowMerges covers the growth in place of v6.1's mremap():
// vma_merge() of the extension [1,2) with A as prev also takes B, which
// follows with the next page offset and no anon_vma either (case 1):
// one VMA. v5.4's vma_adjust() would grow A alone. Then mremap checks:
// no VMA at the old address is -EFAULT.
//
//	0123
//	A.B.    A, B: rw, never written; mremap [0,1) -> [0,2)
//	AAA.    mremap [3,4) -> [0,1) MAYMOVE|FIXED|DONTUNMAP = -EFAULT (nothing at 3)
func TestMremapV61GrowMerges(t *testing.T) {
	e := newEnv61(t, 4, 1)
	e.Mmap(0, 0, 1, pRW)
	e.Mmap(0, 2, 3, pRW)
	e.Mremap(0, 0, 1, 0, 2, 0, 0)
	e.WantCalled("mremap", "vma_merge")
	e.WantLayout(0, "AAA.")
	e.WantVMA(e.VMAAt(0, 0), 0, 3, 0, fRW)
	e.Mremap(0, 3, 4, 0, 1, moveKeep, transitions.EFAULT)
}

// TestMoveVMA: scenariotest.ScenarioMoveVMA, a move to a free range.
func TestMoveVMA(t *testing.T) { scenariotest.ScenarioMoveVMA(newEnv(t, 4, 1), "do_mremap") }

// TestMremapTo: scenariotest.ScenarioMremapToShrinkAndGrow, moves that
// shrink and grow.
func TestMremapTo(t *testing.T) {
	scenariotest.ScenarioMremapToShrinkAndGrow(newEnv(t, 6, 1), "do_mremap")
}

// TestCopyVMA: scenariotest.ScenarioCopyVMAMergesUnfaultedSource, the
// source merged into the copy.
func TestCopyVMA(t *testing.T) {
	e := newEnv(t, 3, 1)
	scenariotest.ScenarioCopyVMAMergesUnfaultedSource(e, "do_mremap")
	e.WantCalled("vma_merge_new_range")
}
