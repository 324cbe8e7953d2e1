package v6_test

// Scenario tests of mremap() in the v6.18 model (mm/mremap.c at tag
// v6.18; copy_vma() and vma_merge_extend() of mm/vma.c): one or more per
// kernel function, drawn as the other scenarios are. The expected values
// follow from the v6.18 source the functions' doc comments cite.

import (
	"testing"

	"anoncheck/state"
	"anoncheck/transitions"
	"anoncheck/transitions/scenariotest"
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

// TestMovePageTablesDontUnmap covers MREMAP_DONTUNMAP
// (dontunmap_complete()): the PTE moves to the new VMA B, A stays mapped
// and empty, and since all of A was copied to another VMA,
// unlink_anon_vmas() drops A's links and anon_vma; A's next write
// prepares a new anon_vma (B is not adjacent to share with).
//
//	0123
//	A...    A: rw, written at 0; mremap [0,1) -> [2,3) MAYMOVE|FIXED|DONTUNMAP
//	A.B.    write 0
func TestMovePageTablesDontUnmap(t *testing.T) {
	e := newEnv(t, 4, 1)
	e.Mmap(0, 0, 1, pRW)
	e.Write(0, 0)
	a, av := e.VMAAt(0, 0), e.AVAt(0, 0)
	pg := e.WantPTE(0, 0, true)
	e.Mremap(0, 0, 1, 2, 3, moveKeep, 0)
	e.WantCalled("move_page_tables", "unlink_anon_vmas")
	e.WantLayout(0, "A.B.")
	e.WantVMA(a, 0, 1, 0, fRW)
	e.WantChain(a, state.NoAV)
	e.WantNoPTE(0, 0)
	b := e.VMAAt(0, 2)
	e.WantVMA(b, 2, 3, 0, fRW)
	e.WantChain(b, av, av)
	if got := e.WantPTE(0, 2, true); got != pg {
		t.Errorf("PTE at 2 maps page %d, want page %d", got, pg)
	}
	e.WantPage(pg, av, 0, 1)
	e.Write(0, 0)
	if got := e.AVAt(0, 0); got == av || got == state.NoAV {
		t.Errorf("A's write after MREMAP_DONTUNMAP: anon_vma %s, want a new one", got.Name())
	}
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
