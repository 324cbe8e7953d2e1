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
