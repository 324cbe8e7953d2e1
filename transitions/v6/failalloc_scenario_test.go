package v6_test

// Scenario tests of the unwind paths --fail-alloc explores, in the v6.18
// model (mm/vma.c, mm/rmap.c, mm/mmap.c, mm/memory.c at tag v6.18 of
// leftymods/linux-6.18.y, the lines the functions' doc comments cite) and
// in the v6.1 model (2555283eb40d's counters in anon_vma_fork(); the 5.x
// merge code). Each makes one allocation of an anon_vma, anon_vma_chain
// or vm_area_struct fail (Env.Fail: its number in the operation, in the
// order the kernel code allocates, and the function that makes it) and
// checks what the code leaves; Env.Fail also requires no BUG or WARN and
// the invariants of scenariotest.Env.CheckInvariants after the unwind.

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

// TestFailMergeExistingDupAnonVMA checks vma_merge_existing_range()
// (mm/vma.c:807) when dup_anon_vma() (mm/vma.c:611) cannot clone: mprotect
// of a faulted M to the flags of an unfaulted P merges left, and P, which
// has no anon_vma, takes M's and a clone of M's chain; the clone's AVC
// failing (allocation 1) unlinks P again (anon_vma_clone's
// enomem_failure), the merge aborts with vmg->state = VMA_MERGE_ERROR_NOMEM,
// and vma_modify() returns -ENOMEM without trying to split (mm/vma.c:1611):
// mprotect fails and nothing changed.
//
//	01
//	.M     M: rw, written, then r (it keeps VM_ACCOUNT)
//	PM     P: rw, mapped after (M's flags differ: no merge)
//	PM     mprotect([1,2), rw): merge_left, dup_anon_vma(P, M) fails
func TestFailMergeExistingDupAnonVMA(t *testing.T) {
	e := newEnv(t, 2, 1)
	e.Mmap(0, 1, 2, pRW)
	e.Write(0, 1)
	e.Mprotect(0, 1, 2, pR)
	e.Mmap(0, 0, 1, pRW)
	e.WantLayout(0, "AB")
	mp := scenariotest.MprotectOp(0, 1, 2, pRW)
	if n := e.Allocations(mp); n != 2 {
		t.Fatalf("the merge makes %d allocations, want 2 (dup_anon_vma's AVC, commit_merge's maple nodes)", n)
	}
	before := *e.S
	e.Fail(mp, 1, allocAVC, transitions.ENOMEM)
	e.WantCalled("vma_merge_existing_range", "dup_anon_vma", "unlink_anon_vmas")
	if e.Called("split_vma") {
		t.Errorf("vma_modify() split after a merge that failed for want of memory")
	}
	e.WantUnchanged(before, "a merge that failed in dup_anon_vma()")
}

// TestFailCommitMergeExisting checks the abort label of
// vma_merge_existing_range() (mm/vma.c:980): the same merge as
// TestFailMergeExistingDupAnonVMA, but dup_anon_vma() succeeds and
// commit_merge()'s vma_iter_prealloc() fails (allocation 2, mm/vma.c:753):
// P, which took M's anon_vma and a clone of M's chain, is unlinked again
// (unlink_anon_vmas(anon_dup)), and mprotect fails with nothing changed:
// P has no anon_vma, M's anon_vma counts M alone.
//
//	01
//	PM     mprotect([1,2), rw): merge_left, commit_merge() fails
func TestFailCommitMergeExisting(t *testing.T) {
	e := newEnv(t, 2, 1)
	e.Mmap(0, 1, 2, pRW)
	e.Write(0, 1)
	e.Mprotect(0, 1, 2, pR)
	e.Mmap(0, 0, 1, pRW)
	before := *e.S
	e.Fail(scenariotest.MprotectOp(0, 1, 2, pRW), 2, transitions.AllocMapleNodes, transitions.ENOMEM)
	e.WantCalled("vma_merge_existing_range", "dup_anon_vma", "anon_vma_clone", "commit_merge", "unlink_anon_vmas")
	e.WantUnchanged(before, "a merge whose commit_merge() failed")
}

