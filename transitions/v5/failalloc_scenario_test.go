package v5_test

// Scenario tests of the v5.4 unwind paths that --fail-alloc explores: each
// makes one allocation of an anon_vma, anon_vma_chain or vm_area_struct
// fail (Env.Fail: the allocation's number in the operation, counted in
// the order the kernel code allocates, and the function that makes it)
// and checks what the v5.4 code leaves behind. The sources are those of
// docs/SOURCES.md: mm/rmap.c @ 99cb0dbd47a1 (__anon_vma_prepare,
// anon_vma_clone's enomem_failure, anon_vma_fork's out_error and
// out_error_free_anon_vma), mm/mmap.c of jashawnyu/linux-5.4 @ 3a481508d466
// (__vma_adjust, vma_merge, __split_vma, __do_munmap, mmap_region) and
// kernel/fork.c @ 0ff7b2cfbae3 (dup_mmap's fail_nomem and
// fail_nomem_anon_vma_fork, dup_mm's mmput of the partial mm). Besides
// what each test checks, Env.Fail requires that no BUG or WARN fired and
// that the invariants of scenariotest.Env.CheckInvariants hold after the
// unwind.

import (
	"testing"

	"anoncheck/state"
	"anoncheck/transitions"
	"anoncheck/transitions/scenariotest"
)

const (
	allocAV  = transitions.AllocAnonVMA
	allocAVC = transitions.AllocAnonVMAChain
	allocDup = transitions.AllocVMADup
	allocNew = transitions.AllocVMANew
)

// TestFailAnonVMAPrepare checks __anon_vma_prepare()'s two exits: the AVC
// is allocated first (allocation 1, out_enomem), then, as no neighbour has
// an anon_vma to share, the anon_vma (allocation 2, out_enomem_free_avc,
// which frees the AVC). Either way nothing changes and do_anonymous_page()
// returns VM_FAULT_OOM ("goto oom"); the fault retried later succeeds.
// With a neighbour to share, prepare allocates the AVC alone.
//
//	012
//	AA.    A: rw, written at 0 (the write fails, then succeeds)
//	AAB    B: rwx, written at 2: shares A's anon_vma (one allocation)
func TestFailAnonVMAPrepare(t *testing.T) {
	e := newEnv(t, 3, 1)
	e.Mmap(0, 0, 2, pRW)
	w := scenariotest.WriteOp(0, 0)
	if n := e.Allocations(w); n != 2 {
		t.Fatalf("the first write fault makes %d allocations, want 2 (AVC, anon_vma)", n)
	}
	for n, site := range map[int]transitions.AllocSite{1: allocAVC, 2: allocAV} {
		before := *e.S
		e.Fail(w, n, site, transitions.VMFaultOOM)
		e.WantUnchanged(before, "a failed __anon_vma_prepare()")
		e.WantNoPTE(0, 0)
		*e.S = before // the other failure from the same state
	}
	e.WantFailRefused(w, 3)
	e.Write(0, 0)
	av := e.AVAt(0, 0)
	e.WantAV(av, avWant{Root: av, Parent: av, Ref: 1, Degree: 2, Tree: []state.VMAID{e.VMAAt(0, 0)}})

	e.Mmap(0, 2, 3, pRWX)
	w2 := scenariotest.WriteOp(0, 2)
	if n := e.Allocations(w2); n != 1 {
		t.Fatalf("a write fault that shares a neighbour's anon_vma makes %d allocations, want 1 (the AVC)", n)
	}
	before := *e.S
	e.Fail(w2, 1, allocAVC, transitions.VMFaultOOM)
	e.WantUnchanged(before, "a failed __anon_vma_prepare() that would share")
}

// TestFailSplitVMA checks __split_vma()'s exits in mprotect_fixup(): the
// copy's vm_area_dup() failing (allocation 1) returns -ENOMEM at once; the
// copy's anon_vma_clone() failing at its second AVC (allocation 3, after
// linking the first) takes enomem_failure (dst->anon_vma = NULL,
// unlink_anon_vmas(dst)), then out_free_vma (vm_area_free() of the copy).
// Either way the VMA is as before: no link of the copy is left in any
// interval tree, no degree changed, mprotect returns -ENOMEM.
//
//	01
//	AA     P1: A rw, written at 0, then forked: P2's A has chain [own, P1's]
//	AA     P2: mprotect([0,1), r) splits A at 1: the copy needs two AVCs
func TestFailSplitVMA(t *testing.T) {
	e := newEnv(t, 2, 2)
	e.Mmap(0, 0, 2, pRW)
	e.Write(0, 0)
	c := e.Fork(0)
	a := e.VMAAt(c, 0)
	parentAV, own := e.AVAt(0, 0), e.AVAt(c, 0)
	e.WantChain(a, own, own, parentAV)
	mp := scenariotest.MprotectOp(c, 0, 1, pR)
	if n := e.Allocations(mp); n != 3 {
		t.Fatalf("the split makes %d allocations, want 3 (vm_area_dup, two AVCs)", n)
	}
	before := *e.S
	e.Fail(mp, 1, allocDup, transitions.ENOMEM)
	e.WantUnchanged(before, "a split whose vm_area_dup() failed")
	*e.S = before
	e.Fail(mp, 3, allocAVC, transitions.ENOMEM)
	e.WantCalled("unlink_anon_vmas")
	e.WantUnchanged(before, "a split whose anon_vma_clone() failed")
	e.WantLayout(c, "AA")
	e.WantChain(a, own, own, parentAV)
	e.WantAV(own, avWant{Root: parentAV, Parent: parentAV, Ref: 1, Degree: 1, Tree: []state.VMAID{a}})
}

