package scenariotest

import (
	"anoncheck/state"
	"anoncheck/transitions"
)

// The MADV_DONTNEED scenarios are the same in every generation (Linux
// v5.4 mm/madvise.c madvise_dontneed_free() -> madvise_dontneed_single_vma()
// -> mm/memory.c zap_page_range() -> unmap_single_vma() -> zap_pte_range()
// -> page_remove_rmap(); v6.18 the same down to
// zap_page_range_single_batched() and folio_remove_rmap_ptes()); only the
// name of the zap function differs, which each generation's test passes.
// The expected values follow from that code: the PTEs of the range go,
// a page nothing maps any more is freed, and the VMA, its anon_vma and
// its anon_vma_chain are left as they were.

// DontNeed performs madvise(MADV_DONTNEED) of [start, end) in process p
// and requires the return value.
func (e *Env) DontNeed(p, start, end, wantErrno int) {
	e.T.Helper()
	e.Apply(transitions.Op{Kind: transitions.OpMadvise, Proc: uint8(p), Start: uint8(start), End: uint8(end),
		Arg: uint8(transitions.MadvDontNeed)}, wantErrno)
}

// ScenarioDontNeedKeepsAnonVMA: the pages of the range go, the VMA keeps
// its anon_vma and chain, and a later write faults a new page into that
// anon_vma without __anon_vma_prepare().
//
//	012
//	AAA    A: rw, written at 0..2; madvise [1,3) MADV_DONTNEED; write 1
func ScenarioDontNeedKeepsAnonVMA(e *Env, zap string) {
	e.T.Helper()
	e.Mmap(0, 0, 3, PRW)
	for a := 0; a < 3; a++ {
		e.Write(0, a)
	}
	a := e.VMAAt(0, 0)
	av := e.AVAt(0, 0)
	kept := e.WantPTE(0, 0, true)
	e.DontNeed(0, 1, 3, 0)
	e.WantCalled("madvise_dontneed_free", "madvise_dontneed_single_vma", zap)
	e.WantLayout(0, "AAA")
	e.WantVMA(a, 0, 3, 0, FRW)
	e.WantChain(a, av, av)
	e.WantNoPTE(0, 1)
	e.WantNoPTE(0, 2)
	e.WantPage(kept, av, 0, 1)
	if n := e.UsedPages(); n != 1 {
		e.T.Errorf("%d pages in use after MADV_DONTNEED, want 1", n)
	}
	e.Write(0, 1)
	if e.Called("__anon_vma_prepare") {
		e.T.Errorf("the write after MADV_DONTNEED called __anon_vma_prepare(); the VMA still has its anon_vma")
	}
	e.WantPage(e.WantPTE(0, 1, true), av, 1, 1)
}

// ScenarioDontNeedSharedPage: after fork, MADV_DONTNEED in the parent
// drops only the parent's mapping of the shared page (mapcount 2 -> 1);
// the child's write then reuses the page (do_wp_page(): mapped once) and
// moves it to the child's anon_vma; the parent's write faults a new page
// into its own.
//
//	0
//	A      P1: A rw, written; fork; P1 madvise [0,1) MADV_DONTNEED; P2 writes 0; P1 writes 0
func ScenarioDontNeedSharedPage(e *Env, zap string) {
	e.T.Helper()
	e.Mmap(0, 0, 1, PRW)
	e.Write(0, 0)
	av1 := e.AVAt(0, 0)
	pg := e.WantPTE(0, 0, true)
	c := e.Fork(0)
	av2 := e.AVAt(c, 0)
	e.DontNeed(0, 0, 1, 0)
	e.WantCalled(zap)
	e.WantNoPTE(0, 0)
	e.WantPage(e.WantPTE(c, 0, false), av1, 0, 1)
	e.WantChain(e.VMAAt(0, 0), av1, av1)
	e.WantChain(e.VMAAt(c, 0), av2, av2, av1)
	e.Write(c, 0)
	if got := e.WantPTE(c, 0, true); got != pg {
		e.T.Errorf("child's write mapped page %d, want page %d reused", got, pg)
	}
	e.WantPage(pg, av2, 0, 1)
	e.Write(0, 0)
	e.WantPage(e.WantPTE(0, 0, true), av1, 0, 1)
}

