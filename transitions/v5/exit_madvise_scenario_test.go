package v5_test

// Scenario tests of the v5.4 model: see rmap_scenario_test.go.

import (
	"anoncheck/state"
	"anoncheck/transitions"
	"testing"
)

// ---------------------------------------------------------------------------
// exit_mmap (mm/mmap.c), section 4.15

// TestExitMmapOnlyProcess covers the exit of the only process: unmap_vmas()
// drops every page, free_pgtables() unlinks every VMA (each anon_vma's tree
// empties; degree 0; put frees it), remove_vma() frees the VMAs.
//
//	0123
//	AA.B    A: rw, written at 0 and 1; B: rw, written at 3; exit
func TestExitMmapOnlyProcess(t *testing.T) {
	e := newEnv(t, 4, 1)
	e.Mmap(0, 0, 2, pRW)
	e.Write(0, 0)
	e.Write(0, 1)
	e.Mmap(0, 3, 4, pRW)
	e.Write(0, 3)
	avs := e.LiveAVs()
	if len(avs) != 2 {
		t.Fatalf("live anon_vmas %v, want 2", avs)
	}
	e.Exit(0)
	for _, av := range avs {
		e.WantAVGone(av)
	}
	if n := e.UsedPages(); n != 0 {
		t.Errorf("%d pages in use, want 0", n)
	}
	for i := range e.S.VMAs {
		if e.S.VMAs[i].MM != 0 {
			t.Errorf("VMA %d still allocated", i+1)
		}
	}
	if e.S.MMs[0].Live != 0 {
		t.Errorf("P1 still live")
	}
}

// TestExitMmapParentExitsChildAlive covers the exit of the parent while the
// child lives: P1's VMA leaves av1's tree (av1.degree - 1) but av1 stays,
// with P2's VMA in its tree, its self-link and child av2 in its degree (2)
// and av2's root reference in its refcount (2). P2's write then reuses the
// page (mapcount 1) and moves it to av2. When P2 exits too, both go: av2
// first (dropping its reference on the root), then av1.
//
//	0
//	A     P1: A rw, written; fork; exit P1; P2 writes 0; exit P2
func TestExitMmapParentExitsChildAlive(t *testing.T) {
	e := newEnv(t, 1, 2)
	e.Mmap(0, 0, 1, pRW)
	e.Write(0, 0)
	av1 := e.AVAt(0, 0)
	pg := e.WantPTE(0, 0, true)
	c := e.Fork(0)
	a2 := e.VMAAt(c, 0)
	av2 := e.AVAt(c, 0)

	e.Exit(0)
	e.WantAV(av1, avWant{Root: av1, Parent: av1, Ref: 2, Degree: 2, Tree: []state.VMAID{a2}})
	e.WantAV(av2, avWant{Root: av1, Parent: av1, Ref: 1, Degree: 1, Tree: []state.VMAID{a2}})
	e.WantChain(a2, av2, av2, av1)
	e.WantPage(e.WantPTE(c, 0, false), av1, 0, 1)

	e.Write(c, 0)
	if got := e.WantPTE(c, 0, true); got != pg {
		t.Errorf("child's write mapped page %d, want %d reused", got, pg)
	}
	e.WantPage(pg, av2, 0, 1)

	e.Exit(c)
	e.WantAVGone(av1)
	e.WantAVGone(av2)
	if n := e.UsedPages(); n != 0 {
		t.Errorf("%d pages in use, want 0", n)
	}
}

// ---------------------------------------------------------------------------
// madvise_behavior (mm/madvise.c), section 4.17

