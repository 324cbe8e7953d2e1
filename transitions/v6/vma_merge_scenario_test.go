package v6_test

// Scenario tests of mm/vma.c's merge code in the v6.18 model: see
// helpers_test.go.

import (
	"testing"

	"anoncheck/state"
	"anoncheck/transitions"
)

// ---------------------------------------------------------------------------
// vma_merge_new_range, vma_expand, dup_anon_vma, commit_merge (mm/vma.c),
// from __mmap_region

// TestVMAMergeNewRangeBothDupsNext covers vma_merge_new_range() with both
// neighbours: prev (unfaulted) can take the new range (is_mergeable_anon_vma
// case 3, both NULL) and so can next (case 2: next's chain is singular), and
// one of them has no anon_vma, so they agree with each other. prev becomes
// the target over [prev->vm_start, next->vm_end); vma_expand() removes next
// and, since prev has no anon_vma, first gives it next's with
// dup_anon_vma() (anon_vma_clone(), num_active_vmas 2). commit_merge()
// grows prev and vma_complete() merges next away (anon_vma_merge():
// unlink_anon_vmas(next), num_active_vmas 1 again).
//
//	012
//	A.B    A: rw, unfaulted; B: rw, written at 2
//	AAA    mmap [1,2) rw
func TestVMAMergeNewRangeBothDupsNext(t *testing.T) {
	e := newEnv(t, 3, 1)
	e.Mmap(0, 0, 1, pRW)
	e.Mmap(0, 2, 3, pRW)
	e.Write(0, 2)
	a, b := e.VMAAt(0, 0), e.VMAAt(0, 2)
	av := e.AVAt(0, 2)
	e.WantChain(a, state.NoAV)

	e.Mmap(0, 1, 2, pRW)
	e.WantCalled("__mmap_region", "vma_merge_new_range", "vma_expand", "dup_anon_vma", "anon_vma_clone",
		"commit_merge", "anon_vma_merge", "unlink_anon_vmas", "__mmap_complete")
	if e.Called("__mmap_new_vma") {
		t.Error("a new VMA was made although prev and next take the range")
	}
	e.WantLayout(0, "AAA")
	if got := e.VMAAt(0, 2); got != a {
		t.Errorf("survivor VMA %d, want prev %d", got, a)
	}
	e.WantVMA(a, 0, 3, 0, fRW)
	e.WantVMAGone(b)
	e.WantChain(a, av, av)
	e.WantAV(av, avWant{Root: av, Parent: av, Ref: 1, Children: 1, Active: 1, Tree: []state.VMAID{a}})
	e.WantPage(e.WantPTE(0, 2, true), av, 2, 1)
	if n := e.S.MMs[0].MapCount; n != 1 {
		t.Errorf("map_count %d, want 1", n)
	}
}

// TestVMAMergeNewRangePrev covers vma_merge_new_range() with prev only:
// prev has an anon_vma and the new range none (case 2, prev's chain is
// singular); vma_expand() grows prev, nothing is removed, nothing
// duplicated.
//
//	012
//	AA.    A: rw, written at 0
//	AAA    mmap [2,3) rw
func TestVMAMergeNewRangePrev(t *testing.T) {
	e := newEnv(t, 3, 1)
	e.Mmap(0, 0, 2, pRW)
	e.Write(0, 0)
	a, av := e.VMAAt(0, 0), e.AVAt(0, 0)

	e.Mmap(0, 2, 3, pRW)
	e.WantCalled("vma_merge_new_range", "vma_expand", "commit_merge")
	if e.Called("dup_anon_vma") || e.Called("__mmap_new_vma") {
		t.Error("prev alone takes the range: no dup_anon_vma, no new VMA")
	}
	e.WantLayout(0, "AAA")
	e.WantVMA(a, 0, 3, 0, fRW)
	e.WantChain(a, av, av)
	e.WantAV(av, avWant{Root: av, Parent: av, Ref: 1, Children: 1, Active: 1, Tree: []state.VMAID{a}})
}

