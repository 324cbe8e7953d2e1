package v5_test

// Scenario tests of the v5.4 model: see rmap_scenario_test.go.

import (
	"anoncheck/state"
	"anoncheck/transitions/scenariotest"
	"testing"
)

// ---------------------------------------------------------------------------
// __split_vma (mm/mmap.c), section 4.13, through mprotect_fixup

// TestSplitVMAByMprotect covers mprotect of the middle page: vma_merge()
// finds nothing, so split_vma(start, new_below = 1) then split_vma(end,
// new_below = 0). The VMA mprotect works on keeps the middle; each new part
// is a vm_area_dup() copy (same anon_vma) whose chain anon_vma_clone()
// copies exactly, adding one degree each. The upper parts' pgoff is shifted
// by their start. PTEs are untouched but in the changed range.
//
//	0123
//	AAA.    A: rw, written at 0, 1, 2
//	BAC.    mprotect [1,2) r
func TestSplitVMAByMprotect(t *testing.T) {
	e := newEnv(t, 4, 1)
	e.Mmap(0, 0, 3, pRW)
	for a := 0; a < 3; a++ {
		e.Write(0, a)
	}
	orig := e.VMAAt(0, 0)
	av := e.AVAt(0, 0)

	e.Mprotect(0, 1, 2, pR)
	e.WantLayout(0, "ABC.")
	lo, mid, hi := e.VMAAt(0, 0), e.VMAAt(0, 1), e.VMAAt(0, 2)
	if mid != orig || lo == orig || hi == orig || lo == hi {
		t.Errorf("VMAs %d %d %d, want the original %d in the middle", lo, mid, hi, orig)
	}
	e.WantVMA(lo, 0, 1, 0, fRW)
	e.WantVMA(mid, 1, 2, 1, fRA)
	e.WantVMA(hi, 2, 3, 2, fRW)
	for _, v := range []state.VMAID{lo, mid, hi} {
		e.WantChain(v, av, av)
	}
	e.WantAV(av, avWant{Root: av, Parent: av, Ref: 1, Degree: 4, Tree: []state.VMAID{lo, mid, hi}})
	for a, w := range []bool{true, false, true} {
		e.WantPage(e.WantPTE(0, a, w), av, a, 1)
	}
	if n := e.S.MMs[0].MapCount; n != 3 {
		t.Errorf("map_count %d, want 3", n)
	}
}

// ---------------------------------------------------------------------------
// vma_merge / __vma_adjust (mm/mmap.c), section 4.12

// TestVMAMergeCase6MprotectBack covers case 6 (mprotect back): A covers all
// of the middle VMA and prev and next both take it: __vma_adjust(prev,
// remove_next = 2) removes the middle and then next, each through
// anon_vma_merge() (unlink_anon_vmas: one degree less each, the tree keeps
// prev). The survivor is prev; the PTE made read-only stays read-only.
//
//	0123
//	BAC.    as left by TestSplitVMAByMprotect
//	AAA.    mprotect [1,2) rw
func TestVMAMergeCase6MprotectBack(t *testing.T) {
	e := newEnv(t, 4, 1)
	e.Mmap(0, 0, 3, pRW)
	for a := 0; a < 3; a++ {
		e.Write(0, a)
	}
	av := e.AVAt(0, 0)
	e.Mprotect(0, 1, 2, pR)
	lo, mid, hi := e.VMAAt(0, 0), e.VMAAt(0, 1), e.VMAAt(0, 2)

	e.Mprotect(0, 1, 2, pRW)
	e.WantLayout(0, "AAA.")
	if got := e.VMAAt(0, 1); got != lo {
		t.Errorf("survivor VMA %d, want prev %d", got, lo)
	}
	e.WantVMA(lo, 0, 3, 0, fRW)
	e.WantVMAGone(mid)
	e.WantVMAGone(hi)
	e.WantChain(lo, av, av)
	e.WantAV(av, avWant{Root: av, Parent: av, Ref: 1, Degree: 2, Tree: []state.VMAID{lo}})
	for a, w := range []bool{true, false, true} {
		e.WantPage(e.WantPTE(0, a, w), av, a, 1)
	}
	if n := e.S.MMs[0].MapCount; n != 1 {
		t.Errorf("map_count %d, want 1", n)
	}
}

