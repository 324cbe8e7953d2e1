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
	e.mmap(0, 0, 2, pRW)
	e.write(0, 0)
	av1 := e.avAt(0, 0)
	pg := e.wantPTE(0, 0, true)
	e.wantPage(pg, av1, 0, 1)

	c := e.fork(0)
	e.wantPTE(0, 0, false)
	if got := e.wantPTE(c, 0, false); got != pg {
		t.Errorf("child PTE maps page %d, want the parent's %d", got, pg)
	}
	e.wantPage(pg, av1, 0, 2)
	e.wantNoPTE(0, 1)
	e.wantNoPTE(c, 1)
	if n := e.usedPages(); n != 1 {
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
	e.mmap(0, 0, 1, pRW)
	e.write(0, 0)
	av1 := e.avAt(0, 0)
	pg := e.wantPTE(0, 0, true)
	c := e.fork(0)
	av2 := e.avAt(c, 0)

	e.write(c, 0)
	npg := e.wantPTE(c, 0, true)
	if npg == pg {
		t.Fatalf("child's write did not copy")
	}
	e.wantPage(npg, av2, 0, 1)
	e.wantPage(pg, av1, 0, 1)
	e.wantPTE(0, 0, false)

	e.write(0, 0)
	if got := e.wantPTE(0, 0, true); got != pg {
		t.Errorf("parent's write mapped page %d, want its page %d reused", got, pg)
	}
	e.wantPage(pg, av1, 0, 1)
	if n := e.usedPages(); n != 2 {
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
	e.mmap(0, 0, 1, pRW)
	e.write(0, 0)
	av1 := e.avAt(0, 0)
	pg := e.wantPTE(0, 0, true)
	c := e.fork(0)
	av2 := e.avAt(c, 0)

	e.write(0, 0)
	npg := e.wantPTE(0, 0, true)
	if npg == pg {
		t.Fatalf("parent's write did not copy")
	}
	e.wantPage(npg, av1, 0, 1)
	e.wantPage(pg, av1, 0, 1)

	e.write(c, 0)
	if got := e.wantPTE(c, 0, true); got != pg {
		t.Errorf("child's write mapped page %d, want page %d reused", got, pg)
	}
	e.wantPage(pg, av2, 0, 1)
	if n := e.usedPages(); n != 2 {
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
	e.mmap(0, 0, 2, pRW)
	e.write(0, 0)
	a := e.vmaAt(0, 0)
	av := e.avAt(0, 0)
	pg := e.wantPTE(0, 0, true)

	e.mprotect(0, 0, 2, pR)
	e.wantLayout(0, "AA")
	e.wantVMA(a, 0, 2, 0, fRA)
	e.wantPTE(0, 0, false)
	e.apply(transitions.Op{Kind: transitions.OpWrite, Proc: 0, Start: 0}, transitions.EFAULT)

	e.mprotect(0, 0, 2, pRW)
	e.wantVMA(a, 0, 2, 0, fRW)
	e.wantPTE(0, 0, false)

	e.write(0, 0)
	if got := e.wantPTE(0, 0, true); got != pg {
		t.Errorf("write mapped page %d, want page %d reused", got, pg)
	}
	e.wantPage(pg, av, 0, 1)
	if n := e.usedPages(); n != 1 {
		t.Errorf("%d pages in use, want 1", n)
	}
	e.wantAV(av, avWant{root: av, parent: av, ref: 1, degree: 2, tree: []state.VMAID{a}})
}

// TestMprotectAddsAccount checks that mprotect(PROT_WRITE) of a VMA that
// was never writable charges it (VM_ACCOUNT), so it can no longer merge
// with an uncharged neighbour.
//
//	01
//	AB    A: r; mprotect [1,2) rw
func TestMprotectAddsAccount(t *testing.T) {
	e := newEnv(t, 2, 1)
	e.mmap(0, 0, 2, pR)
	e.wantVMA(e.vmaAt(0, 0), 0, 2, 0, state.VMRead)
	e.mprotect(0, 1, 2, pRW)
	e.wantLayout(0, "AB")
	e.wantVMA(e.vmaAt(0, 0), 0, 1, 0, state.VMRead)
	e.wantVMA(e.vmaAt(0, 1), 1, 2, 1, fRW)
	// Back to r: the charge stays, so the two still differ.
	e.mprotect(0, 1, 2, pR)
	e.wantLayout(0, "AB")
	e.wantVMA(e.vmaAt(0, 1), 1, 2, 1, fRA)
}