// TestFailAnonVMAFork checks anon_vma_fork()'s exits when the child VMA
// needs an anon_vma of its own (the parent's is its root, never reused):
// fork allocates vm_area_dup (1), the clone's AVC (2), the anon_vma (3)
// and its AVC (4). anon_vma_alloc() failing goes to out_error, the AVC
// failing to out_error_free_anon_vma (put_anon_vma() frees the new
// anon_vma); both unlink the clone (unlink_anon_vmas), dup_mmap() frees the
// copy (fail_nomem_anon_vma_fork), dup_mm() puts the empty mm, fork fails.
// The parent is as before.
//
//	01
//	A.     P1: A rw, written at 0; fork() fails
func TestFailAnonVMAFork(t *testing.T) {
	e := newEnv(t, 2, 2)
	e.Mmap(0, 0, 1, pRW)
	e.Write(0, 0)
	f := scenariotest.ForkOp(0)
	if n := e.Allocations(f); n != 4 {
		t.Fatalf("fork makes %d allocations, want 4", n)
	}
	before := *e.S
	for n, site := range []transitions.AllocSite{allocDup, allocAVC, allocAV, allocAVC} {
		*e.S = before
		res := e.Fail(f, n+1, site, transitions.ENOMEM)
		if res.Child != -1 || e.S.MMs[1].Live != 0 {
			t.Errorf("allocation %d: a failed fork left child %d, live %d", n+1, res.Child, e.S.MMs[1].Live)
		}
		e.WantUnchanged(before, "a failed fork")
	}
	*e.S = before
	e.Fail(f, 4, allocAVC, transitions.ENOMEM)
	e.WantCalled("put_anon_vma", "anon_vma_free", "unlink_anon_vmas")
}

// TestFailDupMmapPartial checks a fork that fails at its second VMA: the
// first was copied (its PTE copied write-protected into the child, in
// both processes), so dup_mm()'s mmput() runs exit_mmap() over the partial
// mm: the child's page table and its anon_vma go, and the page is mapped
// once again, still write-protected in the parent: its next write reuses
// it (do_wp_page()).
//
//	012
//	A.B    P1: A rw, B rwx, both written; fork fails at B's vm_area_dup (5)
func TestFailDupMmapPartial(t *testing.T) {
	e := newEnv(t, 3, 2)
	e.Mmap(0, 0, 1, pRW)
	e.Write(0, 0)
	e.Mmap(0, 2, 3, pRWX)
	e.Write(0, 2)
	f := scenariotest.ForkOp(0)
	if n := e.Allocations(f); n != 8 {
		t.Fatalf("fork makes %d allocations, want 8", n)
	}
	avs := e.LiveAVs()
	e.Fail(f, 5, allocDup, transitions.ENOMEM)
	e.WantCalled("exit_mmap", "unlink_anon_vmas", "anon_vma_free")
	if e.S.MMs[1].Live != 0 {
		t.Fatalf("the failed fork left P2")
	}
	if got := e.LiveAVs(); len(got) != len(avs) {
		t.Errorf("live anon_vmas %v after the failed fork, want %v", got, avs)
	}
	pg := e.WantPTE(0, 0, false)
	e.WantPage(pg, e.AVAt(0, 0), 0, 1)
	e.WantPTE(0, 2, true)
	e.Write(0, 0)
	e.WantPTE(0, 0, true)
}

// TestFailDupMmapWipeOnForkPrepare checks the v5.4 dup_mmap() of a
// VM_WIPEONFORK VMA, which calls anon_vma_prepare() on the copy: its AVC
// failing takes fail_nomem_anon_vma_fork like a failed anon_vma_fork().
//
//	01
//	A.     P1: A rw, MADV_WIPEONFORK
func TestFailDupMmapWipeOnForkPrepare(t *testing.T) {
	e := newEnv(t, 2, 2)
	e.Mmap(0, 0, 1, pRW)
	e.Madvise(0, 0, 1, transitions.MadvWipeOnFork)
	f := scenariotest.ForkOp(0)
	if n := e.Allocations(f); n != 3 {
		t.Fatalf("fork makes %d allocations, want 3 (vm_area_dup, prepare's AVC and anon_vma)", n)
	}
	before := *e.S
	e.Fail(f, 2, allocAVC, transitions.ENOMEM)
	e.WantCalled("__anon_vma_prepare", "exit_mmap")
	e.WantUnchanged(before, "a fork whose anon_vma_prepare() failed")
}