// TestVMAMergeCase7 covers case 7: A is all of the last VMA and only prev
// takes it: prev grows over it (remove_next = 1), next == NULL afterwards
// (the highest_vm_end check).
//
//	012
//	AAB    one rw VMA written at 0 and 2; mprotect [2,3) r
//	AAA    mprotect [2,3) rw
func TestVMAMergeCase7(t *testing.T) {
	e := newEnv(t, 3, 1)
	e.Mmap(0, 0, 3, pRW)
	e.Write(0, 0)
	e.Write(0, 2)
	av := e.AVAt(0, 0)
	e.Mprotect(0, 2, 3, pR)
	e.WantLayout(0, "AAB")
	p, b := e.VMAAt(0, 0), e.VMAAt(0, 2)
	e.WantVMA(b, 2, 3, 2, fRA)

	e.Mprotect(0, 2, 3, pRW)
	e.WantLayout(0, "AAA")
	e.WantVMA(p, 0, 3, 0, fRW)
	e.WantVMAGone(b)
	e.WantAV(av, avWant{Root: av, Parent: av, Ref: 1, Degree: 2, Tree: []state.VMAID{p}})
	e.WantPage(e.WantPTE(0, 2, false), av, 2, 1)
}

// TestVMAMergeCase8 covers case 8: A is all of the first VMA and only next
// takes it: __vma_adjust() swaps vma and next (remove_next = 3); next grows
// down over A with pgoff next->vm_pgoff - pglen, and A's VMA is freed.
//
//	012
//	ABB    one rw VMA written at 0 and 2; mprotect [0,1) r
//	BBB    mprotect [0,1) rw
func TestVMAMergeCase8(t *testing.T) {
	e := newEnv(t, 3, 1)
	e.Mmap(0, 0, 3, pRW)
	e.Write(0, 0)
	e.Write(0, 2)
	av := e.AVAt(0, 0)
	e.Mprotect(0, 0, 1, pR)
	e.WantLayout(0, "ABB")
	a, n := e.VMAAt(0, 0), e.VMAAt(0, 2)

	e.Mprotect(0, 0, 1, pRW)
	e.WantLayout(0, "AAA")
	if got := e.VMAAt(0, 0); got != n {
		t.Errorf("survivor VMA %d, want next %d", got, n)
	}
	if e.S.MMs[0].Mmap != n {
		t.Errorf("mm->mmap = VMA %d, want %d", e.S.MMs[0].Mmap, n)
	}
	e.WantVMA(n, 0, 3, 0, fRW)
	e.WantVMAGone(a)
	e.WantAV(av, avWant{Root: av, Parent: av, Ref: 1, Degree: 2, Tree: []state.VMAID{n}})
	e.WantPage(e.WantPTE(0, 0, false), av, 0, 1)
	e.WantPage(e.WantPTE(0, 2, true), av, 2, 1)
}

// TestVMAMergeCase1ImporterTakesAnonVMA covers case 1 by mmap into the gap:
// vma_merge(anon_vma = NULL) lets prev take the new range and next
// (is_mergeable_anon_vma(NULL, NULL, prev): equal; (NULL, avN, next):
// next's chain is singular; (NULL, avN, NULL)). __vma_adjust(prev): next is
// the exporter and prev, without an anon_vma, the importer: prev->anon_vma
// = avN and anon_vma_clone() copies N's chain (degree +1); then
// anon_vma_merge() unlinks N (degree -1).
//
//	012
//	P.N    P: rw, never written; N: rw, written at 2
//	PPP    mmap [1,2) rw
func TestVMAMergeCase1ImporterTakesAnonVMA(t *testing.T) {
	e := newEnv(t, 3, 1)
	e.Mmap(0, 0, 1, pRW)
	e.Mmap(0, 2, 3, pRW)
	e.Write(0, 2)
	p, n := e.VMAAt(0, 0), e.VMAAt(0, 2)
	avN := e.AVAt(0, 2)
	pg := e.WantPTE(0, 2, true)

	e.Mmap(0, 1, 2, pRW)
	e.WantLayout(0, "AAA")
	if got := e.VMAAt(0, 1); got != p {
		t.Errorf("survivor VMA %d, want prev %d", got, p)
	}
	e.WantVMA(p, 0, 3, 0, fRW)
	e.WantVMAGone(n)
	e.WantChain(p, avN, avN)
	e.WantAV(avN, avWant{Root: avN, Parent: avN, Ref: 1, Degree: 2, Tree: []state.VMAID{p}})
	e.WantPage(pg, avN, 2, 1)
}

