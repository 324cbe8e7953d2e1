package v6_test

// Scenario tests of mm/rmap.c, mm/memory.c, kernel/fork.c and mm/mmap.c's
// dup_mmap(), mm/mprotect.c and mm/madvise.c in the v6.18 model: see
// helpers_test.go.

import (
	"testing"

	"anoncheck/state"
	"anoncheck/transitions"
	v6 "anoncheck/transitions/v6"
)

// TestV618Table checks the table's shape: the 5.x mm/mmap.c entries 6.18
// no longer has are nil (nothing can call them), the mm/vma.c ones are
// filled, and the renamed functions carry their 6.18 names.
func TestV618Table(t *testing.T) {
	f := v6.V618()
	if f.VMAMerge != nil || f.VMAAdjust != nil || f.DoMunmap != nil || f.IsMergeableAnonVMA != nil ||
		f.IsMergeableVMA != nil || f.CanVMAMergeBefore != nil || f.CanVMAMergeAfter != nil {
		t.Error("a 5.x mm/mmap.c entry is filled")
	}
	if f.VMAMergeNewRange == nil || f.VMAMergeExistingRange == nil || f.DupAnonVMA == nil || f.CommitMerge == nil ||
		f.DoVMIMunmap == nil || f.MmapRegionInner == nil || f.WPCanReuseAnonFolio == nil || f.MadviseUpdateVMA == nil {
		t.Error("an mm/vma.c entry is nil")
	}
	for fn, name := range map[transitions.Fn]string{
		transitions.FnPageAddNewAnonRmap: "folio_add_new_anon_rmap",
		transitions.FnPageMoveAnonRmap:   "folio_move_anon_rmap",
		transitions.FnMadvise:            "madvise_walk_vmas",
	} {
		if f.Names[fn] != name {
			t.Errorf("%s is named %q, want %q", fn, f.Names[fn], name)
		}
	}
}

// ---------------------------------------------------------------------------
// __anon_vma_prepare, find_mergeable_anon_vma, folio_add_new_anon_rmap
// (mm/rmap.c, mm/vma.c), from do_anonymous_page (mm/memory.c)

// TestFolioAddNewAnonRmapOnWriteFault covers the first write fault in a
// VMA: vmf_anon_prepare() -> __anon_vma_prepare(): find_mergeable_anon_vma()
// finds nothing, anon_vma_alloc() (num_children 1 for the self-parent link
// of a new root), the VMA linked (num_active_vmas 1); then
// folio_add_new_anon_rmap(RMAP_EXCLUSIVE): mapping = vma->anon_vma, index =
// linear_page_index(), mapcount 1, PageAnonExclusive; the PTE is writable.
// A second fault finds vma->anon_vma set and prepares nothing.
//
//	0123
//	.AA.    A: rw (pgoff 1); written at 2, then at 1
func TestFolioAddNewAnonRmapOnWriteFault(t *testing.T) {
	e := newEnv(t, 4, 1)
	e.Mmap(0, 1, 3, pRW)
	a := e.VMAAt(0, 1)

	e.Write(0, 2)
	e.WantCalled("handle_mm_fault", "do_anonymous_page", "__anon_vma_prepare", "find_mergeable_anon_vma",
		"anon_vma_alloc", "folio_add_new_anon_rmap")
	av := e.AVAt(0, 2)
	e.WantChain(a, av, av)
	e.WantAV(av, avWant{Root: av, Parent: av, Ref: 1, Children: 1, Active: 1, Tree: []state.VMAID{a}})
	pg := e.WantPTE(0, 2, true)
	e.WantPage(pg, av, 2, 1)
	if e.S.Page(pg).Flags&state.PageAnonExclusive == 0 {
		t.Error("a new anonymous folio is not PageAnonExclusive")
	}

	e.Write(0, 1)
	if e.Called("__anon_vma_prepare") {
		t.Error("the second fault prepared an anon_vma again")
	}
	e.WantPage(e.WantPTE(0, 1, true), av, 1, 1)
}