// TestFailVMAExpandDupAnonVMA checks vma_expand() (mm/vma.c:1120) from
// vma_merge_new_range(): mmap of the gap between an unfaulted P and a
// faulted N merges all three, P the target, so dup_anon_vma(P, N) clones
// N's chain first. Its AVC failing (allocation 1) makes vma_expand()
// return the error without VMA_MERGE_ERROR_NOMEM ("In this case we don't
// report OOM"), vma_merge_new_range() returns NULL, and __mmap_region()
// maps the range as a VMA of its own (__mmap_new_vma(), allocation 2).
//
//	012
//	P.N    P: rw; N: rw, written
//	PAN    mmap([1,2), rw) with dup_anon_vma()'s AVC failing
func TestFailVMAExpandDupAnonVMA(t *testing.T) {
	e := newEnv(t, 3, 1)
	e.Mmap(0, 0, 1, pRW)
	e.Mmap(0, 2, 3, pRW)
	e.Write(0, 2)
	m := scenariotest.MmapOp(0, 1, 2, pRW)
	if n := e.Allocations(m); n != 2 {
		t.Fatalf("the merging mmap makes %d allocations, want 2 (dup_anon_vma's AVC, commit_merge's maple nodes)", n)
	}
	av := e.AVAt(0, 2)
	before := *e.S
	// dup_anon_vma()'s AVC (allocation 1), then commit_merge()'s maple
	// nodes (allocation 2, the nomem label, mm/vma.c:1164, unlinks P's
	// copy): either way __mmap_region() maps the range on its own.
	for _, f := range []struct {
		n     int
		site  transitions.AllocSite
		calls []string
	}{{1, allocAVC, []string{"vma_expand", "dup_anon_vma", "__mmap_new_vma"}},
		{2, transitions.AllocMapleNodes, []string{"vma_expand", "dup_anon_vma", "commit_merge", "unlink_anon_vmas", "__mmap_new_vma"}}} {
		*e.S = before
		e.Fail(m, f.n, f.site, 0)
		e.WantCalled(f.calls...)
		e.WantLayout(0, "ABC")
		e.WantChain(e.VMAAt(0, 0), state.NoAV)
		e.WantChain(e.VMAAt(0, 1), state.NoAV)
		e.WantChain(e.VMAAt(0, 2), av, av)
		e.WantAV(av, avWant{Root: av, Parent: av, Ref: 1, Children: 1, Active: 1, Tree: []state.VMAID{e.VMAAt(0, 2)}})
	}
}

// TestFailSplitVMA618 checks __split_vma() (mm/vma.c:499) from
// vma_modify(): vm_area_dup() failing (allocation 1) returns -ENOMEM;
// vma_iter_prealloc() failing (allocation 2) frees the copy
// (out_free_vma); anon_vma_clone() failing at the copy's second AVC
// (allocation 4) takes enomem_failure and out_free_vma. mprotect fails,
// nothing changed.
//
//	01
//	AA     P1: A rw, written, forked; P2: mprotect([0,1), r)
func TestFailSplitVMA618(t *testing.T) {
	e := newEnv(t, 2, 2)
	e.Mmap(0, 0, 2, pRW)
	e.Write(0, 0)
	c := e.Fork(0)
	mp := scenariotest.MprotectOp(c, 0, 1, pR)
	if n := e.Allocations(mp); n != 4 {
		t.Fatalf("the split makes %d allocations, want 4", n)
	}
	before := *e.S
	e.Fail(mp, 1, allocDup, transitions.ENOMEM)
	e.WantUnchanged(before, "a split whose vm_area_dup() failed")
	*e.S = before
	e.Fail(mp, 2, transitions.AllocMapleNodes, transitions.ENOMEM)
	e.WantUnchanged(before, "a split whose vma_iter_prealloc() failed")
	*e.S = before
	e.Fail(mp, 4, allocAVC, transitions.ENOMEM)
	e.WantCalled("split_vma", "__split_vma", "anon_vma_clone", "unlink_anon_vmas")
	e.WantUnchanged(before, "a split whose anon_vma_clone() failed")
}