// TestVMAMergeCase2DifferentAnonVMAs covers case 2 (and not 1): prev and
// next have different anon_vmas, so is_mergeable_anon_vma(avP, avN, NULL)
// fails and only prev grows.
//
//	012
//	P.N    P: rw, written at 0; N: rw, written at 2
//	PPN    mmap [1,2) rw
func TestVMAMergeCase2DifferentAnonVMAs(t *testing.T) {
	e := newEnv(t, 3, 1)
	e.Mmap(0, 0, 1, pRW)
	e.Write(0, 0)
	e.Mmap(0, 2, 3, pRW)
	e.Write(0, 2)
	p, n := e.VMAAt(0, 0), e.VMAAt(0, 2)
	avP, avN := e.AVAt(0, 0), e.AVAt(0, 2)
	if avP == avN {
		t.Fatalf("P and N share av%d; the gap should have kept them apart", avP)
	}

	e.Mmap(0, 1, 2, pRW)
	e.WantLayout(0, "AAB")
	e.WantVMA(p, 0, 2, 0, fRW)
	e.WantVMA(n, 2, 3, 2, fRW)
	e.WantAV(avP, avWant{Root: avP, Parent: avP, Ref: 1, Degree: 2, Tree: []state.VMAID{p}})
	e.WantAV(avN, avWant{Root: avN, Parent: avN, Ref: 1, Degree: 2, Tree: []state.VMAID{n}})
}

// TestVMAMergeCase3 covers case 3: no prev; next grows down with pgoff
// next->vm_pgoff - pglen, so its pages keep their index.
//
//	012
//	..N    N: rw, written at 2
//	.NN    mmap [1,2) rw
func TestVMAMergeCase3(t *testing.T) {
	e := newEnv(t, 3, 1)
	e.Mmap(0, 2, 3, pRW)
	e.Write(0, 2)
	n := e.VMAAt(0, 2)
	avN := e.AVAt(0, 2)
	e.Mmap(0, 1, 2, pRW)
	e.WantLayout(0, ".AA")
	if got := e.VMAAt(0, 1); got != n {
		t.Errorf("VMA at 1 is %d, want N %d grown down", got, n)
	}
	e.WantVMA(n, 1, 3, 1, fRW)
	e.WantChain(n, avN, avN)
	e.WantPage(e.WantPTE(0, 2, true), avN, 2, 1)
}

// TestMmapOverWrittenVMA covers mmap over the start of a written VMA
// (MAP_FIXED): mmap_region()'s do_munmap() splits it and drops the first
// page; the new range then merges with the remainder (case 3: the
// remainder's chain is singular), which grows back down. The anon_vma and
// the second page survive.
//
//	01
//	AA    A: rw, written at 0 and 1; mmap [0,1) rw
func TestMmapOverWrittenVMA(t *testing.T) {
	e := newEnv(t, 2, 1)
	e.Mmap(0, 0, 2, pRW)
	e.Write(0, 0)
	e.Write(0, 1)
	av := e.AVAt(0, 0)
	pg1 := e.WantPTE(0, 1, true)

	e.Mmap(0, 0, 1, pRW)
	e.WantLayout(0, "AA")
	a := e.VMAAt(0, 0)
	e.WantVMA(a, 0, 2, 0, fRW)
	e.WantChain(a, av, av)
	e.WantAV(av, avWant{Root: av, Parent: av, Ref: 1, Degree: 2, Tree: []state.VMAID{a}})
	e.WantNoPTE(0, 0)
	e.WantPage(e.WantPTE(0, 1, true), av, 1, 1)
	if e.WantPTE(0, 1, true) != pg1 || e.UsedPages() != 1 {
		t.Errorf("pages: want only the page at 1 left")
	}

	// mmap r over all of it: everything goes, the anon_vma is freed.
	e.Mmap(0, 0, 2, pR)
	e.WantLayout(0, "AA")
	e.WantVMA(e.VMAAt(0, 0), 0, 2, 0, state.VMRead)
	e.WantChain(e.VMAAt(0, 0), state.NoAV)
	e.WantAVGone(av)
	if n := e.UsedPages(); n != 0 {
		t.Errorf("%d pages in use, want 0", n)
	}
}