// TestMadviseDontForkSplitAndMergeBack checks that MADV_DONTFORK of the
// middle splits twice (the original VMA keeps the middle, VM_DONTCOPY); a
// fork then copies only the outer parts (the middle's PTEs stay writable in
// the parent); MADV_DOFORK merges the three back (case 6) into the lower
// part.
//
//	0123
//	AAAA    rw, written at 0..3
//	BAAC    MADV_DONTFORK [1,3)
//	A..B    fork: the child
//	AAAA    MADV_DOFORK [1,3) in the parent
func TestMadviseDontForkSplitAndMergeBack(t *testing.T) {
	e := newEnv(t, 4, 2)
	e.Mmap(0, 0, 4, pRW)
	for a := 0; a < 4; a++ {
		e.Write(0, a)
	}
	orig := e.VMAAt(0, 0)
	av := e.AVAt(0, 0)

	e.Madvise(0, 1, 3, transitions.MadvDontFork)
	e.WantLayout(0, "ABBC")
	lo, mid, hi := e.VMAAt(0, 0), e.VMAAt(0, 1), e.VMAAt(0, 3)
	if mid != orig {
		t.Errorf("middle VMA %d, want the original %d", mid, orig)
	}
	e.WantVMA(lo, 0, 1, 0, fRW)
	e.WantVMA(mid, 1, 3, 1, fRW|state.VMDontCopy)
	e.WantVMA(hi, 3, 4, 3, fRW)
	for _, v := range []state.VMAID{lo, mid, hi} {
		e.WantChain(v, av, av)
	}
	e.WantAV(av, avWant{Root: av, Parent: av, Ref: 1, Degree: 4, Tree: []state.VMAID{lo, mid, hi}})

	c := e.Fork(0)
	e.WantLayout(c, "A..B")
	clo, chi := e.VMAAt(c, 0), e.VMAAt(c, 3)
	avLo, avHi := e.AVAt(c, 0), e.AVAt(c, 3)
	e.WantChain(clo, avLo, avLo, av)
	e.WantChain(chi, avHi, avHi, av)
	e.WantAV(av, avWant{Root: av, Parent: av, Ref: 3, Degree: 6, Tree: []state.VMAID{lo, mid, hi, clo, chi}})
	for a, w := range []bool{false, true, true, false} {
		e.WantPTE(0, a, w)
	}

	e.Madvise(0, 1, 3, transitions.MadvDoFork)
	e.WantLayout(0, "AAAA")
	if got := e.VMAAt(0, 2); got != lo {
		t.Errorf("survivor VMA %d, want the lower part %d", got, lo)
	}
	e.WantVMA(lo, 0, 4, 0, fRW)
	e.WantVMAGone(mid)
	e.WantVMAGone(hi)
	e.WantAV(av, avWant{Root: av, Parent: av, Ref: 3, Degree: 4, Tree: []state.VMAID{lo, clo, chi}})
}

// TestMadviseWipeOnForkKeepOnFork covers MADV_WIPEONFORK / MADV_KEEPONFORK
// of part of a VMA: split, then merge back (case 8 here: the changed range
// is the first VMA).
//
//	012
//	AB.     MADV_WIPEONFORK [0,1) of a 2-page rw VMA written at 0
//	AA.     MADV_KEEPONFORK [0,1)
func TestMadviseWipeOnForkKeepOnFork(t *testing.T) {
	e := newEnv(t, 3, 1)
	e.Mmap(0, 0, 2, pRW)
	e.Write(0, 0)
	av := e.AVAt(0, 0)
	e.Madvise(0, 0, 1, transitions.MadvWipeOnFork)
	e.WantLayout(0, "AB.")
	e.WantVMA(e.VMAAt(0, 0), 0, 1, 0, fRW|state.VMWipeOnFork)
	e.WantVMA(e.VMAAt(0, 1), 1, 2, 1, fRW)
	e.Madvise(0, 0, 1, transitions.MadvKeepOnFork)
	e.WantLayout(0, "AA.")
	e.WantVMA(e.VMAAt(0, 0), 0, 2, 0, fRW)
	e.WantAV(av, avWant{Root: av, Parent: av, Ref: 1, Degree: 2, Tree: []state.VMAID{e.VMAAt(0, 0)}})
}

// TestMadviseHole checks that madvise() skips holes, applies the advice to
// every mapped piece and returns -ENOMEM at the end.
//
//	0123
//	A.B.    madvise [0,4) MADV_DONTFORK = -ENOMEM, both VMAs changed
func TestMadviseHole(t *testing.T) {
	e := newEnv(t, 4, 1)
	e.Mmap(0, 0, 1, pRW)
	e.Mmap(0, 2, 3, pRW)
	e.Apply(transitions.Op{Kind: transitions.OpMadvise, Proc: 0, Start: 0, End: 4, Arg: uint8(transitions.MadvDontFork)}, transitions.ENOMEM)
	e.WantVMA(e.VMAAt(0, 0), 0, 1, 0, fRW|state.VMDontCopy)
	e.WantVMA(e.VMAAt(0, 2), 2, 3, 2, fRW|state.VMDontCopy)
}