// TestVMAMergeNewRangeNext covers vma_merge_new_range() with next only:
// next grows down over the new range: vma_expand() with next as target
// (so nothing is removed), start 1 and the new range's page offset 1;
// the page next had keeps its index.
//
//	012
//	..B    B: rw, written at 2
//	.BB    mmap [1,2) rw
func TestVMAMergeNewRangeNext(t *testing.T) {
	e := newEnv(t, 3, 1)
	e.Mmap(0, 2, 3, pRW)
	e.Write(0, 2)
	b, av := e.VMAAt(0, 2), e.AVAt(0, 2)

	e.Mmap(0, 1, 2, pRW)
	e.WantCalled("vma_merge_new_range", "vma_expand", "commit_merge")
	e.WantLayout(0, ".AA")
	e.WantVMA(b, 1, 3, 1, fRW)
	e.WantChain(b, av, av)
	e.WantPage(e.WantPTE(0, 2, true), av, 2, 1)
}

// TestVMAMergeNewRangeBothSameAnonVMA covers vma_expand() removing next
// when prev and next already share an anon_vma (what munmap of the middle
// of a faulted VMA leaves): dup_anon_vma() has nothing to do, and
// anon_vma_merge() unlinks next's chain.
//
//	012
//	AAA    A: rw, written at 0 and 2
//	A.B    munmap [1,2)
//	AAA    mmap [1,2) rw
func TestVMAMergeNewRangeBothSameAnonVMA(t *testing.T) {
	e := newEnv(t, 3, 1)
	e.Mmap(0, 0, 3, pRW)
	e.Write(0, 0)
	e.Write(0, 2)
	av := e.AVAt(0, 0)
	e.Munmap(0, 1, 2)
	lo, hi := e.VMAAt(0, 0), e.VMAAt(0, 2)
	e.WantAV(av, avWant{Root: av, Parent: av, Ref: 1, Children: 1, Active: 2, Tree: []state.VMAID{lo, hi}})

	e.Mmap(0, 1, 2, pRW)
	e.WantCalled("vma_expand", "anon_vma_merge")
	e.WantLayout(0, "AAA")
	e.WantVMA(lo, 0, 3, 0, fRW)
	e.WantVMAGone(hi)
	e.WantAV(av, avWant{Root: av, Parent: av, Ref: 1, Children: 1, Active: 1, Tree: []state.VMAID{lo}})
	e.WantPage(e.WantPTE(0, 0, true), av, 0, 1)
	e.WantPage(e.WantPTE(0, 2, true), av, 2, 1)
}

// TestVMAMergeNewRangeRefusedForForkChild covers is_mergeable_anon_vma()
// case 2 refusing: after fork the child's VMA is linked to the parent's
// anon_vma as well as its own (vma_had_uncowed_parents()), so a new range
// next to it does not take its anon_vma: __mmap_new_vma() makes a VMA.
//
//	01
//	A.     P1: A rw, written at 0; fork
//	AB     P2: mmap [1,2) rw
func TestVMAMergeNewRangeRefusedForForkChild(t *testing.T) {
	e := newEnv(t, 2, 2)
	e.Mmap(0, 0, 1, pRW)
	e.Write(0, 0)
	c := e.Fork(0)
	ca := e.VMAAt(c, 0)
	if n := e.S.VMA(ca).NChain; n != 2 {
		t.Fatalf("the child's VMA has a chain of %d, want 2", n)
	}
	e.Mmap(c, 1, 2, pRW)
	e.WantCalled("vma_merge_new_range", "__mmap_new_vma")
	e.WantLayout(c, "AB")
	nb := e.VMAAt(c, 1)
	e.WantVMA(nb, 1, 2, 1, fRW)
	e.WantChain(nb, state.NoAV)
	e.WantVMA(ca, 0, 1, 0, fRW)
}

// ---------------------------------------------------------------------------
// vma_merge_existing_range, dup_anon_vma, is_mergeable_anon_vma
// (mm/vma.c), from mprotect_fixup and madvise_update_vma