// layout4x1 maps [0,4) rw, writes pages 0-2, and mprotects [2,4) to r: two
// VMAs P [0,2) rw and N [2,4) r with the same anon_vma and chain.
func layout4x1(e *scenariotest.Env) (p, n state.VMAID, av state.AVID) {
	e.T.Helper()
	e.Mmap(0, 0, 4, pRW)
	for a := 0; a < 3; a++ {
		e.Write(0, a)
	}
	e.Mprotect(0, 2, 4, pR)
	e.WantLayout(0, "AABB")
	p, n, av = e.VMAAt(0, 0), e.VMAAt(0, 2), e.AVAt(0, 0)
	e.WantChain(n, av, av)
	return
}

// TestVMAMergeCase4 covers case 4: mprotect of the tail of P to N's flags:
// __vma_adjust(prev, end = addr, expand = next) with adjust_next < 0: P
// shrinks, N grows down (start and pgoff by adjust_next). vma_merge returns
// N, whose flags mprotect_fixup then sets (VM_WARN_ON: already equal).
//
//	0123
//	PPNN    P: rw, N: r, one anon_vma (layout4x1)
//	PNNN    mprotect [1,2) r
func TestVMAMergeCase4(t *testing.T) {
	e := newEnv(t, 4, 1)
	p, n, av := layout4x1(e)
	e.Mprotect(0, 1, 2, pR)
	e.WantLayout(0, "ABBB")
	e.WantVMA(p, 0, 1, 0, fRW)
	e.WantVMA(n, 1, 4, 1, fRA)
	e.WantAV(av, avWant{Root: av, Parent: av, Ref: 1, Degree: 3, Tree: []state.VMAID{p, n}})
	e.WantPage(e.WantPTE(0, 0, true), av, 0, 1)
	e.WantPage(e.WantPTE(0, 1, false), av, 1, 1)
	e.WantPage(e.WantPTE(0, 2, false), av, 2, 1)
}

// TestVMAMergeCase5 covers case 5: mprotect of the head of N to P's flags:
// __vma_adjust(prev, end, expand = prev) with adjust_next > 0: P grows, N
// shrinks (start and pgoff up).
//
//	0123
//	PPNN    P: rw, N: r, one anon_vma (layout4x1)
//	PPPN    mprotect [2,3) rw
func TestVMAMergeCase5(t *testing.T) {
	e := newEnv(t, 4, 1)
	p, n, av := layout4x1(e)
	e.Mprotect(0, 2, 3, pRW)
	e.WantLayout(0, "AAAB")
	e.WantVMA(p, 0, 3, 0, fRW)
	e.WantVMA(n, 3, 4, 3, fRA)
	e.WantAV(av, avWant{Root: av, Parent: av, Ref: 1, Degree: 3, Tree: []state.VMAID{p, n}})
	// change_protection() on [2,3): the page there stays read-only.
	e.WantPage(e.WantPTE(0, 2, false), av, 2, 1)
}

