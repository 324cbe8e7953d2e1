package v6_test

// Scenario tests of the v6.1 model's mmap_region() and vma_expand()
// (mm/mmap.c of Linux 6.1.0), drawn as in helpers_test.go. The expected
// values are worked out from the 6.1.0 source mmap61.go cites.

import (
	"testing"

	"anoncheck/state"
	"anoncheck/transitions"
	"anoncheck/transitions/scenariotest"
	v5 "anoncheck/transitions/v5"
)

// TestMmapRegionV61ExpandsNextOnly covers mmap_region()'s choice between
// its neighbours: next (faulted, singular chain) can take the new range
// with no anon_vma, so it is chosen; prev is then tested with next's
// anon_vma, and prev has none and an empty chain, which is not singular,
// so is_mergeable_anon_vma() refuses it. vma_expand() grows next down
// over the range (vm_pgoff one page lower) and A stays apart. v5.4's
// vma_merge() merges all three into A (case 1), which the second half
// checks, so the test tells the two generations apart.
//
//	012
//	A.B    A: rw, unfaulted; B: rw, written at 2
//	ABB    mmap [1,2) rw (6.1)
//	AAA    mmap [1,2) rw (5.4)
func TestMmapRegionV61ExpandsNextOnly(t *testing.T) {
	e := newEnv61(t, 3, 1)
	e.Mmap(0, 0, 1, pRW)
	e.Mmap(0, 2, 3, pRW)
	e.Write(0, 2)
	a, b, av := e.VMAAt(0, 0), e.VMAAt(0, 2), e.AVAt(0, 2)

	e.Mmap(0, 1, 2, pRW)
	e.WantCalled("mmap_region", "vma_expand")
	if e.Called("vma_merge") || e.Called("anon_vma_clone") {
		t.Error("6.1's mmap_region() does not call vma_merge(), and expanding next clones nothing")
	}
	e.WantLayout(0, "ABB")
	e.WantVMA(a, 0, 1, 0, fRW)
	e.WantVMA(b, 1, 3, 1, fRW)
	e.WantChain(a, state.NoAV)
	e.WantChain(b, av, av)
	e.WantAV(av, avWant{Root: av, Parent: av, Ref: 1, Children: 1, Active: 1, Tree: []state.VMAID{b}})
	e.WantPage(e.WantPTE(0, 2, true), av, 2, 1)

	old := scenariotest.New(t, v5.V54(), transitions.CountDegree, 3, 1)
	old.Mmap(0, 0, 1, pRW)
	old.Mmap(0, 2, 3, pRW)
	old.Write(0, 2)
	old.Mmap(0, 1, 2, pRW)
	old.WantCalled("vma_merge", "__vma_adjust", "anon_vma_clone")
	old.WantLayout(0, "AAA")
}

// TestMmapRegionV61ExpandsPrevOverNext covers vma_expand() removing next:
// A and B share one anon_vma (a munmap split them), so next can take the
// range (no anon_vma against B's singular chain) and prev then can too
// (the same anon_vma on both sides). prev is chosen over [0, 3); next
// goes, its anon_vma links merged away by anon_vma_merge()
// (unlink_anon_vmas(B): num_active_vmas 2 -> 1), and map_count drops.
//
//	012
//	A.B    A, B: rw, written at 0 before [1,2) was unmapped
//	AAA    mmap [1,2) rw
func TestMmapRegionV61ExpandsPrevOverNext(t *testing.T) {
	e := newEnv61(t, 3, 1)
	e.Mmap(0, 0, 3, pRW)
	e.Write(0, 0)
	e.Munmap(0, 1, 2)
	a, b, av := e.VMAAt(0, 0), e.VMAAt(0, 2), e.AVAt(0, 0)
	e.WantAV(av, avWant{Root: av, Parent: av, Ref: 1, Children: 1, Active: 2, Tree: []state.VMAID{a, b}})

	e.Mmap(0, 1, 2, pRW)
	e.WantCalled("mmap_region", "vma_expand", "anon_vma_merge", "unlink_anon_vmas")
	e.WantLayout(0, "AAA")
	e.WantVMA(a, 0, 3, 0, fRW)
	e.WantVMAGone(b)
	e.WantChain(a, av, av)
	e.WantAV(av, avWant{Root: av, Parent: av, Ref: 1, Children: 1, Active: 1, Tree: []state.VMAID{a}})
	if n := e.S.MMs[0].MapCount; n != 1 {
		t.Errorf("map_count %d, want 1", n)
	}
}

// TestMmapRegionV61NewVMA covers mmap_region()'s fallback: a read-only
// range between two writable VMAs matches neither (is_mergeable_vma()
// compares the flags), so nothing is expanded and a new VMA is made with
// vm_pgoff = addr, unaccounted.
//
//	012
//	A.C    A, C: rw
//	ABC    mmap [1,2) r
func TestMmapRegionV61NewVMA(t *testing.T) {
	e := newEnv61(t, 3, 1)
	e.Mmap(0, 0, 1, pRW)
	e.Mmap(0, 2, 3, pRW)

	e.Mmap(0, 1, 2, pR)
	if e.Called("vma_expand") {
		t.Error("vma_expand() called although neither neighbour matches")
	}
	e.WantLayout(0, "ABC")
	e.WantVMA(e.VMAAt(0, 1), 1, 2, 1, state.VMRead)
	if n := e.S.MMs[0].MapCount; n != 3 {
		t.Errorf("map_count %d, want 3", n)
	}
}
