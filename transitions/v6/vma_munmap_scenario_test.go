package v6_test

// Scenario tests of mm/vma.c's split, munmap and mmap code and of
// exit_mmap() in the v6.18 model: see helpers_test.go.

import (
	"slices"
	"testing"

	"anoncheck/state"
	"anoncheck/transitions"
)

// callIndex returns the position of the first call of the named function
// in the last operation's calls, or -1.
func callIndex(calls []transitions.Call, name string) int {
	return slices.IndexFunc(calls, func(c transitions.Call) bool { return c.Name == name })
}

// ---------------------------------------------------------------------------
// split_vma, __split_vma (mm/vma.c), through vma_modify

// TestSplitVMAByMprotect covers vma_modify() when no neighbour takes the
// range: split_vma(start, new_below = 1) and split_vma(end, new_below =
// 0), each __split_vma(): vm_area_dup() (same anon_vma), the copy keeps
// the part below or above (page offset moved with its start),
// anon_vma_clone() copies the chain exactly (num_active_vmas counts each
// copy), and vma_complete() inserts the copy and counts it. The VMA
// mprotect works on keeps the middle.
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
	orig, av := e.VMAAt(0, 0), e.AVAt(0, 0)

	e.Mprotect(0, 1, 2, pR)
	e.WantCalled("vma_modify_flags", "vma_modify", "vma_merge_existing_range", "split_vma", "__split_vma", "anon_vma_clone")
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
	e.WantAV(av, avWant{Root: av, Parent: av, Ref: 1, Children: 1, Active: 3, Tree: []state.VMAID{lo, mid, hi}})
	for a, w := range []bool{true, false, true} {
		e.WantPage(e.WantPTE(0, a, w), av, a, 1)
	}
	if n := e.S.MMs[0].MapCount; n != 3 {
		t.Errorf("map_count %d, want 3", n)
	}
}

// ---------------------------------------------------------------------------
// do_vmi_munmap, do_vmi_align_munmap, vms_gather_munmap_vmas,
// vms_complete_munmap_vmas, vms_clear_ptes (mm/vma.c)

// TestDoVMIMunmapMiddle covers munmap of the middle of a VMA:
// vms_gather_munmap_vmas() splits at start with new_below = 1 (the new VMA
// keeps [0,1); v5.4's __do_munmap() split with new_below = 0) and at end
// with new_below = 0 (the new VMA keeps [2,3)), and detaches the original,
// now [1,2); vms_complete_munmap_vmas() drops map_count, clears the PTE
// (unmap_vmas()) and the anon_vma links (free_pgtables() ->
// unlink_anon_vmas()) and frees it.
//
//	012
//	AAA    A: rw, written at 0, 1, 2
//	A.B    munmap [1,2)
func TestDoVMIMunmapMiddle(t *testing.T) {
	e := newEnv(t, 3, 1)
	e.Mmap(0, 0, 3, pRW)
	for a := 0; a < 3; a++ {
		e.Write(0, a)
	}
	orig, av := e.VMAAt(0, 0), e.AVAt(0, 0)

	e.Munmap(0, 1, 2)
	e.WantCalled("do_vmi_munmap", "do_vmi_align_munmap", "vms_gather_munmap_vmas", "__split_vma",
		"vms_complete_munmap_vmas", "vms_clear_ptes", "unmap_vmas", "free_pgtables", "unlink_anon_vmas")
	e.WantLayout(0, "A.B")
	e.WantVMAGone(orig)
	lo, hi := e.VMAAt(0, 0), e.VMAAt(0, 2)
	e.WantVMA(lo, 0, 1, 0, fRW)
	e.WantVMA(hi, 2, 3, 2, fRW)
	e.WantChain(lo, av, av)
	e.WantChain(hi, av, av)
	e.WantAV(av, avWant{Root: av, Parent: av, Ref: 1, Children: 1, Active: 2, Tree: []state.VMAID{lo, hi}})
	e.WantNoPTE(0, 1)
	if n := e.UsedPages(); n != 2 {
		t.Errorf("%d pages in use, want 2", n)
	}
	if n := e.S.MMs[0].MapCount; n != 2 {
		t.Errorf("map_count %d, want 2", n)
	}
}