// TestVMAMergeExistingRightDupAnonVMA covers merge_right deleting middle,
// with a faulted middle joining an unfaulted next (879bca0a2c4f, case 1:
// middle's chain is singular): dup_anon_vma(next, middle) gives next the
// anon_vma and a copy of the chain, next grows down over middle (pgoff
// next's less the range's length) and middle goes through
// anon_vma_merge(). v5.4 refuses this merge.
//
//	01
//	AA     A: rw
//	AB     madvise [1,2) DONTFORK: split; neither has an anon_vma
//	AB     write 0: A gets av1
//	BB     madvise [0,1) DONTFORK
func TestVMAMergeExistingRightDupAnonVMA(t *testing.T) {
	e := newEnv(t, 2, 1)
	e.Mmap(0, 0, 2, pRW)
	e.Madvise(0, 1, 2, transitions.MadvDontFork)
	e.Write(0, 0)
	a, b, av := e.VMAAt(0, 0), e.VMAAt(0, 1), e.AVAt(0, 0)
	e.WantChain(b, state.NoAV)

	e.Madvise(0, 0, 1, transitions.MadvDontFork)
	e.WantCalled("madvise_walk_vmas", "madvise_vma_behavior", "madvise_update_vma", "vma_modify_flags",
		"vma_merge_existing_range", "dup_anon_vma", "anon_vma_clone", "commit_merge", "anon_vma_merge")
	e.WantLayout(0, "AA")
	e.WantVMA(b, 0, 2, 0, fRW|state.VMDontCopy)
	e.WantVMAGone(a)
	e.WantChain(b, av, av)
	e.WantAV(av, avWant{Root: av, Parent: av, Ref: 1, Children: 1, Active: 1, Tree: []state.VMAID{b}})
	e.WantPage(e.WantPTE(0, 0, true), av, 0, 1)
}

// TestVMAMergeExistingLeftDupAnonVMA covers merge_left deleting middle,
// the mirror image: the faulted middle joins an unfaulted prev,
// dup_anon_vma(prev, middle), prev grows over middle.
//
//	01
//	AA     A: rw
//	AB     madvise [0,1) DONTFORK: split
//	AB     write 1: B gets av1
//	AA     madvise [1,2) DONTFORK
func TestVMAMergeExistingLeftDupAnonVMA(t *testing.T) {
	e := newEnv(t, 2, 1)
	e.Mmap(0, 0, 2, pRW)
	e.Madvise(0, 0, 1, transitions.MadvDontFork)
	e.Write(0, 1)
	a, b, av := e.VMAAt(0, 0), e.VMAAt(0, 1), e.AVAt(0, 1)

	e.Madvise(0, 1, 2, transitions.MadvDontFork)
	e.WantCalled("vma_merge_existing_range", "dup_anon_vma", "commit_merge", "anon_vma_merge")
	e.WantLayout(0, "AA")
	e.WantVMA(a, 0, 2, 0, fRW|state.VMDontCopy)
	e.WantVMAGone(b)
	e.WantChain(a, av, av)
	e.WantAV(av, avWant{Root: av, Parent: av, Ref: 1, Children: 1, Active: 1, Tree: []state.VMAID{a}})
	e.WantPage(e.WantPTE(0, 1, true), av, 1, 1)
}