// TestFindMergeableAnonVMA covers find_mergeable_anon_vma()'s walk of the
// tree: the VMA at vma->vm_end first, then, after the step back that must
// land on vma (VM_BUG_ON_VMA), the VMA before it. A neighbour whose flags
// differ only in VM_EXEC is anon_vma_compatible() and, with a singular
// chain, gives its anon_vma (reusable_anon_vma()): no anon_vma_alloc().
//
//	012
//	AB.    prev: A rw written at 0 (av1); B rwx; write 1
//	AB.    next: B rw written at 1 (av1); A rwx; write 0
func TestFindMergeableAnonVMA(t *testing.T) {
	for _, c := range []struct {
		name                  string
		first, second         int // page slots of the VMA written first and second
		firstProt, secondProt transitions.Prot
	}{
		{"prev", 0, 1, pRW, pRWX},
		{"next", 1, 0, pRW, pRWX},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, 3, 1)
			e.Mmap(0, c.first, c.first+1, c.firstProt)
			e.Write(0, c.first)
			e.Mmap(0, c.second, c.second+1, c.secondProt)
			e.WantLayout(0, "AB.")
			av := e.AVAt(0, c.first)

			e.Write(0, c.second)
			e.WantCalled("find_mergeable_anon_vma")
			if e.Called("anon_vma_alloc") {
				t.Error("a new anon_vma was allocated; the neighbour's should be shared")
			}
			v1, v2 := e.VMAAt(0, c.first), e.VMAAt(0, c.second)
			e.WantChain(v2, av, av)
			e.WantAV(av, avWant{Root: av, Parent: av, Ref: 1, Children: 1, Active: 2, Tree: []state.VMAID{v1, v2}})
			e.WantPage(e.WantPTE(0, c.second, true), av, c.second, 1)
		})
	}
}

// ---------------------------------------------------------------------------
// dup_mmap (mm/mmap.c), anon_vma_fork, anon_vma_clone (mm/rmap.c),
// copy_page_range, copy_present_ptes (mm/memory.c)

// TestAnonVMAForkCopyPresentPTEs covers fork of a faulted VMA:
// anon_vma_fork() links the child's VMA to av1 (anon_vma_clone(); av1 has
// an active VMA, so it is not reused), then gives it av2 (num_active_vmas
// 1; root av1, pinned by get_anon_vma(): refcount 2; av1's num_children
// 2); copy_present_ptes() dups the rmap (folio_try_dup_anon_rmap_pte():
// PageAnonExclusive cleared, mapcount 2) and write-protects both PTEs.
//
//	01
//	A.     P1: rw, written at 0; fork
func TestAnonVMAForkCopyPresentPTEs(t *testing.T) {
	e := newEnv(t, 2, 2)
	e.Mmap(0, 0, 1, pRW)
	e.Write(0, 0)
	a, av1 := e.VMAAt(0, 0), e.AVAt(0, 0)

	c := e.Fork(0)
	e.WantCalled("fork", "dup_mmap", "anon_vma_fork", "anon_vma_clone", "anon_vma_alloc", "copy_page_range")
	ca := e.VMAAt(c, 0)
	av2 := e.AVAt(c, 0)
	e.WantChain(ca, av2, av2, av1)
	e.WantChain(a, av1, av1)
	e.WantAV(av1, avWant{Root: av1, Parent: av1, Ref: 2, Children: 2, Active: 1, Tree: []state.VMAID{a, ca}})
	e.WantAV(av2, avWant{Root: av1, Parent: av1, Ref: 1, Children: 0, Active: 1, Tree: []state.VMAID{ca}})
	pg := e.WantPTE(0, 0, false)
	if e.WantPTE(c, 0, false) != pg {
		t.Error("the child maps another page")
	}
	e.WantPage(pg, av1, 0, 2)
	if e.S.Page(pg).Flags&state.PageAnonExclusive != 0 {
		t.Error("the shared page is still PageAnonExclusive")
	}
}