// TestDoVMIMunmapAcrossVMAs covers munmap of three VMAs and a hole at
// once: all three are detached together; their PTEs go, and each
// anon_vma whose tree empties is freed.
//
//	0123
//	AB.C   A: rw, written at 0 (av1); B: r; C: rw, written at 3 (av2)
//	....   munmap [0,4)
func TestDoVMIMunmapAcrossVMAs(t *testing.T) {
	e := newEnv(t, 4, 1)
	e.Mmap(0, 0, 1, pRW)
	e.Write(0, 0)
	e.Mmap(0, 1, 2, pR)
	e.Mmap(0, 3, 4, pRW)
	e.Write(0, 3)
	e.WantLayout(0, "AB.C")
	if n := len(e.LiveAVs()); n != 2 {
		t.Fatalf("%d anon_vmas, want 2", n)
	}

	e.Munmap(0, 0, 4)
	e.WantLayout(0, "....")
	if n := len(e.LiveAVs()); n != 0 {
		t.Errorf("%d anon_vmas left, want none", n)
	}
	if n := e.UsedPages(); n != 0 {
		t.Errorf("%d pages left, want none", n)
	}
	if m := e.S.MMs[0]; m.MapCount != 0 || m.Mmap != state.NoVMA {
		t.Errorf("map_count %d, mmap VMA %d; want an empty mm", m.MapCount, m.Mmap)
	}
}

// TestDoVMIMunmapHole covers do_vmi_munmap() when no VMA overlaps the
// range: vma_find() finds none, nothing changes, and 0 is returned.
//
//	012
//	A..    A: rw
//	A..    munmap [1,3)
func TestDoVMIMunmapHole(t *testing.T) {
	e := newEnv(t, 3, 1)
	e.Mmap(0, 0, 1, pRW)
	before := *e.S
	e.Munmap(0, 1, 3)
	e.WantCalled("do_vmi_munmap")
	if e.Called("do_vmi_align_munmap") || *e.S != before {
		t.Error("munmap of a hole did more than return 0")
	}
}

// ---------------------------------------------------------------------------
// mmap_region, __mmap_region, __mmap_prepare, __mmap_new_vma,
// __mmap_complete (mm/vma.c)

// TestMmapRegionOverWrittenVMA covers MAP_FIXED over a faulted VMA:
// __mmap_prepare() gathers it (vms_gather_munmap_vmas()) and, while it is
// still in the tree, clears its PTEs and unlinks its anon_vma
// (vms_clean_up_area() -> vms_clear_ptes()), which frees av1; with no
// neighbour __mmap_new_vma() makes the new VMA, and __mmap_complete()
// frees the old one (vms_complete_munmap_vmas()). The new read-only
// mapping is not charged.
//
//	01
//	AA     A: rw, written at 0 and 1
//	BB     mmap [0,2) r
func TestMmapRegionOverWrittenVMA(t *testing.T) {
	e := newEnv(t, 2, 1)
	e.Mmap(0, 0, 2, pRW)
	e.Write(0, 0)
	e.Write(0, 1)
	old := e.VMAAt(0, 0)

	e.Mmap(0, 0, 2, pR)
	e.WantCalled("mmap_region", "__mmap_region", "__mmap_prepare", "vms_gather_munmap_vmas", "vms_clear_ptes",
		"unlink_anon_vmas", "__mmap_new_vma", "__mmap_complete", "vms_complete_munmap_vmas")
	calls := e.K.Rec.Calls
	if u, n := callIndex(calls, "unlink_anon_vmas"), callIndex(calls, "__mmap_new_vma"); u > n {
		t.Errorf("the old VMA's anon_vma was unlinked (call %d) after the new VMA was made (call %d)", u, n)
	}
	e.WantVMAGone(old)
	nv := e.VMAAt(0, 0)
	e.WantVMA(nv, 0, 2, 0, state.VMRead)
	e.WantChain(nv, state.NoAV)
	if n := len(e.LiveAVs()); n != 0 {
		t.Errorf("%d anon_vmas left, want none", n)
	}
	if n := e.UsedPages(); n != 0 {
		t.Errorf("%d pages left, want none", n)
	}
	if n := e.S.MMs[0].MapCount; n != 1 {
		t.Errorf("map_count %d, want 1", n)
	}
}

