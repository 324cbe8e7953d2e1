package v5_test

// Scenario tests of the v5.4 model: see rmap_scenario_test.go.

import (
	"anoncheck/state"
	"anoncheck/transitions"
	"testing"
)

// ---------------------------------------------------------------------------
// copy_page_range / copy_one_pte (mm/memory.c), section 4.10

// TestCopyPageRange checks that, for a parent VMA with an anon_vma, each
// present PTE is write-protected in the parent and copied read-only to the
// child; page_dup_rmap() makes the mapcount 2; page->mapping and ->index do
// not change (the child reaches the page through av1 on its chain). No page
// is allocated; absent PTEs stay absent.
//
//	01
//	AA    A: rw, written at 0 only; fork
func TestCopyPageRange(t *testing.T) {
	e := newEnv(t, 2, 2)
	e.Mmap(0, 0, 2, pRW)
	e.Write(0, 0)
	av1 := e.AVAt(0, 0)
	pg := e.WantPTE(0, 0, true)
	e.WantPage(pg, av1, 0, 1)

	c := e.Fork(0)
	e.WantPTE(0, 0, false)
	if got := e.WantPTE(c, 0, false); got != pg {
		t.Errorf("child PTE maps page %d, want the parent's %d", got, pg)
	}
	e.WantPage(pg, av1, 0, 2)
	e.WantNoPTE(0, 1)
	e.WantNoPTE(c, 1)
	if n := e.UsedPages(); n != 1 {
		t.Errorf("%d pages in use, want 1", n)
	}
}

// ---------------------------------------------------------------------------
// do_wp_page / wp_page_copy / wp_page_reuse / page_move_anon_rmap
// (mm/memory.c, mm/rmap.c), section 4.16

// TestDoWPPageChildCopiesParentReuses covers a fork after which the child
// writes first: mapcount 2, so wp_page_copy(): a new page,
// page_add_new_anon_rmap() into the child VMA's own av2, writable; the old
// page drops to mapcount 1 and stays in av1. Then the parent writes:
// reuse_swap_page() sees mapcount 1, page_move_anon_rmap() puts the page in
// the parent VMA's anon_vma (av1, where it already was) and wp_page_reuse()
// makes the PTE writable; no page is allocated.
//
//	0
//	A     A: rw, written; fork; child writes 0; parent writes 0
func TestDoWPPageChildCopiesParentReuses(t *testing.T) {
	e := newEnv(t, 1, 2)
	e.Mmap(0, 0, 1, pRW)
	e.Write(0, 0)
	av1 := e.AVAt(0, 0)
	pg := e.WantPTE(0, 0, true)
	c := e.Fork(0)
	av2 := e.AVAt(c, 0)

	e.Write(c, 0)
	npg := e.WantPTE(c, 0, true)
	if npg == pg {
		t.Fatalf("child's write did not copy")
	}
	e.WantPage(npg, av2, 0, 1)
	e.WantPage(pg, av1, 0, 1)
	e.WantPTE(0, 0, false)

	e.Write(0, 0)
	if got := e.WantPTE(0, 0, true); got != pg {
		t.Errorf("parent's write mapped page %d, want its page %d reused", got, pg)
	}
	e.WantPage(pg, av1, 0, 1)
	if n := e.UsedPages(); n != 2 {
		t.Errorf("%d pages in use, want 2", n)
	}
}

// TestDoWPPageReuseMovesAnonRmap covers the other order, which shows
// page_move_anon_rmap() moving a page: the parent writes first and copies
// (its new page goes to av1, the parent VMA's anon_vma); the child's write
// then finds the old page mapped once and reuses it, moving page->mapping
// from av1 to the child VMA's av2 (index unchanged) "so the rmap code will
// not search our parent or siblings".
//
//	0
//	A     A: rw, written; fork; parent writes 0; child writes 0
func TestDoWPPageReuseMovesAnonRmap(t *testing.T) {
	e := newEnv(t, 1, 2)
	e.Mmap(0, 0, 1, pRW)
	e.Write(0, 0)
	av1 := e.AVAt(0, 0)
	pg := e.WantPTE(0, 0, true)
	c := e.Fork(0)
	av2 := e.AVAt(c, 0)

	e.Write(0, 0)
	npg := e.WantPTE(0, 0, true)
	if npg == pg {
		t.Fatalf("parent's write did not copy")
	}
	e.WantPage(npg, av1, 0, 1)
	e.WantPage(pg, av1, 0, 1)

	e.Write(c, 0)
	if got := e.WantPTE(c, 0, true); got != pg {
		t.Errorf("child's write mapped page %d, want page %d reused", got, pg)
	}
	e.WantPage(pg, av2, 0, 1)
	if n := e.UsedPages(); n != 2 {
		t.Errorf("%d pages in use, want 2", n)
	}
}

// TestDoWPPageReuseAfterMprotect checks that mprotect never makes a private
// PTE writable (change_protection() with dirty_accountable 0); a write
// while read-only is SIGSEGV; after mprotect back to rw the write fault
// goes to do_wp_page(), which reuses the page (mapcount 1): no copy, same
// anon_vma. mprotect of the whole VMA does not split it, and the second
// mprotect adds no VM_ACCOUNT (already charged).
//
//	01
//	AA    A: rw, written at 0; mprotect r; write (SIGSEGV); mprotect rw; write
func TestDoWPPageReuseAfterMprotect(t *testing.T) {
	e := newEnv(t, 2, 1)
	e.Mmap(0, 0, 2, pRW)
	e.Write(0, 0)
	a := e.VMAAt(0, 0)
	av := e.AVAt(0, 0)
	pg := e.WantPTE(0, 0, true)

	e.Mprotect(0, 0, 2, pR)
	e.WantLayout(0, "AA")
	e.WantVMA(a, 0, 2, 0, fRA)
	e.WantPTE(0, 0, false)
	e.Apply(transitions.Op{Kind: transitions.OpWrite, Proc: 0, Start: 0}, transitions.EFAULT)

	e.Mprotect(0, 0, 2, pRW)
	e.WantVMA(a, 0, 2, 0, fRW)
	e.WantPTE(0, 0, false)

	e.Write(0, 0)
	if got := e.WantPTE(0, 0, true); got != pg {
		t.Errorf("write mapped page %d, want page %d reused", got, pg)
	}
	e.WantPage(pg, av, 0, 1)
	if n := e.UsedPages(); n != 1 {
		t.Errorf("%d pages in use, want 1", n)
	}
	e.WantAV(av, avWant{Root: av, Parent: av, Ref: 1, Degree: 2, Tree: []state.VMAID{a}})
}

// TestMprotectAddsAccount checks that mprotect(PROT_WRITE) of a VMA that
// was never writable charges it (VM_ACCOUNT), so it can no longer merge
// with an uncharged neighbour.
//
//	01
//	AB    A: r; mprotect [1,2) rw
func TestMprotectAddsAccount(t *testing.T) {
	e := newEnv(t, 2, 1)
	e.Mmap(0, 0, 2, pR)
	e.WantVMA(e.VMAAt(0, 0), 0, 2, 0, state.VMRead)
	e.Mprotect(0, 1, 2, pRW)
	e.WantLayout(0, "AB")
	e.WantVMA(e.VMAAt(0, 0), 0, 1, 0, state.VMRead)
	e.WantVMA(e.VMAAt(0, 1), 1, 2, 1, fRW)
	// Back to r: the charge stays, so the two still differ.
	e.Mprotect(0, 1, 2, pR)
	e.WantLayout(0, "AB")
	e.WantVMA(e.VMAAt(0, 1), 1, 2, 1, fRA)
}
