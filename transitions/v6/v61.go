// Package v6 models the Linux 6.x generation of the anon_vma code: Linux
// v6.1, whose mm/mmap.c still merges through vma_merge() and
// __vma_adjust() as 5.x did (V61 takes those functions from package v5
// and replaces what changed by v6.1 in mm/rmap.c, mm/memory.c and
// mm/mprotect.c), and Linux v6.18, whose merging, splitting and munmap
// live in mm/vma.c (V618: vma_merge_new_range(),
// vma_merge_existing_range(), vma_expand(), dup_anon_vma(),
// commit_merge(), the vms_* munmap, __mmap_region()), sharing v6.1's
// anon_vma code. Functions both versions have unchanged are written once
// and say so in their doc comments.
package v6

import (
	"anoncheck/state"
	"anoncheck/transitions"
	v5 "anoncheck/transitions/v5"
)

type (
	// Kernel is the runtime every generation's functions run on.
	Kernel = transitions.Kernel

	vmaID  = state.VMAID
	avID   = state.AVID
	pageID = state.PageID
)

// V61 returns the function table of Linux v6.1: v5.4's call graph with
//   - v5.7's vm_area_dup() and dup_mmap() (v5.VMAreaDupV57, v5.DupMmapV57);
//   - 2555283eb40d ("mm/rmap: Fix anon_vma->degree ambiguity leading to
//     double-reuse", Jann Horn, Aug 2022): degree becomes num_children and
//     num_active_vmas, and anon_vma_clone() reuses only an anon_vma with no
//     active VMA and fewer than two children;
//   - ee8ab1903e3d (v5.12): unlink_anon_vmas() clears vma->anon_vma;
//   - PageAnonExclusive (v5.19, David Hildenbrand's anon-exclusive series):
//     new pages are exclusive, fork clears the bit (page_try_dup_anon_rmap),
//     do_wp_page() reuses an exclusive page without further checks and
//     otherwise only a page it holds the sole reference to, moving it with
//     page_move_anon_rmap(), which sets the bit again;
//   - 64fe24a3e05e (v6.0): mprotect() makes the PTEs of exclusive anonymous
//     pages writable at once (MM_CP_TRY_CHANGE_WRITABLE);
//   - the maple tree (v6.1): mmap_region() expands a neighbour with
//     vma_expand() instead of calling vma_merge() (mmap61.go), and
//     exit_mmap() checks the count of VMAs it removed against map_count.
func V61() transitions.Funcs {
	f := v5.V54()
	f.VMAreaDup = v5.VMAreaDupV57
	f.DupMmap = v5.DupMmapV57
	f.AnonVMAAlloc = anonVMAAllocV61
	f.AnonVMAPrepare = anonVMAPrepareV61
	f.AnonVMAClone = anonVMACloneV61
	f.AnonVMAFork = anonVMAForkV61
	f.UnlinkAnonVMAs = unlinkAnonVMAsV61
	f.PageSetAnonRmap = pageSetAnonRmapV61
	f.PageMoveAnonRmap = pageMoveAnonRmapV61
	f.CopyPageRange = copyPageRangeV61
	f.DoWPPage = doWPPageV61
	f.ChangeProtection = changeProtectionV61
	f.MmapRegion = mmapRegionV61
	f.VMAExpand = vmaExpandV61
	f.VMAAdjust = vmaAdjustV61
	f.DoMunmap = doMasMunmapV61
	f.ExitMmap = exitMmapV61
	// mremap: MREMAP_DONTUNMAP (5.7) and the vma_merge() of an in-place
	// growth (mremap61.go); mremap_to(), copy_vma() and
	// move_page_tables() are v5.4's.
	f.DoMremap = doMremapV61
	f.MoveVMA = moveVMAV61
	f.CopyVMA = copyVMAV61
	return f
}

// anonVMAAllocV61 models mm/rmap.c:anon_vma_alloc() after 2555283eb40d:
// refcount 1, num_children = num_active_vmas = 0, itself as parent and root;
// NULL when kmem_cache_alloc() fails.
// Unchanged in v6.18.
func anonVMAAllocV61(k *Kernel) avID {
	id := k.AllocAV()
	if id == state.NoAV {
		return id
	}
	a := k.S.AV(id)
	a.Refcount = 1
	a.Parent, a.Root = id, id
	return id
}