// TestFailGatherEndSplit checks vms_gather_munmap_vmas() (mm/vma.c:1330)
// when the split of the last VMA fails after the first VMA of the range was
// detached: end_split_failed reattaches it (reattach_vmas(), mm/vma.c:1309)
// and do_vmi_align_munmap() returns the error. The model, whose list stands
// for the tree, had taken A out of it; it is back, map_count never moved.
// When B's split is done and then the store of its lower part into the
// detached tree fails (the second store, the one that allocates:
// allocation 3, munmap_gather_failed), or the clear of the range in the
// mm's tree does (vma_iter_clear_gfp(), allocation 4, clear_tree_failed,
// do_vmi_align_munmap()), A and that part are reattached and B's split
// at 3 stands: the kernel does not undo it.
//
//	0123
//	AABB   A: rw; B: r
//	AABB   munmap([0,3)): A detached, B's split at 3 (vm_area_dup) fails
//	AABC   ... or B's split done and a later maple allocation fails
func TestFailGatherEndSplit(t *testing.T) {
	e := newEnv(t, 4, 1)
	e.Mmap(0, 0, 2, pRW)
	e.Mmap(0, 2, 4, pR)
	u := scenariotest.MunmapOp(0, 0, 3)
	if n := e.Allocations(u); n != 4 {
		t.Fatalf("munmap makes %d allocations, want 4 (B's split: vm_area_dup and maple nodes; the second store; the clear)", n)
	}
	before := *e.S
	e.Fail(u, 1, allocDup, transitions.ENOMEM)
	e.WantCalled("vms_gather_munmap_vmas", "__split_vma")
	e.WantUnchanged(before, "a munmap whose last split failed")
	a, b := e.VMAAt(0, 0), e.VMAAt(0, 2)
	for _, n := range []int{3, 4} {
		*e.S = before
		e.Fail(u, n, transitions.AllocMapleStore, transitions.ENOMEM)
		e.WantCalled("vms_gather_munmap_vmas", "__split_vma")
		e.WantLayout(0, "AABC")
		e.WantVMA(a, 0, 2, 0, fRW)
		e.WantVMA(b, 2, 3, 2, state.VMRead)
		if e.S.MMs[0].MapCount != 3 {
			t.Errorf("allocation %d: map_count %d after the failed munmap, want 3 (A, B and the part of B split off)", n, e.S.MMs[0].MapCount)
		}
	}
}

// TestFailGatherStartSplit checks vms_gather_munmap_vmas()'s
// start_split_failed from __mmap_region(): mmap inside A splits A at the
// start first (new_below = 1); its vm_area_dup failing makes
// __mmap_prepare() return the error with nr_pages 0, and
// vms_abort_munmap_vmas() has nothing to undo.
//
//	012
//	AAA    mmap([1,2), r): the first split fails
func TestFailGatherStartSplit(t *testing.T) {
	e := newEnv(t, 3, 1)
	e.Mmap(0, 0, 3, pRW)
	before := *e.S
	e.Fail(scenariotest.MmapOp(0, 1, 2, pR), 1, allocDup, transitions.ENOMEM)
	e.WantCalled("__mmap_prepare", "vms_gather_munmap_vmas")
	e.WantUnchanged(before, "an mmap whose first split failed")
}