// ScenarioDontNeedHole: the madvise walk zaps every mapped piece, one VMA
// at a time, and returns -ENOMEM for the hole.
//
//	0123
//	A.B.   A, B: rw, written; madvise [0,4) MADV_DONTNEED = -ENOMEM
func ScenarioDontNeedHole(e *Env) {
	e.T.Helper()
	e.Mmap(0, 0, 1, PRW)
	e.Mmap(0, 2, 3, PRW)
	e.Write(0, 0)
	e.Write(0, 2)
	avA, avB := e.AVAt(0, 0), e.AVAt(0, 2)
	e.DontNeed(0, 0, 4, transitions.ENOMEM)
	e.WantNoPTE(0, 0)
	e.WantNoPTE(0, 2)
	if n := e.UsedPages(); n != 0 {
		e.T.Errorf("%d pages in use, want 0", n)
	}
	e.WantChain(e.VMAAt(0, 0), avA, avA)
	e.WantChain(e.VMAAt(0, 2), avB, avB)
	for _, av := range []state.AVID{avA, avB} {
		if e.S.AV(av).Status != state.AVLive {
			e.T.Errorf("%s freed by MADV_DONTNEED", av.Name())
		}
	}
}

// Mremap performs mremap() of [start, end) of process p to [to, toEnd)
// with the given flags and requires the return value (0 for success).
func (e *Env) Mremap(p, start, end, to, toEnd int, fl transitions.MremapFlags, wantErrno int) {
	e.T.Helper()
	e.moved = true
	e.Apply(transitions.Op{Kind: transitions.OpMremap, Proc: uint8(p), Start: uint8(start), End: uint8(end),
		To: uint8(to), ToEnd: uint8(toEnd), Arg: uint8(fl)}, wantErrno)
}

// The mremap scenarios that v5.4 and v6.18 share: the same layouts,
// page offsets, anon_vmas and PTEs come out of v5.4's mremap_to() ->
// move_vma() -> copy_vma() (vma_merge()) -> move_page_tables() ->
// do_munmap() and of v6.18's remap_move() -> mremap_to() -> move_vma() ->
// copy_vma() (vma_merge_new_range()) -> move_page_tables() ->
// unmap_source_vma(). entry is the name of the system call's body:
// "mremap" in v5.4, "do_mremap" in v6.18.

// ScenarioMoveVMA: a move to a free range: mremap_to() -> move_vma()
// (reached through remap_move() in v6.18): copy_vma() cannot merge (A's page offset 0 does not
// follow on from where A ends), so a new VMA B, a vm_area_dup() of A with
// A's anon_vma and, by anon_vma_clone(), A's chain; move_page_tables()
// moves both PTEs, writable, without touching the pages; A is unmapped
// (do_munmap(); unmap_source_vma() in v6.18). B keeps page offset 0, so rmap finds each page,
// still of av1 at index 0 and 1, at 2 and 3.
//
//	0123
//	AA..    A: rw, written at 0 and 1; mremap [0,2) -> [2,4) MAYMOVE|FIXED
//	..BB
func ScenarioMoveVMA(e *Env, entry string) {
	e.T.Helper()
	e.Mmap(0, 0, 2, PRW)
	e.Write(0, 0)
	e.Write(0, 1)
	a, av := e.VMAAt(0, 0), e.AVAt(0, 0)
	p0, p1 := e.WantPTE(0, 0, true), e.WantPTE(0, 1, true)
	e.Mremap(0, 0, 2, 2, 4, transitions.MremapMove, 0)
	e.WantCalled(entry, "mremap_to", "move_vma", "copy_vma", "anon_vma_clone", "move_page_tables", "unlink_anon_vmas")
	e.WantLayout(0, "..AA")
	e.WantVMAGone(a)
	b := e.VMAAt(0, 2)
	e.WantVMA(b, 2, 4, 0, FRW)
	e.WantChain(b, av, av)
	e.WantNoPTE(0, 0)
	e.WantNoPTE(0, 1)
	if got := e.WantPTE(0, 2, true); got != p0 {
		e.T.Errorf("PTE at 2 maps page %d, want page %d moved from 0", got, p0)
	}
	if got := e.WantPTE(0, 3, true); got != p1 {
		e.T.Errorf("PTE at 3 maps page %d, want page %d moved from 1", got, p1)
	}
	e.WantPage(p0, av, 0, 1)
	e.WantPage(p1, av, 1, 1)
}