// anonVMAPrepareV61 models mm/rmap.c:__anon_vma_prepare() after
// 2555283eb40d: a fresh anon_vma counts its self-parent link in
// num_children; the VMA counts in num_active_vmas. The allocations and
// their failure exits (out_enomem, out_enomem_free_avc) are v5.4's
// (v5.AnonVMAPrepareFind).
// Unchanged in v6.18 (vmf_anon_prepare() calls it from the faults and
// turns its -ENOMEM into VM_FAULT_OOM; mm/rmap.c:185).
func anonVMAPrepareV61(k *Kernel, vma vmaID) int {
	av, allocated, err := v5.AnonVMAPrepareFind(k, vma)
	if err != 0 {
		return err
	}
	if allocated != state.NoAV {
		k.Inc(&k.AV(av).NumChildren) // self-parent link for new root
	}
	if v5.AnonVMAPrepareLink(k, vma, av, allocated) {
		k.Inc(&k.AV(av).NumActiveVMAs)
	}
	return 0
}

// anonVMACloneV61 models mm/rmap.c:anon_vma_clone() after 2555283eb40d:
// reuse an anon_vma only if no VMA uses it and it has fewer than two
// children; count dst in its anon_vma's num_active_vmas.
// An AVC that cannot be allocated ends it at enomem_failure
// (v5.AnonVMACloneENOMEM: dst->anon_vma = NULL, unlink_anon_vmas(dst)).
// Unchanged in v6.18 (mm/rmap.c:279-324), whose callers are vma_expand(),
// dup_anon_vma(), __split_vma(), copy_vma() and anon_vma_fork().
func anonVMACloneV61(k *Kernel, dst, src vmaID) int {
	if !v5.AnonVMACloneLoop(k, dst, src, reusableV61) {
		return v5.AnonVMACloneENOMEM(k, dst)
	}
	if d := k.VMA(dst); d.AnonVMA != state.NoAV {
		k.Inc(&k.AV(d.AnonVMA).NumActiveVMAs)
	}
	return 0
}

// reusableV61 is the reuse test of mm/rmap.c:anon_vma_clone() after
// 2555283eb40d: src has an anon_vma (47b390d23bf8), and the anon_vma has
// no active VMA and fewer than two children; src's own anon_vma has an
// active VMA, so the "!= src->anon_vma" term is gone.
func reusableV61(k *Kernel, src *state.VMA, av avID) bool {
	a := k.AV(av)
	return src.AnonVMA != state.NoAV && a.NumChildren < 2 && a.NumActiveVMAs == 0
}

// anonVMAForkV61 models mm/rmap.c:anon_vma_fork() after 2555283eb40d: the
// new anon_vma counts the child VMA in num_active_vmas and itself in its
// parent's num_children. It counts the VMA right after anon_vma_alloc(),
// before the AVC is allocated, so when that allocation fails
// (out_error_free_anon_vma, v5.AnonVMAForkError) the anon_vma is freed
// with num_active_vmas 1; when anon_vma_alloc() fails, out_error.
// Unchanged in v6.18 (mm/rmap.c:333-393).
func anonVMAForkV61(k *Kernel, vma, pvma vmaID) int {
	if done, err := v5.AnonVMAForkClone(k, vma, pvma); done {
		return err
	}
	av := k.AnonVMAAlloc()
	if av == state.NoAV {
		return v5.AnonVMAForkError(k, vma, state.NoAV) // goto out_error
	}
	a := k.S.AV(av)
	k.Inc(&a.NumActiveVMAs)
	if !k.AllocAVC() {
		return v5.AnonVMAForkError(k, vma, av) // goto out_error_free_anon_vma
	}
	v5.AnonVMAForkLink(k, vma, pvma, av)
	k.Inc(&k.AV(a.Parent).NumChildren)
	return 0
}

// unlinkAnonVMAsV61 models mm/rmap.c:unlink_anon_vmas() after 2555283eb40d
// and ee8ab1903e3d: an emptied anon_vma drops a child of its parent; the
// VMA's anon_vma drops an active VMA and vma->anon_vma is cleared; each
// emptied anon_vma must have no children and no active VMA
// (VM_WARN_ON), then is put.
// Unchanged in v6.18.
func unlinkAnonVMAsV61(k *Kernel, vma vmaID) {
	v := k.VMA(vma)
	emptied, n := v5.UnlinkAVCs(k, v, vma, parentNumChildrenDec)
	if v.AnonVMA != state.NoAV {
		k.Dec(&k.AV(v.AnonVMA).NumActiveVMAs)
		v.AnonVMA = state.NoAV
	}
	for _, av := range emptied[:n] {
		a := k.AV(av)
		k.WarnOn(a.NumChildren != 0, transitions.WarnUnlinkNumChildren)
		k.WarnOn(a.NumActiveVMAs != 0, transitions.WarnUnlinkNumActiveVMAs)
		k.PutAnonVMA(av)
	}
	v.NChain = 0
	v.Chain = [state.MaxChain]avID{}
}

// parentNumChildrenDec is "anon_vma->parent->num_children--" in the first
// loop of mm/rmap.c:unlink_anon_vmas() after 2555283eb40d.
func parentNumChildrenDec(k *Kernel, parent avID) { k.Dec(&k.AV(parent).NumChildren) }