// TestFailMmapNewVMA checks __mmap_region()'s abort after
// vms_clean_up_area(): the new mapping replaces A, whose PTEs and anon_vma
// links __mmap_prepare() already cleared; __mmap_new_vma()'s
// vm_area_alloc() failing goes to abort_munmap, and
// vms_abort_munmap_vmas() (mm/vma.c:2304), clear_ptes being false,
// leaves a gap and completes the munmap (vms_complete_munmap_vmas()):
// -ENOMEM, nothing mapped, A and its anon_vma and page gone.
//
//	01
//	AA     A: rw, written at 0
//	..     mmap([0,2), r): vm_area_alloc fails
func TestFailMmapNewVMA(t *testing.T) {
	e := newEnv(t, 2, 1)
	e.Mmap(0, 0, 2, pRW)
	e.Write(0, 0)
	a, av := e.VMAAt(0, 0), e.AVAt(0, 0)
	m := scenariotest.MmapOp(0, 0, 2, pR)
	if n := e.Allocations(m); n != 2 {
		t.Fatalf("mmap makes %d allocations, want 2 (vm_area_alloc, maple nodes; A's store into the detached tree takes none)", n)
	}
	before := *e.S
	// vm_area_alloc() (allocation 1) or the vma_iter_prealloc() after it
	// (allocation 2, free_vma): the same abort.
	for _, f := range []struct {
		n    int
		site transitions.AllocSite
	}{{1, allocNew}, {2, transitions.AllocMapleNodes}} {
		*e.S = before
		e.Fail(m, f.n, f.site, transitions.ENOMEM)
		e.WantCalled("__mmap_new_vma", "vms_complete_munmap_vmas")
		e.WantLayout(0, "..")
		e.WantVMAGone(a)
		e.WantAVGone(av)
		if e.S.MMs[0].MapCount != 0 || e.UsedPages() != 0 {
			t.Errorf("map_count %d, %d pages after the aborted mmap, want 0, 0", e.S.MMs[0].MapCount, e.UsedPages())
		}
	}
}

// TestFailAnonVMAFork618 checks anon_vma_fork() (mm/rmap.c:333):
// num_active_vmas is counted right after anon_vma_alloc(), so when the
// AVC then fails (allocation 4) out_error_free_anon_vma frees an
// anon_vma with num_active_vmas 1, which nothing checks; out_error (the
// anon_vma itself failing, allocation 3) has nothing to free. Both
// unlink the clone; dup_mmap() frees the copy, fork fails, the parent's
// counters are as before.
//
//	01
//	A.     P1: A rw, written; fork() fails
func TestFailAnonVMAFork618(t *testing.T) {
	for _, gen := range []struct {
		name string
		env  func(*testing.T, int, int) *scenariotest.Env
	}{{"v6.18", newEnv}, {"v6.1", newEnv61}} {
		t.Run(gen.name, func(t *testing.T) {
			e := gen.env(t, 2, 2)
			e.Mmap(0, 0, 1, pRW)
			e.Write(0, 0)
			f := scenariotest.ForkOp(0)
			if n := e.Allocations(f); n != 4 {
				t.Fatalf("fork makes %d allocations, want 4", n)
			}
			before := *e.S
			av := e.AVAt(0, 0)
			for n, site := range map[int]transitions.AllocSite{3: allocAV, 4: allocAVC} {
				*e.S = before
				e.Fail(f, n, site, transitions.ENOMEM)
				e.WantUnchanged(before, "a failed fork")
				e.WantAV(av, avWant{Root: av, Parent: av, Ref: 1, Children: 1, Active: 1, Tree: []state.VMAID{e.VMAAt(0, 0)}})
			}
		})
	}
}