// ScenarioMremapToShrinkAndGrow: mremap_to() with a new length: a
// shrinking move unmaps the tail first (shrink_vma(), page 1 freed) and
// moves the rest; a growing move makes the copy new_len long and moves
// old_len of PTEs; a write to the grown part faults a page of the same
// anon_vma at the linear index.
//
//	012345
//	AA....  A: rw, written at 0 and 1; mremap [0,2) -> [3,4) MAYMOVE|FIXED
//	...B..  mremap [3,4) -> [4,6) MAYMOVE|FIXED; write 5
//	....CC
func ScenarioMremapToShrinkAndGrow(e *Env, entry string) {
	e.T.Helper()
	e.Mmap(0, 0, 2, PRW)
	e.Write(0, 0)
	e.Write(0, 1)
	av := e.AVAt(0, 0)
	p0 := e.WantPTE(0, 0, true)
	e.Mremap(0, 0, 2, 3, 4, transitions.MremapMove, 0)
	e.WantCalled("mremap_to", "move_vma")
	e.WantLayout(0, "...A..")
	e.WantVMA(e.VMAAt(0, 3), 3, 4, 0, FRW)
	if n := e.UsedPages(); n != 1 {
		e.T.Errorf("%d pages in use, want 1 (page 1 unmapped by the shrink)", n)
	}
	e.WantPage(e.WantPTE(0, 3, true), av, 0, 1)
	e.Mremap(0, 3, 4, 4, 6, transitions.MremapMove, 0)
	e.WantLayout(0, "....AA")
	c := e.VMAAt(0, 4)
	e.WantVMA(c, 4, 6, 0, FRW)
	e.WantChain(c, av, av)
	if got := e.WantPTE(0, 4, true); got != p0 {
		e.T.Errorf("PTE at 4 maps page %d, want page %d", got, p0)
	}
	e.WantNoPTE(0, 5)
	e.Write(0, 5)
	e.WantPage(e.WantPTE(0, 5, true), av, 1, 1)
}

// ScenarioCopyVMAMergesUnfaultedSource: copy_vma()'s merge with the
// source itself: A has no anon_vma, so the copy's page offset becomes the
// new address's (1), and vma_merge_new_range() lets A (prev) take [1,2);
// the source is then A, and unmapping [0,1) leaves [1,2) with page offset
// 1 and VM_ACCOUNT, hidden from the munmap and given back by move_vma()
// (unmap_source_vma() in v6.18).
//
//	012
//	A..     A: rw, never written; mremap [0,1) -> [1,2) MAYMOVE|FIXED
//	.A.
func ScenarioCopyVMAMergesUnfaultedSource(e *Env, entry string) {
	e.T.Helper()
	e.Mmap(0, 0, 1, PRW)
	e.Mremap(0, 0, 1, 1, 2, transitions.MremapMove, 0)
	e.WantCalled(entry, "copy_vma") // and the generation's merge, which the caller checks
	e.WantLayout(0, ".A.")
	e.WantVMA(e.VMAAt(0, 1), 1, 2, 1, FRW)
}

// ScenarioDontUnmap: MREMAP_DONTUNMAP (v6.18 dontunmap_complete(), v6.1
// move_vma()): the PTE moves to the new VMA B, A stays mapped
// and empty, and since all of A was copied to another VMA,
// unlink_anon_vmas() drops A's links and anon_vma; A's next write
// prepares a new anon_vma (B is not adjacent to share with).
//
//	0123
//	A...    A: rw, written at 0; mremap [0,1) -> [2,3) MAYMOVE|FIXED|DONTUNMAP
//	A.B.    write 0
func ScenarioDontUnmap(e *Env, entry string) {
	e.T.Helper()
	e.Mmap(0, 0, 1, PRW)
	e.Write(0, 0)
	a, av := e.VMAAt(0, 0), e.AVAt(0, 0)
	pg := e.WantPTE(0, 0, true)
	e.Mremap(0, 0, 1, 2, 3, transitions.MremapMoveKeep, 0)
	e.WantCalled(entry, "mremap_to", "move_vma", "move_page_tables", "unlink_anon_vmas")
	e.WantLayout(0, "A.B.")
	e.WantVMA(a, 0, 1, 0, FRW)
	e.WantChain(a, state.NoAV)
	e.WantNoPTE(0, 0)
	b := e.VMAAt(0, 2)
	e.WantVMA(b, 2, 3, 0, FRW)
	e.WantChain(b, av, av)
	if got := e.WantPTE(0, 2, true); got != pg {
		e.T.Errorf("PTE at 2 maps page %d, want page %d", got, pg)
	}
	e.WantPage(pg, av, 0, 1)
	e.Write(0, 0)
	if got := e.AVAt(0, 0); got == av || got == state.NoAV {
		e.T.Errorf("A's write after MREMAP_DONTUNMAP: anon_vma %s, want a new one", got.Name())
	}
}