// pageSetAnonRmapV61 models mm/rmap.c:__page_set_anon_rmap() in v6.1: as
// v5.4, and an exclusive mapping sets PageAnonExclusive even on a page that
// is already anonymous.
func pageSetAnonRmapV61(k *Kernel, pg pageID, vma vmaID, addr uint8, exclusive bool) {
	v5.PageSetAnonRmapV54(k, pg, vma, addr, exclusive)
	if exclusive {
		k.S.Page(pg).Flags |= state.PageAnonExclusive
	}
}

// pageMoveAnonRmapV61 models mm/rmap.c:page_move_anon_rmap() in v6.1: as
// v5.4, then SetPageAnonExclusive.
func pageMoveAnonRmapV61(k *Kernel, pg pageID, vma vmaID) {
	v5.PageMoveAnonRmapV54(k, pg, vma)
	k.S.Page(pg).Flags |= state.PageAnonExclusive
}

// copyPageRangeV61 models mm/memory.c:copy_page_range() ->
// copy_present_pte() in v6.1 for private anonymous VMAs (vma_needs_copy:
// only when the parent VMA has an anon_vma): each present PTE is copied by
// copyPresentPTEV61.
func copyPageRangeV61(k *Kernel, dst, src vmaID) int {
	return v5.CopyPageRangeWalk(k, dst, src, copyPresentPTEV61)
}

// copyPresentPTEV61 models mm/memory.c:copy_present_pte() in v6.1 for an
// anonymous page: page_try_dup_anon_rmap() clears PageAnonExclusive (no
// page is pinned in the model) and adds a mapping; both PTEs are
// write-protected; then VM_BUG_ON(PageAnon && PageAnonExclusive).
func copyPresentPTEV61(k *Kernel, dmm, smm int, addr uint8, pg pageID) {
	p := k.S.Page(pg)
	p.Flags &^= state.PageAnonExclusive
	k.PageDupRmap(pg)
	k.S.PT[smm][addr] = state.MakePTE(pg, false)
	k.S.PT[dmm][addr] = state.MakePTE(pg, false)
	k.BugOn(p.Flags&state.PageAnonExclusive != 0, transitions.BugCopyPresentExclusive)
}

// doWPPageV61 models mm/memory.c:do_wp_page() in v6.1 for an anonymous
// page: an exclusive page is reused at once; otherwise it is reused only
// when this mapping holds its only reference (no swap cache, no KSM), after
// page_move_anon_rmap(); else wp_page_copy(). wp_page_reuse() asserts the
// page is exclusive by then.
func doWPPageV61(k *Kernel, vma vmaID, addr uint8) int {
	v := k.VMA(vma)
	pg := k.S.PT[v.MM-1][addr].Page()
	p := k.S.Page(pg)
	if p.Flags&state.PageAnonExclusive == 0 {
		if p.Mapcount != 1 {
			return k.WPPageCopy(vma, addr)
		}
		k.PageMoveAnonRmap(pg, vma)
	}
	wpPageReuse(k, vma, addr, pg, transitions.BugWPPageReuseShared)
	return 0
}

// wpPageReuse models mm/memory.c:wp_page_reuse() for an anonymous page, as
// v6.1 and v6.18 have it: the page must be PageAnonExclusive by now (the
// VM_BUG_ON check, whose spelling the two versions differ in), and the
// PTE becomes writable (maybe_mkwrite(): when the VMA has VM_WRITE).
func wpPageReuse(k *Kernel, vma vmaID, addr uint8, pg pageID, check transitions.Assertion) {
	k.Case(transitions.CaseWPReuse)
	k.BugOn(k.S.Page(pg).Flags&state.PageAnonExclusive == 0, check)
	v := k.VMA(vma)
	k.S.PT[v.MM-1][addr] = state.MakePTE(pg, v.Flags&state.VMWrite != 0)
}

// changeProtectionV61 models mm/mprotect.c:change_pte_range() in v6.1 for a
// private anonymous VMA: every PTE gets the (never writable) private
// protection, and, when the VMA is writable (MM_CP_TRY_CHANGE_WRITABLE),
// can_change_pte_writable() makes the PTE of an exclusive anonymous page
// writable at once.
// Unchanged in v6.18 (can_change_private_pte_writable()).
func changeProtectionV61(k *Kernel, vma vmaID, start, end uint8) {
	v := k.VMA(vma)
	mm := int(v.MM) - 1
	for a := start; a < end; a++ {
		pg := k.S.PT[mm][a].Page()
		if pg == state.NoPage {
			continue
		}
		w := v.Flags&state.VMWrite != 0 && k.S.Page(pg).Flags&state.PageAnonExclusive != 0
		k.S.PT[mm][a] = state.MakePTE(pg, w)
	}
}