// TestAnonVMACloneReusesAbandonedAnonVMA covers anon_vma_clone()'s reuse
// test (2555283eb40d, unchanged in v6.18): an anon_vma on the parent VMA's
// chain that no VMA uses any more and that has fewer than two children is
// taken as the child's anon_vma instead of a new one. Here P2's av2, left
// with one child (P3's av3) when P2 exits, becomes P4's; av1, the root,
// has two children (itself and av2) and is not reused.
//
//	01
//	A.     P1: rw, written at 0; fork (P2); P1 exits; P2 forks (P3); P2 exits; P3 forks (P4)
func TestAnonVMACloneReusesAbandonedAnonVMA(t *testing.T) {
	e := newEnv(t, 2, 2)
	e.Mmap(0, 0, 1, pRW)
	e.Write(0, 0)
	av1 := e.AVAt(0, 0)
	p2 := e.Fork(0)
	av2 := e.AVAt(p2, 0)
	e.Exit(0)
	p3 := e.Fork(p2)
	av3 := e.AVAt(p3, 0)
	e.Exit(p2)
	e.WantAV(av2, avWant{Root: av1, Parent: av1, Ref: 1, Children: 1, Active: 0, Tree: []state.VMAID{e.VMAAt(p3, 0)}})

	p4 := e.Fork(p3)
	if e.Called("anon_vma_alloc") {
		t.Error("a new anon_vma was allocated; av2 should be reused")
	}
	v3, v4 := e.VMAAt(p3, 0), e.VMAAt(p4, 0)
	e.WantChain(v4, av2, av3, av2, av1)
	e.WantChain(v3, av3, av3, av2, av1)
	both := []state.VMAID{v3, v4}
	e.WantAV(av1, avWant{Root: av1, Parent: av1, Ref: 3, Children: 2, Active: 0, Tree: both})
	e.WantAV(av2, avWant{Root: av1, Parent: av1, Ref: 1, Children: 1, Active: 1, Tree: both})
	e.WantAV(av3, avWant{Root: av1, Parent: av2, Ref: 1, Children: 0, Active: 1, Tree: both})
	e.WantPage(e.WantPTE(p4, 0, false), av1, 0, 2)
}

// TestDupMmapDontCopyWipeOnFork covers dup_mmap()'s two exceptions: a
// VM_DONTCOPY VMA is not copied at all, and a VM_WIPEONFORK one is copied
// with no anon_vma (no anon_vma_prepare() since v5.7) and no PTEs.
//
//	012
//	ABC    P1: rw, written at 0, 1, 2; A DONTFORK, C WIPEONFORK; fork
//	.AB    P2
func TestDupMmapDontCopyWipeOnFork(t *testing.T) {
	e := newEnv(t, 3, 2)
	e.Mmap(0, 0, 3, pRW)
	for a := 0; a < 3; a++ {
		e.Write(0, a)
	}
	av1 := e.AVAt(0, 0)
	e.Madvise(0, 0, 1, transitions.MadvDontFork)
	e.Madvise(0, 2, 3, transitions.MadvWipeOnFork)
	e.WantLayout(0, "ABC")

	c := e.Fork(0)
	e.WantLayout(c, ".AB")
	b, w := e.VMAAt(c, 1), e.VMAAt(c, 2)
	av2 := e.AVAt(c, 1)
	e.WantChain(b, av2, av2, av1)
	e.WantVMA(w, 2, 3, 2, fRW|state.VMWipeOnFork)
	e.WantChain(w, state.NoAV)
	e.WantNoPTE(c, 0)
	e.WantNoPTE(c, 2)
	e.WantPage(e.WantPTE(c, 1, false), av1, 1, 2)
	e.WantPage(e.WantPTE(0, 2, true), av1, 2, 1)
	if n := e.S.MMs[c].MapCount; n != 2 {
		t.Errorf("child map_count %d, want 2", n)
	}
}