// The mremap unwinds that v5.4 and v6.18 share, with --fail-alloc
// (Env.Fail): copy_vma() failing, and the munmap of the old range failing
// after the move.

// ScenarioFailCopyVMA: a move whose copy_vma() (mm/mmap.c in v5.4,
// mm/vma.c:1807 in v6.18) cannot make the new VMA: vm_area_dup() failing
// (allocation 1) returns NULL at once (out), anon_vma_clone() failing
// (allocation 2, after vm_area_dup()) unlinks the copy again and frees it
// (out_free_mempol, out_free_vma); with maple (v6.1, v6.18), vma_link()'s
// mas_preallocate() failing (allocation 3) unlinks the copy's anon_vma
// links (out_vma_link) and frees it. move_vma() returns -ENOMEM before
// moving a PTE. Nothing changed. allocs is what the whole move makes (the
// munmap of the old range adds v6.18's detached-tree store).
//
//	0123
//	AA..    A: rw, written at 0 and 1; mremap [0,2) -> [2,4) MAYMOVE|FIXED fails
func ScenarioFailCopyVMA(e *Env, entry string, maple bool, allocs int) {
	e.T.Helper()
	e.Mmap(0, 0, 2, PRW)
	e.Write(0, 0)
	e.Write(0, 1)
	op := MremapOp(0, 0, 2, 2, 4, transitions.MremapMove)
	if n := e.Allocations(op); n != allocs {
		e.T.Fatalf("the move makes %d allocations, want %d (vm_area_dup, the clone's AVC, with maple the copy's maple nodes, ...)", n, allocs)
	}
	before := *e.S
	e.Fail(op, 1, transitions.AllocVMADup, transitions.ENOMEM)
	e.WantCalled(entry, "copy_vma")
	e.WantUnchanged(before, "a move whose vm_area_dup() failed")
	*e.S = before
	e.Fail(op, 2, transitions.AllocAnonVMAChain, transitions.ENOMEM)
	e.WantCalled("anon_vma_clone", "unlink_anon_vmas")
	e.WantUnchanged(before, "a move whose anon_vma_clone() failed")
	if maple {
		*e.S = before
		e.Fail(op, 3, transitions.AllocMapleNodes, transitions.ENOMEM)
		e.WantCalled("anon_vma_clone", "unlink_anon_vmas")
		e.WantUnchanged(before, "a move whose vma_link() failed")
	}
}

// ScenarioFailMoveVMAUnmap: a move from the middle of A whose copy and
// page-table move succeed, then the munmap of the old range fails at its
// first split (vm_area_dup(): allocation split, 3, or 4 after vma_link()'s
// maple nodes): "OOM: unable to split vma,
// just get accounts right" (move_vma() in v5.4, unmap_source_vma() in
// v6.18). The call still succeeds: the page is at its new address, the old
// range stays mapped, empty, and A keeps VM_ACCOUNT cleared (the flag was
// hidden from the munmap and is given back only when it succeeds).
//
//	0123
//	AAA.    A: rw, written at 1; mremap [1,2) -> [3,4) MAYMOVE|FIXED
//	AAAB    B: the copy, with the page; A's split fails
func ScenarioFailMoveVMAUnmap(e *Env, entry string, split int) {
	e.T.Helper()
	e.Mmap(0, 0, 3, PRW)
	e.Write(0, 1)
	a, av := e.VMAAt(0, 0), e.AVAt(0, 1)
	pg := e.WantPTE(0, 1, true)
	e.Fail(MremapOp(0, 1, 2, 3, 4, transitions.MremapMove), split, transitions.AllocVMADup, 0)
	e.WantCalled(entry, "copy_vma", "move_page_tables")
	e.WantLayout(0, "AAAB")
	e.WantVMA(a, 0, 3, 0, state.VMRead|state.VMWrite)
	e.WantNoPTE(0, 1)
	if got := e.WantPTE(0, 3, true); got != pg {
		e.T.Errorf("PTE at 3 maps page %d, want page %d moved from 1", got, pg)
	}
	b := e.VMAAt(0, 3)
	e.WantVMA(b, 3, 4, 1, FRW)
	e.WantChain(b, av, av)
	e.WantPage(pg, av, 1, 1)
}