// TestFailVMAAdjustImport checks __vma_adjust()'s importer path: mmap of
// the gap between an unfaulted P and a faulted N merges all three (case
// 1), and P, the importer, first takes N's anon_vma and a clone of its
// chain. The clone's AVC failing (allocation 1) returns -ENOMEM from
// __vma_adjust() before anything is adjusted, vma_merge() returns NULL,
// and mmap_region() maps the range as a VMA of its own (vm_area_alloc(),
// allocation 2): three VMAs that would have merged, P without an
// anon_vma again (enomem_failure).
//
//	012
//	P.N    P: rw; N: rw, written
//	PAN    mmap([1,2), rw) with the importer's AVC failing
func TestFailVMAAdjustImport(t *testing.T) {
	e := newEnv(t, 3, 1)
	e.Mmap(0, 0, 1, pRW)
	e.Mmap(0, 2, 3, pRW)
	e.Write(0, 2)
	m := scenariotest.MmapOp(0, 1, 2, pRW)
	if n := e.Allocations(m); n != 1 {
		t.Fatalf("the merging mmap makes %d allocations, want 1 (the importer's AVC)", n)
	}
	e.WantFailRefused(m, 2)
	p, n := e.VMAAt(0, 0), e.VMAAt(0, 2)
	av := e.AVAt(0, 2)
	e.Fail(m, 1, allocAVC, 0)
	e.WantCalled("__vma_adjust", "anon_vma_clone", "unlink_anon_vmas", "mmap_region")
	e.WantLayout(0, "ABC")
	e.WantChain(p, state.NoAV)
	e.WantChain(n, av, av)
	e.WantChain(e.VMAAt(0, 1), state.NoAV)
	e.WantAV(av, avWant{Root: av, Parent: av, Ref: 1, Degree: 2, Tree: []state.VMAID{n}})
}

// TestFailMmapRegionAlloc checks mmap_region()'s vm_area_alloc() failing
// after do_munmap() cleared the range (unacct_error): -ENOMEM, and the
// range stays unmapped; the page that was there is gone.
//
//	01
//	AA     A: rw, written at 0
//	.B     mmap([0,1), r): the split (vm_area_dup 1, AVC 2), then vm_area_alloc (3) fails
func TestFailMmapRegionAlloc(t *testing.T) {
	e := newEnv(t, 2, 1)
	e.Mmap(0, 0, 2, pRW)
	e.Write(0, 0)
	m := scenariotest.MmapOp(0, 0, 1, pR)
	if n := e.Allocations(m); n != 3 {
		t.Fatalf("mmap makes %d allocations, want 3", n)
	}
	e.Fail(m, 3, allocNew, transitions.ENOMEM)
	e.WantLayout(0, ".A")
	e.WantNoPTE(0, 0)
	if e.UsedPages() != 0 {
		t.Errorf("%d pages left after the unmap", e.UsedPages())
	}
}

// TestFailDoMunmapSecondSplit checks __do_munmap(): the first split
// (new_below = 0) is done and kept when the second (new_below = 1) fails
// at its vm_area_dup: -ENOMEM with A split in two.
//
//	012
//	AAA    A: rw
//	ABB    munmap([1,2)): the second vm_area_dup (allocation 2) fails
func TestFailDoMunmapSecondSplit(t *testing.T) {
	e := newEnv(t, 3, 1)
	e.Mmap(0, 0, 3, pRW)
	u := scenariotest.MunmapOp(0, 1, 2)
	if n := e.Allocations(u); n != 2 {
		t.Fatalf("munmap makes %d allocations, want 2", n)
	}
	e.Fail(u, 2, allocDup, transitions.ENOMEM)
	e.WantLayout(0, "ABB")
	e.WantVMA(e.VMAAt(0, 0), 0, 1, 0, fRW)
	e.WantVMA(e.VMAAt(0, 1), 1, 3, 1, fRW)
}

// TestFailMadviseSplit checks madvise_behavior(): a split that fails for
// want of memory makes madvise() return -EAGAIN ("kernel resources ...
// temporarily unavailable"), and nothing changed.
//
//	01
//	AA     madvise([0,1), MADV_DONTFORK): vm_area_dup fails
func TestFailMadviseSplit(t *testing.T) {
	e := newEnv(t, 2, 1)
	e.Mmap(0, 0, 2, pRW)
	before := *e.S
	e.Fail(scenariotest.MadviseOp(0, 0, 1, transitions.MadvDontFork), 1, allocDup, transitions.EAGAIN)
	e.WantUnchanged(before, "a failed madvise")
}

// TestFailCopyVMA: copy_vma()'s exits in move_vma() (mm/mmap.c and
// mm/mremap.c, v5.4); see scenariotest.ScenarioFailCopyVMA.
func TestFailCopyVMA(t *testing.T) {
	scenariotest.ScenarioFailCopyVMA(newEnv(t, 4, 1), "mremap", false, 2)
}

// TestFailMoveVMAUnmap: move_vma()'s do_munmap() of the old range failing
// after the move (v5.4); see scenariotest.ScenarioFailMoveVMAUnmap.
func TestFailMoveVMAUnmap(t *testing.T) {
	scenariotest.ScenarioFailMoveVMAUnmap(newEnv(t, 4, 1), "mremap", 3)
}