// ---------------------------------------------------------------------------
// do_wp_page, wp_can_reuse_anon_folio, wp_page_copy (mm/memory.c),
// folio_move_anon_rmap (mm/rmap.c)

// TestDoWPPageCopyThenReuse covers both outcomes of do_wp_page() on a page
// shared after fork. The child's write: the page is not exclusive and
// wp_can_reuse_anon_folio() sees two references, so wp_page_copy() gives
// the child a new exclusive folio in av2 (folio_add_new_anon_rmap()) and
// drops the old one's mapping. The parent's write: now it holds the only
// reference, so wp_can_reuse_anon_folio() moves the folio to its
// anon_vma (folio_move_anon_rmap(): av1 already), do_wp_page() sets
// PageAnonExclusive, wp_page_reuse() makes the PTE writable.
//
//	01
//	A.     P1: rw, written at 0; fork; P2 writes 0; P1 writes 0
func TestDoWPPageCopyThenReuse(t *testing.T) {
	e := newEnv(t, 2, 2)
	e.Mmap(0, 0, 1, pRW)
	e.Write(0, 0)
	av1 := e.AVAt(0, 0)
	c := e.Fork(0)
	av2 := e.AVAt(c, 0)
	pg := e.WantPTE(0, 0, false)

	e.Write(c, 0)
	e.WantCalled("do_wp_page", "wp_can_reuse_anon_folio", "wp_page_copy", "folio_add_new_anon_rmap")
	npg := e.WantPTE(c, 0, true)
	if npg == pg {
		t.Fatal("the child reused the shared page")
	}
	e.WantPage(npg, av2, 0, 1)
	e.WantPage(pg, av1, 0, 1)
	if e.S.Page(npg).Flags&state.PageAnonExclusive == 0 {
		t.Error("the child's copy is not PageAnonExclusive")
	}

	e.Write(0, 0)
	e.WantCalled("do_wp_page", "wp_can_reuse_anon_folio", "folio_move_anon_rmap")
	if e.Called("wp_page_copy") {
		t.Error("the parent copied a page it holds the only reference to")
	}
	if e.WantPTE(0, 0, true) != pg {
		t.Error("the parent's write did not reuse its page")
	}
	e.WantPage(pg, av1, 0, 1)
	if e.S.Page(pg).Flags&state.PageAnonExclusive == 0 {
		t.Error("the reused page is not PageAnonExclusive")
	}
}

// TestWPCanReuseAnonFolioMovesToChild covers folio_move_anon_rmap()
// actually moving a folio: after the parent exits, the child holds the
// only reference to the page the parent faulted in (mapping av1); its
// write reuses the page and moves it to av2, the child's own anon_vma, so
// rmap no longer searches av1's tree for it.
//
//	01
//	A.     P1: rw, written at 0; fork; P1 exits; P2 writes 0
func TestWPCanReuseAnonFolioMovesToChild(t *testing.T) {
	e := newEnv(t, 2, 2)
	e.Mmap(0, 0, 1, pRW)
	e.Write(0, 0)
	av1 := e.AVAt(0, 0)
	c := e.Fork(0)
	av2 := e.AVAt(c, 0)
	e.Exit(0)
	pg := e.WantPTE(c, 0, false)
	e.WantPage(pg, av1, 0, 1)

	e.Write(c, 0)
	e.WantCalled("wp_can_reuse_anon_folio", "folio_move_anon_rmap")
	if e.WantPTE(c, 0, true) != pg {
		t.Fatal("the child did not reuse the page")
	}
	e.WantPage(pg, av2, 0, 1)
	if e.S.Page(pg).Flags&state.PageAnonExclusive == 0 {
		t.Error("the reused page is not PageAnonExclusive")
	}
}

// ---------------------------------------------------------------------------
// mprotect_fixup (mm/mprotect.c)