// TestVMAMergeCase4RefusedTargetWithoutAnonVMA covers case 4 refused: N has
// no anon_vma, so can_vma_merge_before(N, avP) calls
// is_mergeable_anon_vma(avP, NULL, N) with N's chain empty, not singular:
// false (the Linux 3.0 quirk Jann Horn described in 2023). mprotect_fixup()
// splits P instead.
//
//	0123
//	PPNN    one rw VMA; mprotect [2,4) r; then write at 0 (only P faults)
//	PANN    mprotect [1,2) r
func TestVMAMergeCase4RefusedTargetWithoutAnonVMA(t *testing.T) {
	e := newEnv(t, 4, 1)
	e.Mmap(0, 0, 4, pRW)
	e.Mprotect(0, 2, 4, pR)
	e.Write(0, 0)
	av := e.AVAt(0, 0)
	n := e.VMAAt(0, 2)
	e.WantChain(n, state.NoAV)

	e.Mprotect(0, 1, 2, pR)
	e.WantLayout(0, "ABCC")
	e.WantVMA(e.VMAAt(0, 0), 0, 1, 0, fRW)
	e.WantVMA(e.VMAAt(0, 1), 1, 2, 1, fRA)
	e.WantVMA(n, 2, 4, 2, fRA)
	e.WantChain(e.VMAAt(0, 1), av, av)
	e.WantChain(n, state.NoAV)
	e.WantAV(av, avWant{Root: av, Parent: av, Ref: 1, Degree: 3, Tree: []state.VMAID{e.VMAAt(0, 0), e.VMAAt(0, 1)}})
}

// TestVMAMergeCase6ImportFromAfterNext covers case 6 with an importer: A
// (the changed middle) and P have no anon_vma, X has one.
// __vma_adjust(prev, remove_next = 2): next (A) has no anon_vma, so the
// exporter is the VMA after it; P imports avX with a clone of X's chain. A
// goes without anon_vma_merge(), X with it.
//
//	012
//	PAX    one rw VMA; mprotect [1,2) r; write at 2 (only X faults)
//	PPP    mprotect [1,2) rw
func TestVMAMergeCase6ImportFromAfterNext(t *testing.T) {
	e := newEnv(t, 3, 1)
	e.Mmap(0, 0, 3, pRW)
	e.Mprotect(0, 1, 2, pR)
	e.WantLayout(0, "ABC")
	e.Write(0, 2)
	p, a, x := e.VMAAt(0, 0), e.VMAAt(0, 1), e.VMAAt(0, 2)
	avX := e.AVAt(0, 2)
	e.WantChain(a, state.NoAV)
	e.WantChain(p, state.NoAV)

	e.Mprotect(0, 1, 2, pRW)
	e.WantLayout(0, "AAA")
	e.WantVMA(p, 0, 3, 0, fRW)
	e.WantVMAGone(a)
	e.WantVMAGone(x)
	e.WantChain(p, avX, avX)
	e.WantAV(avX, avWant{Root: avX, Parent: avX, Ref: 1, Degree: 2, Tree: []state.VMAID{p}})
	e.WantPage(e.WantPTE(0, 2, true), avX, 2, 1)
}

// TestVMAMergeRefusedForForkedVMA checks that a VMA forked from the parent
// (chain [av2 av1]) takes no merge with a new mapping:
// is_mergeable_anon_vma(NULL, av2, N) needs a singular chain. The parent's
// own VMA (chain [av1]) does merge.
//
//	012
//	.N.    P1: N rw, written at 1; fork; mmap [0,1) rw in both
//	AB.    P2 (child)
//	NN.    P1 (case 3)
func TestVMAMergeRefusedForForkedVMA(t *testing.T) {
	e := newEnv(t, 3, 2)
	e.Mmap(0, 1, 2, pRW)
	e.Write(0, 1)
	c := e.Fork(0)
	e.Mmap(c, 0, 1, pRW)
	e.WantLayout(c, "AB.")
	e.Mmap(0, 0, 1, pRW)
	e.WantLayout(0, "AA.")
}

// ---------------------------------------------------------------------------
// __do_munmap / unlink_anon_vmas / free_pgtables (mm/mmap.c, mm/rmap.c,
// mm/memory.c), sections 4.7, 4.15