// TestFailDupMmapPartial618 checks dup_mmap() (mm/mmap.c:1719) failing at
// the second VMA: loop_out stores XA_ZERO_ENTRY over it, and exit_mmap()
// (mm/mmap.c:1254) of the partial mm stops there: the child's first VMA
// and its anon_vma go, the count matches map_count (no BUG_ON), and the
// parent keeps its pages, write-protected by copy_page_range().
//
//	012
//	A.B    P1: A rw, B rwx, both written; fork fails at B's vm_area_dup (5)
func TestFailDupMmapPartial618(t *testing.T) {
	e := newEnv(t, 3, 2)
	e.Mmap(0, 0, 1, pRW)
	e.Write(0, 0)
	e.Mmap(0, 2, 3, pRWX)
	e.Write(0, 2)
	avs := e.LiveAVs()
	e.Fail(scenariotest.ForkOp(0), 5, allocDup, transitions.ENOMEM)
	e.WantCalled("exit_mmap", "anon_vma_free")
	if e.S.MMs[1].Live != 0 {
		t.Fatalf("the failed fork left P2")
	}
	if got := e.LiveAVs(); len(got) != len(avs) {
		t.Errorf("live anon_vmas %v, want %v", got, avs)
	}
	e.WantPage(e.WantPTE(0, 0, false), e.AVAt(0, 0), 0, 1)
}

// TestFailWriteFault618 checks vmf_anon_prepare() -> __anon_vma_prepare()
// (mm/rmap.c:185) failing at its AVC and at its anon_vma: VM_FAULT_OOM,
// nothing mapped, nothing allocated.
//
//	0
//	A      A: rw
func TestFailWriteFault618(t *testing.T) {
	e := newEnv(t, 1, 1)
	e.Mmap(0, 0, 1, pRW)
	w := scenariotest.WriteOp(0, 0)
	before := *e.S
	e.Fail(w, 1, allocAVC, transitions.VMFaultOOM)
	e.WantUnchanged(before, "a failed write fault")
	*e.S = before
	e.Fail(w, 2, allocAV, transitions.VMFaultOOM)
	e.WantUnchanged(before, "a failed write fault")
}

// TestFailMadvise618 checks madvise_vma_behavior() (mm/madvise.c:1333),
// which reports -ENOMEM from vma_modify_flags() as -EAGAIN: here the
// merge of a faulted M into an unfaulted P fails in dup_anon_vma().
//
//	01
//	PM     P: rw, MADV_DONTFORK; M: rw, written; madvise M MADV_DONTFORK
func TestFailMadvise618(t *testing.T) {
	e := newEnv(t, 2, 1)
	e.Mmap(0, 0, 1, pRW)
	e.Madvise(0, 0, 1, transitions.MadvDontFork)
	e.Mmap(0, 1, 2, pRW)
	e.Write(0, 1)
	before := *e.S
	e.Fail(scenariotest.MadviseOp(0, 1, 2, transitions.MadvDontFork), 1, allocAVC, transitions.EAGAIN)
	e.WantUnchanged(before, "a failed madvise")
}

// TestFailVMAAdjustImport61 checks that v6.1, whose mprotect() still
// merges through vma_merge() and __vma_adjust(), takes 5.4's importer
// exit: mprotect of N to P's flags merges P, N and X (case 6), and P, the
// importer, would take X's anon_vma (remove_next == 2 with N unfaulted:
// the exporter is X); the clone's AVC failing returns -ENOMEM from
// __vma_adjust() before anything changed, vma_merge() returns NULL, and
// mprotect_fixup() changes N's flags alone (N spans the range: no split).
// Three VMAs that would have merged.
//
//	012
//	PNX    P: rw; N: r; X: rw, written
//	PNX    mprotect([1,2), rw) with the importer's AVC failing
func TestFailVMAAdjustImport61(t *testing.T) {
	e := newEnv61(t, 3, 1)
	e.Mmap(0, 0, 1, pRW)
	e.Mmap(0, 1, 2, pR)
	e.Mmap(0, 2, 3, pRW)
	e.Write(0, 2)
	mp := scenariotest.MprotectOp(0, 1, 2, pRW)
	if n := e.Allocations(mp); n != 2 {
		t.Fatalf("the merging mprotect makes %d allocations, want 2 (the importer's AVC, the maple nodes)", n)
	}
	av := e.AVAt(0, 2)
	before := *e.S
	e.Fail(mp, 1, allocAVC, 0)
	e.WantCalled("vma_merge", "__vma_adjust", "anon_vma_clone", "unlink_anon_vmas")
	e.WantLayout(0, "ABC")
	e.WantChain(e.VMAAt(0, 0), state.NoAV)
	e.WantVMA(e.VMAAt(0, 1), 1, 2, 1, fRW)
	e.WantChain(e.VMAAt(0, 2), av, av)

	// The clone succeeds and mas_preallocate() fails (allocation 2,
	// mm/mmap.c:715 at 6.1.0): __vma_adjust() returns -ENOMEM with P
	// keeping X's anon_vma and a link to it, P a VMA without a page of
	// that anon_vma (824135c46b00 in v6.5 unlinks it); the rest as above.
	*e.S = before
	e.Fail(mp, 2, transitions.AllocMapleNodes, 0)
	e.WantLayout(0, "ABC")
	p, x := e.VMAAt(0, 0), e.VMAAt(0, 2)
	e.WantChain(p, av, av)
	e.WantVMA(e.VMAAt(0, 1), 1, 2, 1, fRW)
	e.WantChain(x, av, av)
	e.WantAV(av, avWant{Root: av, Parent: av, Ref: 1, Children: 1, Active: 2, Tree: []state.VMAID{p, x}})
}