// TestVMAMergeExistingLeftAdjustMiddle covers merge_left keeping middle:
// the range is the head of middle, so prev grows over it and middle keeps
// its tail (__adjust_middle_start: vmg_adjust_set_range() moves its start
// and page offset). Both keep av1 (init_multi_vma_prep() locks it, and
// adjust's anon_vma agrees).
//
//	012
//	AAA    A: rw, written at 0, 1, 2
//	ABB    mprotect [0,1) r: split
//	AAB    mprotect [1,2) r
func TestVMAMergeExistingLeftAdjustMiddle(t *testing.T) {
	e := newEnv(t, 3, 1)
	e.Mmap(0, 0, 3, pRW)
	for a := 0; a < 3; a++ {
		e.Write(0, a)
	}
	av := e.AVAt(0, 0)
	e.Mprotect(0, 0, 1, pR)
	a, b := e.VMAAt(0, 0), e.VMAAt(0, 1)

	e.Mprotect(0, 1, 2, pR)
	e.WantCalled("do_mprotect_pkey", "mprotect_fixup", "vma_modify_flags", "vma_merge_existing_range", "commit_merge")
	if e.Called("__split_vma") {
		t.Error("the merge needs no split")
	}
	e.WantLayout(0, "AAB")
	e.WantVMA(a, 0, 2, 0, fRA)
	e.WantVMA(b, 2, 3, 2, fRW)
	e.WantChain(a, av, av)
	e.WantChain(b, av, av)
	e.WantAV(av, avWant{Root: av, Parent: av, Ref: 1, Children: 1, Active: 2, Tree: []state.VMAID{a, b}})
	for addr, w := range []bool{false, false, true} {
		e.WantPage(e.WantPTE(0, addr, w), av, addr, 1)
	}
}

// TestVMAMergeExistingRightAdjustNext covers merge_right keeping middle:
// the range is the tail of middle (prev is middle itself, the range being
// offset into it), so next grows down over it and middle keeps its head
// (__adjust_next_start: commit_merge() alters middle, and next gets start
// vmg->end and page offset next's less the growth).
//
//	012
//	AAA    A: rw, written at 0, 1, 2
//	AAB    mprotect [2,3) r: split
//	ABB    mprotect [1,2) r
func TestVMAMergeExistingRightAdjustNext(t *testing.T) {
	e := newEnv(t, 3, 1)
	e.Mmap(0, 0, 3, pRW)
	for a := 0; a < 3; a++ {
		e.Write(0, a)
	}
	av := e.AVAt(0, 0)
	e.Mprotect(0, 2, 3, pR)
	a, b := e.VMAAt(0, 0), e.VMAAt(0, 2)

	e.Mprotect(0, 1, 2, pR)
	e.WantCalled("vma_merge_existing_range", "commit_merge")
	e.WantLayout(0, "ABB")
	e.WantVMA(a, 0, 1, 0, fRW)
	e.WantVMA(b, 1, 3, 1, fRA)
	e.WantAV(av, avWant{Root: av, Parent: av, Ref: 1, Children: 1, Active: 2, Tree: []state.VMAID{a, b}})
	for addr, w := range []bool{true, false, false} {
		e.WantPage(e.WantPTE(0, addr, w), av, addr, 1)
	}
}

// TestVMAMergeExistingBoth covers merge_both: mprotect gives the middle
// VMA back its neighbours' flags; prev takes middle and next
// (vmg->__remove_middle, __remove_next), vma_complete() merges both away
// (anon_vma_merge() each, map_count down by two). The middle page, still
// PageAnonExclusive, is writable again at once (change_protection() with
// MM_CP_TRY_CHANGE_WRITABLE).
//
//	012
//	AAA    A: rw, written at 0, 1, 2
//	ABC    mprotect [1,2) r: split twice
//	AAA    mprotect [1,2) rw
func TestVMAMergeExistingBoth(t *testing.T) {
	e := newEnv(t, 3, 1)
	e.Mmap(0, 0, 3, pRW)
	for a := 0; a < 3; a++ {
		e.Write(0, a)
	}
	av := e.AVAt(0, 0)
	e.Mprotect(0, 1, 2, pR)
	lo, mid, hi := e.VMAAt(0, 0), e.VMAAt(0, 1), e.VMAAt(0, 2)

	e.Mprotect(0, 1, 2, pRW)
	e.WantCalled("vma_merge_existing_range", "commit_merge", "anon_vma_merge")
	e.WantLayout(0, "AAA")
	if got := e.VMAAt(0, 1); got != lo {
		t.Errorf("survivor VMA %d, want prev %d", got, lo)
	}
	e.WantVMA(lo, 0, 3, 0, fRW)
	e.WantVMAGone(mid)
	e.WantVMAGone(hi)
	e.WantAV(av, avWant{Root: av, Parent: av, Ref: 1, Children: 1, Active: 1, Tree: []state.VMAID{lo}})
	for addr := 0; addr < 3; addr++ {
		e.WantPage(e.WantPTE(0, addr, true), av, addr, 1)
	}
	if n := e.S.MMs[0].MapCount; n != 1 {
		t.Errorf("map_count %d, want 1", n)
	}
}

