package v5_test

// Scenario tests of mremap() in the v5.4 model (mm/mremap.c, copy_vma()
// of mm/mmap.c): one or more per kernel function. The moves that v6.18
// makes the same way are drawn in scenariotest/optin.go.

import (
	"testing"

	"anoncheck/transitions"
	"anoncheck/transitions/scenariotest"
)

// TestMremapChecks covers the mremap() system call's refusals in v5.4:
// MREMAP_DONTUNMAP (5.7 and later) is an unknown flag, overlapping ranges
// are -EINVAL (mremap_to()), a growth at an unmapped address -EFAULT
// (vma_to_resize()); none changes anything.
//
//	0123
//	AA..    A: rw, written at 0
//	        mremap [0,1) -> [2,3) MAYMOVE|FIXED|DONTUNMAP = -EINVAL
//	        mremap [0,2) -> [1,3) MAYMOVE|FIXED = -EINVAL
//	        mremap [2,3) -> [2,4) = -EFAULT
func TestMremapChecks(t *testing.T) {
	e := newEnv(t, 4, 1)
	e.Mmap(0, 0, 2, pRW)
	e.Write(0, 0)
	before := *e.S
	e.Mremap(0, 0, 1, 2, 3, transitions.MremapMoveKeep, transitions.EINVAL)
	e.Mremap(0, 0, 2, 1, 3, transitions.MremapMove, transitions.EINVAL)
	e.WantCalled("mremap_to")
	e.Mremap(0, 2, 3, 2, 4, 0, transitions.EFAULT)
	e.WantCalled("mremap")
	if *e.S != before {
		t.Errorf("a refused mremap changed the state")
	}
}

// TestMremapInPlace covers the system call's own resizing: a shrink is
// __do_munmap() of the tail (__split_vma() with new_below = 0: A keeps
// [0,1), its pages at 1 and 2 freed, its anon_vma kept); a growth at the
// VMA's end with room after it is vma_adjust() of A; with B in the way it
// is -ENOMEM.
//
//	0123
//	AAA.    A: rw, written at 0..2; mremap [0,3) -> [0,1)
//	A...    mremap [0,1) -> [0,2)
//	AA..    mmap [2,3) r (B); mremap [0,2) -> [0,3) = -ENOMEM
func TestMremapInPlace(t *testing.T) {
	e := newEnv(t, 4, 1)
	e.Mmap(0, 0, 3, pRW)
	for a := 0; a < 3; a++ {
		e.Write(0, a)
	}
	a, av := e.VMAAt(0, 0), e.AVAt(0, 0)
	e.Mremap(0, 0, 3, 0, 1, 0, 0)
	e.WantCalled("mremap", "__do_munmap")
	e.WantVMA(a, 0, 1, 0, fRW)
	e.WantChain(a, av, av)
	if n := e.UsedPages(); n != 1 {
		t.Errorf("%d pages in use after the shrink, want 1", n)
	}
	e.Mremap(0, 0, 1, 0, 2, 0, 0)
	e.WantCalled("__vma_adjust")
	e.WantVMA(a, 0, 2, 0, fRW)
	e.Mmap(0, 2, 3, pR)
	e.Mremap(0, 0, 2, 0, 3, 0, transitions.ENOMEM)
	e.WantLayout(0, "AAB.")
}

// TestMoveVMA: scenariotest.ScenarioMoveVMA, a move to a free range.
func TestMoveVMA(t *testing.T) { scenariotest.ScenarioMoveVMA(newEnv(t, 4, 1), "mremap") }

// TestMremapTo: scenariotest.ScenarioMremapToShrinkAndGrow, moves that
// shrink and grow.
func TestMremapTo(t *testing.T) {
	scenariotest.ScenarioMremapToShrinkAndGrow(newEnv(t, 6, 1), "mremap")
}

// TestCopyVMA: scenariotest.ScenarioCopyVMAMergesUnfaultedSource, the
// source merged into the copy by vma_merge() (case 2).
func TestCopyVMA(t *testing.T) {
	e := newEnv(t, 3, 1)
	scenariotest.ScenarioCopyVMAMergesUnfaultedSource(e, "mremap")
	e.WantCalled("vma_merge")
}

// TestMovePageTables covers move_page_tables() of a VMA whose page is
// shared with a fork child: the parent's PTE moves with its page, still
// read-only and mapped twice (the child's mapping stays at 0), and rmap
// finds it in both through av1's tree: the parent's new VMA B (cloned
// chain) at 2, the child's at 0.
//
//	0123
//	A...    P1: A rw, written at 0; fork; P1: mremap [0,1) -> [2,3) MAYMOVE|FIXED
//	..B.    (P2 keeps A at 0)
func TestMovePageTables(t *testing.T) {
	e := newEnv(t, 4, 2)
	e.Mmap(0, 0, 1, pRW)
	e.Write(0, 0)
	av1 := e.AVAt(0, 0)
	pg := e.WantPTE(0, 0, true)
	c := e.Fork(0)
	e.Mremap(0, 0, 1, 2, 3, transitions.MremapMove, 0)
	e.WantCalled("move_page_tables")
	e.WantLayout(0, "..A.")
	e.WantLayout(c, "A...")
	if got := e.WantPTE(0, 2, false); got != pg {
		t.Errorf("P1's PTE at 2 maps page %d, want %d", got, pg)
	}
	e.WantPTE(c, 0, false)
	e.WantPage(pg, av1, 0, 2)
	e.WantChain(e.VMAAt(0, 2), av1, av1)
}