// TestFailSplitVMAAdjust61 checks 6.1's __split_vma() (mm/mmap.c:2194-2256
// at 6.1.0) when vma_adjust() fails (its mas_preallocate(), allocation 2,
// after vm_area_dup()): "Clean everything up if vma_adjust failed" unlinks
// the copy's anon_vma links and frees it; mprotect fails with -ENOMEM and
// nothing changed.
//
//	01
//	AA     A: rw, written at 0; mprotect([0,1), r) needs a split
func TestFailSplitVMAAdjust61(t *testing.T) {
	e := newEnv61(t, 2, 1)
	e.Mmap(0, 0, 2, pRW)
	e.Write(0, 0)
	mp := scenariotest.MprotectOp(0, 0, 1, pR)
	if n := e.Allocations(mp); n != 3 {
		t.Fatalf("the split makes %d allocations, want 3 (vm_area_dup, the clone's AVC, the maple nodes)", n)
	}
	before := *e.S
	e.Fail(mp, 3, transitions.AllocMapleNodes, transitions.ENOMEM)
	e.WantCalled("__split_vma", "anon_vma_clone", "__vma_adjust", "unlink_anon_vmas")
	e.WantUnchanged(before, "a split whose vma_adjust() failed")
}

// TestFailCopyVMA618: copy_vma()'s exits (mm/vma.c:1807) in
// copy_vma_and_data() (mm/mremap.c:1181), v6.18; see
// scenariotest.ScenarioFailCopyVMA.
func TestFailCopyVMA618(t *testing.T) {
	scenariotest.ScenarioFailCopyVMA(newEnv(t, 4, 1), "do_mremap", true, 4)
}

// TestFailCopyVMA61: copy_vma()'s exits in v6.1 (mm/mmap.c:3164-3240 at
// 6.1.0), vma_link()'s mas_preallocate() among them; see
// scenariotest.ScenarioFailCopyVMA.
func TestFailCopyVMA61(t *testing.T) {
	scenariotest.ScenarioFailCopyVMA(newEnv61(t, 4, 1), "mremap", true, 5)
}

// TestFailMoveVMAUnmap618: unmap_source_vma() (mm/mremap.c:1078) when
// do_vmi_munmap() of the old range fails, v6.18; see
// scenariotest.ScenarioFailMoveVMAUnmap.
func TestFailMoveVMAUnmap618(t *testing.T) {
	scenariotest.ScenarioFailMoveVMAUnmap(newEnv(t, 4, 1), "do_mremap", 4)
}