// TestMunmapMiddle covers munmap of the middle: __split_vma(vma, start, 0)
// keeps [0,1) in the original and gives [1,4) to a copy; __split_vma(last,
// end, 1) cuts [1,3) off that copy. The detached [1,3) loses its PTEs
// (pages freed), then unlink_anon_vmas(): the tree still holds the others,
// so only the VMA's degree goes. Unmapping the rest empties the tree: the
// self-parent link and the last VMA's degree go (degree 0, no VM_WARN_ON),
// put_anon_vma() frees it and its slot is released.
//
//	0123
//	AAAA    A: rw, written at 0..3
//	A..B    munmap [1,3)
//	....    munmap [0,4)
func TestMunmapMiddle(t *testing.T) {
	e := newEnv(t, 4, 1)
	e.Mmap(0, 0, 4, pRW)
	for a := 0; a < 4; a++ {
		e.Write(0, a)
	}
	orig := e.VMAAt(0, 0)
	av := e.AVAt(0, 0)

	e.Munmap(0, 1, 3)
	e.WantLayout(0, "A..B")
	lo, hi := e.VMAAt(0, 0), e.VMAAt(0, 3)
	if lo != orig {
		t.Errorf("VMA at 0 is %d, want the original %d", lo, orig)
	}
	e.WantVMA(lo, 0, 1, 0, fRW)
	e.WantVMA(hi, 3, 4, 3, fRW)
	e.WantChain(lo, av, av)
	e.WantChain(hi, av, av)
	e.WantAV(av, avWant{Root: av, Parent: av, Ref: 1, Degree: 3, Tree: []state.VMAID{lo, hi}})
	e.WantNoPTE(0, 1)
	e.WantNoPTE(0, 2)
	e.WantPage(e.WantPTE(0, 0, true), av, 0, 1)
	e.WantPage(e.WantPTE(0, 3, true), av, 3, 1)
	if n := e.UsedPages(); n != 2 {
		t.Errorf("%d pages in use, want 2", n)
	}
	if n := e.S.MMs[0].MapCount; n != 2 {
		t.Errorf("map_count %d, want 2", n)
	}

	e.Munmap(0, 0, 4)
	e.WantLayout(0, "....")
	e.WantAVGone(av)
	if n := e.UsedPages(); n != 0 {
		t.Errorf("%d pages in use, want 0", n)
	}
	if m := e.S.MMs[0]; m.Mmap != state.NoVMA || m.MapCount != 0 {
		t.Errorf("mm: mmap %d map_count %d, want empty", m.Mmap, m.MapCount)
	}
}

// TestUnlinkAnonVMAsChildExit covers a child's exit: unlink_anon_vmas()
// walks [av2 av1] newest first. av2's tree empties: its parent av1 loses a
// degree, av2 is kept for the second loop; av1's tree still holds the
// parent VMA. Then the VMA's own av2 loses its degree (0);
// put_anon_vma(av2) frees it and drops the root reference it held on av1.
// The parent's PTE stays read-only until it writes, which then reuses the
// page.
//
//	0
//	A     A: rw, written; fork; exit child; parent writes 0
func TestUnlinkAnonVMAsChildExit(t *testing.T) {
	e := newEnv(t, 1, 2)
	e.Mmap(0, 0, 1, pRW)
	e.Write(0, 0)
	a := e.VMAAt(0, 0)
	av1 := e.AVAt(0, 0)
	pg := e.WantPTE(0, 0, true)
	c := e.Fork(0)
	av2 := e.AVAt(c, 0)

	e.Exit(c)
	e.WantAVGone(av2)
	e.WantAV(av1, avWant{Root: av1, Parent: av1, Ref: 1, Degree: 2, Tree: []state.VMAID{a}})
	e.WantPage(e.WantPTE(0, 0, false), av1, 0, 1)

	e.Write(0, 0)
	if got := e.WantPTE(0, 0, true); got != pg {
		t.Errorf("parent's write mapped page %d, want %d reused", got, pg)
	}
	if n := e.UsedPages(); n != 1 {
		t.Errorf("%d pages in use, want 1", n)
	}
}