// TestMmapRegionOverPartMergesWithRest covers MAP_FIXED over the tail of a
// faulted VMA: the gather splits it (the new VMA keeps [0,1) and a copy of
// the chain), detaches [1,2) and drops its page and its link to av1; then
// vma_merge_new_range() lets [0,1), now the VMA before the range, take the
// new range (case 2: its chain is singular), and the old [1,2) is freed.
//
//	01
//	AA     A: rw, written at 0 and 1
//	AA     mmap [1,2) rw
func TestMmapRegionOverPartMergesWithRest(t *testing.T) {
	e := newEnv(t, 2, 1)
	e.Mmap(0, 0, 2, pRW)
	e.Write(0, 0)
	e.Write(0, 1)
	old, av := e.VMAAt(0, 0), e.AVAt(0, 0)

	e.Mmap(0, 1, 2, pRW)
	e.WantCalled("__split_vma", "vma_merge_new_range", "vma_expand")
	if e.Called("__mmap_new_vma") {
		t.Error("a new VMA was made although the rest of the old one takes the range")
	}
	e.WantLayout(0, "AA")
	e.WantVMAGone(old)
	a := e.VMAAt(0, 0)
	e.WantVMA(a, 0, 2, 0, fRW)
	e.WantChain(a, av, av)
	e.WantAV(av, avWant{Root: av, Parent: av, Ref: 1, Children: 1, Active: 1, Tree: []state.VMAID{a}})
	e.WantPage(e.WantPTE(0, 0, true), av, 0, 1)
	e.WantNoPTE(0, 1)
	if n := e.UsedPages(); n != 1 {
		t.Errorf("%d pages in use, want 1", n)
	}
}

// ---------------------------------------------------------------------------
// exit_mmap (mm/mmap.c)

// TestExitMmapParentThenChild covers exit_mmap() of a parent whose child
// lives on: unmap_vmas() drops the parent's mapping of the shared page,
// free_pgtables() unlinks the parent's VMA (av1 keeps the child's VMA in
// its tree, loses its active VMA), and the VMAs are freed, their count
// matching map_count (BUG_ON). When the child exits too, av2 empties, then
// av1: both are put, av2 dropping its reference on its root av1 first.
//
//	01
//	A.     P1: rw, written at 0; fork; P1 exits; P2 exits
func TestExitMmapParentThenChild(t *testing.T) {
	e := newEnv(t, 2, 2)
	e.Mmap(0, 0, 1, pRW)
	e.Write(0, 0)
	av1 := e.AVAt(0, 0)
	c := e.Fork(0)
	ca := e.VMAAt(c, 0)
	av2 := e.AVAt(c, 0)
	pg := e.WantPTE(0, 0, false)

	e.Exit(0)
	e.WantCalled("exit", "exit_mmap", "unmap_vmas", "free_pgtables", "unlink_anon_vmas")
	e.WantAV(av1, avWant{Root: av1, Parent: av1, Ref: 2, Children: 2, Active: 0, Tree: []state.VMAID{ca}})
	e.WantAV(av2, avWant{Root: av1, Parent: av1, Ref: 1, Children: 0, Active: 1, Tree: []state.VMAID{ca}})
	e.WantPage(pg, av1, 0, 1)

	e.Exit(c)
	e.WantAVGone(av1)
	e.WantAVGone(av2)
	if n := e.UsedPages(); n != 0 {
		t.Errorf("%d pages left, want none", n)
	}
}
