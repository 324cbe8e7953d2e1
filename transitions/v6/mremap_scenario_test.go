package v6_test

// Scenario tests of mremap() in the v6.18 model (mm/mremap.c at tag
// v6.18; copy_vma() and vma_merge_extend() of mm/vma.c): one or more per
// kernel function, drawn as the other scenarios are. The expected values
// follow from the v6.18 source the functions' doc comments cite.

import (
	"testing"

	"anoncheck/state"
	"anoncheck/transitions"
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

// TestMoveVMA covers a move to a free range: remap_move() -> mremap_to()
// -> move_vma(): copy_vma() cannot merge (A's page offset 0 does not
// follow on from where A ends), so a new VMA B, a vm_area_dup() of A with
// A's anon_vma and, by anon_vma_clone(), A's chain; move_page_tables()
// moves both PTEs, writable, without touching the pages; A is unmapped
// (unmap_source_vma()). B keeps page offset 0, so rmap finds each page,
// still of av1 at index 0 and 1, at 2 and 3.
//
//	0123
//	AA..    A: rw, written at 0 and 1; mremap [0,2) -> [2,4) MAYMOVE|FIXED
//	..BB
func TestMoveVMA(t *testing.T) {
	e := newEnv(t, 4, 1)
	e.Mmap(0, 0, 2, pRW)
	e.Write(0, 0)
	e.Write(0, 1)
	a, av := e.VMAAt(0, 0), e.AVAt(0, 0)
	p0, p1 := e.WantPTE(0, 0, true), e.WantPTE(0, 1, true)
	e.Mremap(0, 0, 2, 2, 4, move, 0)
	e.WantCalled("do_mremap", "mremap_to", "move_vma", "copy_vma", "anon_vma_clone", "move_page_tables", "unlink_anon_vmas")
	e.WantLayout(0, "..AA")
	e.WantVMAGone(a)
	b := e.VMAAt(0, 2)
	e.WantVMA(b, 2, 4, 0, fRW)
	e.WantChain(b, av, av)
	e.WantNoPTE(0, 0)
	e.WantNoPTE(0, 1)
	if got := e.WantPTE(0, 2, true); got != p0 {
		t.Errorf("PTE at 2 maps page %d, want page %d moved from 0", got, p0)
	}
	if got := e.WantPTE(0, 3, true); got != p1 {
		t.Errorf("PTE at 3 maps page %d, want page %d moved from 1", got, p1)
	}
	e.WantPage(p0, av, 0, 1)
	e.WantPage(p1, av, 1, 1)
}

// TestMremapToShrinkAndGrow covers mremap_to() with a new length: a
// shrinking move unmaps the tail first (shrink_vma(), page 1 freed) and
// moves the rest; a growing move makes the copy new_len long and moves
// old_len of PTEs; a write to the grown part faults a page of the same
// anon_vma at the linear index.
//
//	012345
//	AA....  A: rw, written at 0 and 1; mremap [0,2) -> [3,4) MAYMOVE|FIXED
//	...B..  mremap [3,4) -> [4,6) MAYMOVE|FIXED; write 5
//	....CC
func TestMremapToShrinkAndGrow(t *testing.T) {
	e := newEnv(t, 6, 1)
	e.Mmap(0, 0, 2, pRW)
	e.Write(0, 0)
	e.Write(0, 1)
	av := e.AVAt(0, 0)
	p0 := e.WantPTE(0, 0, true)
	e.Mremap(0, 0, 2, 3, 4, move, 0)
	e.WantCalled("mremap_to", "move_vma")
	e.WantLayout(0, "...A..")
	e.WantVMA(e.VMAAt(0, 3), 3, 4, 0, fRW)
	if n := e.UsedPages(); n != 1 {
		t.Errorf("%d pages in use, want 1 (page 1 unmapped by the shrink)", n)
	}
	e.WantPage(e.WantPTE(0, 3, true), av, 0, 1)
	e.Mremap(0, 3, 4, 4, 6, move, 0)
	e.WantLayout(0, "....AA")
	c := e.VMAAt(0, 4)
	e.WantVMA(c, 4, 6, 0, fRW)
	e.WantChain(c, av, av)
	if got := e.WantPTE(0, 4, true); got != p0 {
		t.Errorf("PTE at 4 maps page %d, want page %d", got, p0)
	}
	e.WantNoPTE(0, 5)
	e.Write(0, 5)
	e.WantPage(e.WantPTE(0, 5, true), av, 1, 1)
}

// TestCopyVMAMergesUnfaultedSource covers copy_vma()'s merge with the
// source itself: A has no anon_vma, so the copy's page offset becomes the
// new address's (1), and vma_merge_new_range() lets A (prev) take [1,2);
// the source is then A, and unmapping [0,1) leaves [1,2) with page offset
// 1 and, back from unmap_source_vma(), VM_ACCOUNT.
//
//	012
//	A..     A: rw, never written; mremap [0,1) -> [1,2) MAYMOVE|FIXED
//	.A.
func TestCopyVMAMergesUnfaultedSource(t *testing.T) {
	e := newEnv(t, 3, 1)
	e.Mmap(0, 0, 1, pRW)
	e.Mremap(0, 0, 1, 1, 2, move, 0)
	e.WantCalled("copy_vma", "vma_merge_new_range")
	e.WantLayout(0, ".A.")
	e.WantVMA(e.VMAAt(0, 1), 1, 2, 1, fRW)
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