// TestMprotectAcrossVMAs checks that do_mprotect_pkey() over several VMAs
// calls mprotect_fixup() on each in turn with the updated prev: the first
// piece merges into the one after it (case 8), then that VMA, now prev,
// takes the last piece (case 7).
//
//	012
//	ABC    one rw VMA written at 0..2; mprotect [0,1) r; mprotect [2,3) r
//	AAA    mprotect [0,3) rw
func TestMprotectAcrossVMAs(t *testing.T) {
	e := newEnv(t, 3, 1)
	e.Mmap(0, 0, 3, pRW)
	for a := 0; a < 3; a++ {
		e.Write(0, a)
	}
	av := e.AVAt(0, 0)
	e.Mprotect(0, 0, 1, pR)
	e.Mprotect(0, 2, 3, pR)
	e.WantLayout(0, "ABC")
	mid := e.VMAAt(0, 1)

	e.Mprotect(0, 0, 3, pRW)
	e.WantLayout(0, "AAA")
	if got := e.VMAAt(0, 0); got != mid {
		t.Errorf("survivor VMA %d, want the middle one %d", got, mid)
	}
	e.WantVMA(mid, 0, 3, 0, fRW)
	e.WantAV(av, avWant{Root: av, Parent: av, Ref: 1, Degree: 2, Tree: []state.VMAID{mid}})
	for a, w := range []bool{false, true, false} {
		e.WantPage(e.WantPTE(0, a, w), av, a, 1)
	}
}

// TestMprotectHole checks that mprotect does not skip holes: it stops at
// the first one with -ENOMEM, keeping what it changed before it.
//
//	0123
//	AA.B    A, B: rw; mprotect [0,4) r = -ENOMEM: A is r, B still rw
func TestMprotectHole(t *testing.T) {
	e := newEnv(t, 4, 1)
	e.Mmap(0, 0, 2, pRW)
	e.Mmap(0, 3, 4, pRW)
	e.Apply(transitions.Op{Kind: transitions.OpMprotect, Proc: 0, Start: 0, End: 4, Arg: uint8(pR)}, transitions.ENOMEM)
	e.WantLayout(0, "AA.B")
	e.WantVMA(e.VMAAt(0, 0), 0, 2, 0, fRA)
	e.WantVMA(e.VMAAt(0, 3), 3, 4, 3, fRW)
	// A hole at the start changes nothing.
	before := *e.S
	e.Apply(transitions.Op{Kind: transitions.OpMprotect, Proc: 0, Start: 2, End: 4, Arg: uint8(pR)}, transitions.ENOMEM)
	if *e.S != before {
		t.Errorf("mprotect starting in a hole changed the state")
	}
}

// TestMunmapAcrossVMAs covers munmap across two VMAs with different
// anon_vmas (B differs from A in VM_DONTCOPY, so it did not share A's):
// __do_munmap() splits the first at start and the last at end, detaches the
// two middle pieces and unlink_anon_vmas() each: each anon_vma keeps its
// other VMA.
//
//	0123
//	AABB    A: rw, written at 0, 1; B: rw MADV_DONTFORK, written at 2, 3
//	A..B    munmap [1,3)
func TestMunmapAcrossVMAs(t *testing.T) {
	e := newEnv(t, 4, 1)
	e.Mmap(0, 0, 4, pRW)
	e.Madvise(0, 2, 4, transitions.MadvDontFork)
	for a := 0; a < 4; a++ {
		e.Write(0, a)
	}
	e.WantLayout(0, "AABB")
	a, b := e.VMAAt(0, 0), e.VMAAt(0, 2)
	avA, avB := e.AVAt(0, 0), e.AVAt(0, 2)
	if avA == avB {
		t.Fatalf("A and B share av%d", avA)
	}

	e.Munmap(0, 1, 3)
	e.WantLayout(0, "A..B")
	if e.VMAAt(0, 0) != a || e.VMAAt(0, 3) != b {
		t.Errorf("VMAs %d, %d left, want the originals %d, %d", e.VMAAt(0, 0), e.VMAAt(0, 3), a, b)
	}
	e.WantVMA(a, 0, 1, 0, fRW)
	e.WantVMA(b, 3, 4, 3, fRW|state.VMDontCopy)
	e.WantAV(avA, avWant{Root: avA, Parent: avA, Ref: 1, Degree: 2, Tree: []state.VMAID{a}})
	e.WantAV(avB, avWant{Root: avB, Parent: avB, Ref: 1, Degree: 2, Tree: []state.VMAID{b}})
	if n := e.UsedPages(); n != 2 {
		t.Errorf("%d pages in use, want 2", n)
	}
}