// TestFailVMAExpandMaple61 checks 6.1.0's vma_expand() (mm/mmap.c:512-605
// at e451e259e) when mas_preallocate() fails (allocation 1): mmap of the
// range after an unfaulted A would grow A; vma_expand() returns -ENOMEM
// (nomem) with nothing changed, and mmap_region() maps the range as a VMA
// of its own (cannot_expand, vm_area_alloc(): allocation 2). Two VMAs that
// could have been one, as the kernel leaves them.
//
//	01
//	A.     A: rw
//	AB     mmap([1,2), rw) with vma_expand()'s maple nodes failing
func TestFailVMAExpandMaple61(t *testing.T) {
	e := newEnv61(t, 2, 1)
	e.Mmap(0, 0, 1, pRW)
	m := scenariotest.MmapOp(0, 1, 2, pRW)
	if n := e.Allocations(m); n != 1 {
		t.Fatalf("the merging mmap makes %d allocations, want 1 (vma_expand()'s maple nodes)", n)
	}
	a := e.VMAAt(0, 0)
	e.Fail(m, 1, transitions.AllocMapleNodes, 0)
	e.WantCalled("mmap_region", "vma_expand")
	e.WantLayout(0, "AB")
	e.WantVMA(a, 0, 1, 0, fRW)
	e.WantVMA(e.VMAAt(0, 1), 1, 2, 1, fRW)
}

// TestFailMunmapMaple61 checks 6.1's do_mas_align_munmap() (mm/mmap.c:
// 2298-2460 at 6.1.0): munmap of [1,3) over A [0,2) and B [2,4) makes
// mas_preallocate() (allocation 1: nothing changes), A's split at 1
// (vm_area_dup, its maple nodes), A's upper part's store in the side tree
// (allocation 4, the only store that allocates), B's split at 3
// (vm_area_dup, maple nodes), B's lower part's store (no allocation). The
// store failing returns -ENOMEM with A's split standing and nothing
// unmapped.
//
//	0123
//	AABB   A: rw; B: r
//	ABCC   munmap([1,3)) with the side tree's store failing
func TestFailMunmapMaple61(t *testing.T) {
	e := newEnv61(t, 4, 1)
	e.Mmap(0, 0, 2, pRW)
	e.Mmap(0, 2, 4, pR)
	u := scenariotest.MunmapOp(0, 1, 3)
	if n := e.Allocations(u); n != 6 {
		t.Fatalf("munmap makes %d allocations, want 6", n)
	}
	before := *e.S
	e.Fail(u, 1, transitions.AllocMapleNodes, transitions.ENOMEM)
	e.WantUnchanged(before, "a munmap whose mas_preallocate() failed")
	*e.S = before
	e.Fail(u, 4, transitions.AllocMapleStore, transitions.ENOMEM)
	e.WantLayout(0, "ABCC")
	if e.S.MMs[0].MapCount != 3 {
		t.Errorf("map_count %d, want 3: A's split stands", e.S.MMs[0].MapCount)
	}
}

// TestFailMmapRegionMaple61 checks 6.1's mmap_region() when the new
// VMA's mas_preallocate() fails (allocation 2, after vm_area_alloc(),
// mm/mmap.c:2679 at 6.1.0): the VMA is freed (free_vma) and mmap returns
// -ENOMEM with nothing mapped.
//
//	01
//	..     mmap([0,1), rw) with the new VMA's maple nodes failing
func TestFailMmapRegionMaple61(t *testing.T) {
	e := newEnv61(t, 2, 1)
	m := scenariotest.MmapOp(0, 0, 1, pRW)
	if n := e.Allocations(m); n != 2 {
		t.Fatalf("mmap makes %d allocations, want 2 (vm_area_alloc, maple nodes)", n)
	}
	before := *e.S
	e.Fail(m, 2, transitions.AllocMapleNodes, transitions.ENOMEM)
	e.WantCalled("mmap_region")
	e.WantUnchanged(before, "an mmap whose new VMA's maple nodes failed")
}