// TestMprotectFixupUnaccountsUnfaulted covers mprotect_fixup()'s charge:
// making part of a read-only mapping writable charges it (VM_ACCOUNT),
// and making it read-only again while it has no anon_vma gives the charge
// back, so its flags equal its neighbours' and merge_both puts the three
// back together. (In v5.4 and v6.1 the middle keeps VM_ACCOUNT and stays a
// VMA of its own.)
//
//	012
//	AAA    A: r, never written
//	ABC    mprotect [1,2) rw
//	AAA    mprotect [1,2) r
func TestMprotectFixupUnaccountsUnfaulted(t *testing.T) {
	e := newEnv(t, 3, 1)
	e.Mmap(0, 0, 3, pR)
	e.Mprotect(0, 1, 2, pRW)
	e.WantLayout(0, "ABC")
	lo, mid := e.VMAAt(0, 0), e.VMAAt(0, 1)
	e.WantVMA(mid, 1, 2, 1, fRW)
	e.WantVMA(lo, 0, 1, 0, state.VMRead)

	e.Mprotect(0, 1, 2, pR)
	e.WantLayout(0, "AAA")
	e.WantVMA(lo, 0, 3, 0, state.VMRead)
	e.WantVMAGone(mid)
}

// TestMprotectFixupKeepsChargeOnceFaulted covers the other side of the
// same rule: once the VMA has an anon_vma, mprotect() to read-only keeps
// VM_ACCOUNT, so the read-only part does not merge with a read-only
// neighbour that was never charged.
//
//	012
//	A..    A: r
//	AB.    mmap [1,2) rw, written at 1
//	AB.    mprotect [1,2) r
func TestMprotectFixupKeepsChargeOnceFaulted(t *testing.T) {
	e := newEnv(t, 3, 1)
	e.Mmap(0, 0, 1, pR)
	e.Mmap(0, 1, 2, pRW)
	e.Write(0, 1)
	b := e.VMAAt(0, 1)

	e.Mprotect(0, 1, 2, pR)
	e.WantLayout(0, "AB.")
	e.WantVMA(b, 1, 2, 1, fRA)
}

// ---------------------------------------------------------------------------
// madvise_walk_vmas, madvise_vma_behavior, madvise_update_vma
// (mm/madvise.c)

// TestMadviseWalkAcrossHoles covers madvise_walk_vmas() over a range with
// holes: each VMA gets the flag (madvise_vma_behavior() ->
// madvise_update_vma()), and the holes make it return -ENOMEM.
//
//	0123
//	A.B.   A: rw; B: rw
//	A.B.   madvise [0,4) DONTFORK
func TestMadviseWalkAcrossHoles(t *testing.T) {
	e := newEnv(t, 4, 1)
	e.Mmap(0, 0, 1, pRW)
	e.Mmap(0, 2, 3, pRW)
	e.Apply(transitions.Op{Kind: transitions.OpMadvise, Start: 0, End: 4, Arg: uint8(transitions.MadvDontFork)},
		transitions.ENOMEM)
	e.WantCalled("madvise_walk_vmas", "madvise_vma_behavior", "madvise_update_vma")
	e.WantLayout(0, "A.B.")
	for _, a := range []int{0, 2} {
		e.WantVMA(e.VMAAt(0, a), a, a+1, a, fRW|state.VMDontCopy)
	}
}

// TestMadviseUpdateVMANoChange covers madvise_update_vma() when the flags
// do not change: nothing is merged or split (vma_modify_flags() is not
// called).
//
//	01
//	AA     A: rw, DONTFORK
//	AA     madvise [0,1) DONTFORK
func TestMadviseUpdateVMANoChange(t *testing.T) {
	e := newEnv(t, 2, 1)
	e.Mmap(0, 0, 2, pRW)
	e.Madvise(0, 0, 2, transitions.MadvDontFork)
	before := *e.S
	e.Madvise(0, 0, 1, transitions.MadvDontFork)
	e.WantCalled("madvise_update_vma")
	if e.Called("vma_modify_flags") || *e.S != before {
		t.Error("madvise with the flags the VMA has changed something")
	}
}