// TestVMAMergeExistingPrevNextDisagree covers can_vma_merge_right()'s
// check of prev against next: each could take the unfaulted middle (case
// 2), but their anon_vmas differ, so only prev does (merge_left);
// dup_anon_vma(prev, middle) has nothing to copy, and middle goes without
// anon_vma_merge() (it has no anon_vma).
//
//	012
//	A.C    A: rw, written at 0 (av1); C: rw, written at 2 (av2)
//	ABC    mmap [1,2) r
//	AAC    mprotect [1,2) rw
func TestVMAMergeExistingPrevNextDisagree(t *testing.T) {
	e := newEnv(t, 3, 1)
	e.Mmap(0, 0, 1, pRW)
	e.Write(0, 0)
	e.Mmap(0, 2, 3, pRW)
	e.Write(0, 2)
	a, c := e.VMAAt(0, 0), e.VMAAt(0, 2)
	av1, av2 := e.AVAt(0, 0), e.AVAt(0, 2)
	if av1 == av2 {
		t.Fatal("A and C share an anon_vma; the scenario needs two")
	}
	e.Mmap(0, 1, 2, pR)
	b := e.VMAAt(0, 1)
	e.WantLayout(0, "ABC")

	e.Mprotect(0, 1, 2, pRW)
	if e.Called("anon_vma_merge") || e.Called("anon_vma_clone") {
		t.Error("middle has no anon_vma: dup_anon_vma() copies nothing, anon_vma_merge() is not called")
	}
	e.WantLayout(0, "AAB")
	e.WantVMA(a, 0, 2, 0, fRW)
	e.WantVMAGone(b)
	e.WantChain(a, av1, av1)
	e.WantChain(c, av2, av2)
	e.WantAV(av1, avWant{Root: av1, Parent: av1, Ref: 1, Children: 1, Active: 1, Tree: []state.VMAID{a}})
	e.WantAV(av2, avWant{Root: av2, Parent: av2, Ref: 1, Children: 1, Active: 1, Tree: []state.VMAID{c}})
}

// TestIsMergeableAnonVMARefusesForkChild covers both refusals of
// is_mergeable_anon_vma() in the child of a fork: a new range next to the
// child's faulted VMA does not take its anon_vma (case 2), and when the
// flags agree later, the child's VMA does not pass its anon_vma to the
// unfaulted neighbour (case 1): vma_had_uncowed_parents(). The same steps
// in a process that never forked merge (TestVMAMergeExistingRightDupAnonVMA).
//
//	01
//	A.     P1: A rw, written at 0; fork
//	AB     P2: mmap [1,2) rw
//	AB     P2: madvise [1,2) DONTFORK
//	AB     P2: madvise [0,1) DONTFORK
func TestIsMergeableAnonVMARefusesForkChild(t *testing.T) {
	e := newEnv(t, 2, 2)
	e.Mmap(0, 0, 1, pRW)
	e.Write(0, 0)
	c := e.Fork(0)
	ca := e.VMAAt(c, 0)
	chain := e.Chain(ca)
	e.Mmap(c, 1, 2, pRW)
	e.Madvise(c, 1, 2, transitions.MadvDontFork)
	nb := e.VMAAt(c, 1)

	e.Madvise(c, 0, 1, transitions.MadvDontFork)
	e.WantCalled("vma_merge_existing_range")
	if e.Called("dup_anon_vma") || e.Called("commit_merge") {
		t.Error("the fork child's VMA was merged")
	}
	e.WantLayout(c, "AB")
	e.WantVMA(ca, 0, 1, 0, fRW|state.VMDontCopy)
	e.WantVMA(nb, 1, 2, 1, fRW|state.VMDontCopy)
	e.WantChain(ca, chain[0], chain...)
	e.WantChain(nb, state.NoAV)
}
