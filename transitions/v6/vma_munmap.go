package v6

import (
	"anoncheck/state"
	"anoncheck/transitions"
	v5 "anoncheck/transitions/v5"
)

// The split, munmap and mmap code of mm/vma.c and the exit path of
// mm/mmap.c as of Linux v6.18; see vma.go for what the model leaves out.
// Besides those, the checks on sealed VMAs (vma_is_sealed(): no modelled
// operation seals), the accounting totals (total_vm, locked_vm, data_vm,
// exec_vm, stack_vm, the commit charge) and their VM_WARN_ON()s, page
// table freeing and the userfaultfd unmap events have no anon_vma state
// and are not modelled.

// splitVMAV618 models mm/vma.c:__split_vma() (v6.18): WARN_ON() that addr
// lies strictly inside vma; the new VMA as v5.4 makes it (v5.SplitVMANew:
// vm_area_dup(), its part and page offset, anon_vma_clone()); then, under
// vma_prepare() with insert = new (vma_iter_prealloc(), mm/vma.c:528, may
// fail between vm_area_dup() and the clone: out_free_vma), vma keeps the other part and
// vma_complete() stores the new VMA in the tree and counts it in
// map_count. The vm_ops->may_split and ->open hooks, the mempolicy and
// huge page splits have nothing to do here.
func splitVMAV618(k *Kernel, mm int, vma vmaID, addr uint8, newBelow bool) int {
	v := k.VMA(vma)
	k.WarnOn(v.Start >= addr, transitions.WarnSplitVMAStart)
	k.WarnOn(v.End <= addr, transitions.WarnSplitVMAEnd)
	nv, err := v5.SplitVMANew(k, vma, addr, newBelow, true)
	if err != 0 {
		return err
	}
	n := k.S.VMA(nv)
	vp := initMultiVMAPrep(k, vma, nil) // init_vma_prep()
	vp.insert = nv
	vmaPrepareLock(k, &vp)
	v = k.VMA(vma)
	if newBelow {
		v.Pgoff += addr - n.Start
		v.Start = addr
	} else {
		v.End = addr
	}
	vmaComplete(k, &vp, mm)
	return 0
}

// splitVMACheckedV618 models mm/vma.c:split_vma() (v6.18): -ENOMEM when
// the mm already has sysctl_max_map_count (65530) VMAs, which no modelled
// scope reaches, else __split_vma().
func splitVMACheckedV618(k *Kernel, mm int, vma vmaID, addr uint8, newBelow bool) int {
	return k.SplitVMA(mm, vma, addr, newBelow)
}

// vmsDetach puts v, just taken out of its mm's tree, at the end of the
// detached VMAs of vms (mas_store_gfp() into mas_detach, then
// vma_mark_detached()).
func vmsDetach(k *Kernel, vms *transitions.VMS, v vmaID) {
	k.UnlinkList(vms.MM, v)
	d := k.VMA(v)
	d.Prev, d.Next = state.NoVMA, state.NoVMA
	if vms.Detached == state.NoVMA {
		vms.Detached = v
		return
	}
	last := vms.Detached
	for k.VMA(last).Next != state.NoVMA {
		last = k.VMA(last).Next
	}
	k.VMA(last).Next = v
	d.Prev = last
}

// vmsGatherMunmapVMAsV618 models mm/vma.c:vms_gather_munmap_vmas()
// (v6.18): split the first VMA at vms->start (__split_vma(), new_below =
// 1: the new VMA keeps the part below), note the VMA before the range;
// then detach each VMA of the range, splitting the last at vms->end
// (new_below = 0: the new VMA keeps the part above), with the
// CONFIG_DEBUG_VM_MAPLE_TREE BUG_ON()s that each starts inside the range;
// note the VMA after it. The detached VMAs stay where the kernel leaves
// them until their PTEs are cleared. The map_count check before the first
// split cannot fire at these scopes.
//
// When the first split fails it returns the error (start_split_failed);
// when the last one does, the VMAs detached so far are reattached first
// (end_split_failed: reattach_vmas()), while the first split stays done.
// The kernel's detached VMAs never left the mm's tree (only
// vma_iter_clear_gfp() or the new mapping's store removes them), so
// reattaching is vma_mark_attached(); the model, whose list stands for
// the tree and which took them off it as it detached them, puts them
// back. Each VMA is stored into the detached tree at its count
// (mas_set(mas_detach, vms->vma_count++); mas_store_gfp()): the first goes
// into the root pointer, the second needs the tree's one node, the later
// ones go into it, the tree not being an RCU tree. So the second store is
// the one that allocates; when it fails (munmap_gather_failed) the VMA
// detached before it is reattached.
func vmsGatherMunmapVMAsV618(k *Kernel, vms *transitions.VMS) int {
	mm := vms.MM
	if vms.Start > k.VMA(vms.VMA).Start {
		if err := k.SplitVMA(mm, vms.VMA, vms.Start, true); err != 0 {
			return err // goto start_split_failed
		}
	}
	vms.Prev = k.VMA(vms.VMA).Prev // vma_prev(vms->vmi)
	next := vms.VMA
	for next != state.NoVMA && k.VMA(next).Start < vms.End { // for_each_vma_range
		if k.VMA(next).End > vms.End {
			if err := k.SplitVMA(mm, next, vms.End, false); err != 0 {
				reattachVMAs(k, vms) // end_split_failed
				return err
			}
		}
		if vms.VMACount == 1 && !k.MasStoreGFP(next) {
			reattachVMAs(k, vms) // munmap_gather_failed
			return transitions.ENOMEM
		}
		following := k.VMA(next).Next
		vms.VMACount++
		vms.NrPages += int(k.VMA(next).Pages())
		k.BugOn(k.VMA(next).Start < vms.Start, transitions.BugVMSGatherStart)
		k.BugOn(k.VMA(next).Start > vms.End, transitions.BugVMSGatherEnd)
		vmsDetach(k, vms, next)
		next = following
	}
	vms.Next = next // vma_next(vms->vmi)
	vms.ClearPTEs = true
	return 0
}

// reattachVMAs models mm/vma.c:reattach_vmas() (v6.18): the VMAs gathered
// for a munmap that is not going ahead are attached again
// (vma_mark_attached()) and the detached tree is destroyed. In the model
// the detached VMAs left the mm's list (vmsDetach), so each goes back to
// its place there; map_count never counted them out (only
// vms_complete_munmap_vmas() does), so it is not touched.
func reattachVMAs(k *Kernel, vms *transitions.VMS) {
	for v := vms.Detached; v != state.NoVMA; {
		next := k.VMA(v).Next
		k.InsertList(vms.MM, v, k.FindPrev(vms.MM, k.VMA(v).Start))
		v = next
	}
	vms.Detached, vms.VMACount, vms.NrPages = state.NoVMA, 0, 0
}

// vmsAbortMunmapVMAs models mm/vma.c:vms_abort_munmap_vmas() (v6.18),
// __mmap_region()'s abort_munmap: nothing to undo when nothing was
// gathered; gathered VMAs whose PTEs are still there are reattached
// (reattach_vmas()); once vms_clean_up_area() has cleared their PTEs (as
// __mmap_prepare() always does for an anonymous mapping) they cannot come
// back: the range is stored as a gap ("the old failure method of leaving a
// gap where the MAP_FIXED mapping failed": mas_store_gfp(NULL), already
// the case in the model's list) and the munmap is completed
// (vms_complete_munmap_vmas()).
func vmsAbortMunmapVMAs(k *Kernel, vms *transitions.VMS) {
	if vms.NrPages == 0 {
		return
	}
	if vms.ClearPTEs {
		reattachVMAs(k, vms)
		return
	}
	k.VMSCompleteMunmapVMAs(vms)
}

// vmsClearPTEsV618 models mm/vma.c:vms_clear_ptes() (v6.18): once, for the
// detached VMAs, unmap_vmas() over [vms->start, vms->end) and
// free_pgtables(), which unlinks each VMA's anon_vmas (unlink_anon_vmas()).
func vmsClearPTEsV618(k *Kernel, vms *transitions.VMS) {
	if !vms.ClearPTEs {
		return
	}
	k.UnmapVMAs(vms.Detached, vms.Start, vms.End)
	k.FreePgtables(vms.Detached)
	vms.ClearPTEs = false
}

// vmsCompleteMunmapVMAsV618 models mm/vma.c:vms_complete_munmap_vmas()
// (v6.18): map_count drops by the VMAs detached; if there were any, their
// PTEs are cleared (vms_clear_ptes(), unless __mmap_prepare() did it
// already) and each is freed (remove_vma()). mmap_write_downgrade() has no
// lock to downgrade.
func vmsCompleteMunmapVMAsV618(k *Kernel, vms *transitions.VMS) {
	k.S.MMs[vms.MM].MapCount -= uint8(vms.VMACount)
	if vms.NrPages == 0 {
		return
	}
	k.VMSClearPTEs(vms)
	v5.RemoveVMAs(k, vms.Detached)
}

// initVMAMunmap is mm/vma.c:init_vma_munmap() (v6.18): the munmap of
// [start, end) starting at vma, or of nothing when vma is NULL.
func initVMAMunmap(mm int, vma vmaID, start, end uint8) transitions.VMS {
	vms := transitions.VMS{MM: mm, VMA: vma}
	if vma != state.NoVMA {
		vms.Start, vms.End = start, end
	}
	return vms
}

// doVMIAlignMunmapV618 models mm/vma.c:do_vmi_align_munmap() (v6.18):
// gather the VMAs of [start, end) (vms_gather_munmap_vmas()), clear the
// range in the tree (vma_iter_clear_gfp(): the model took them out of the
// list as it detached them), then vms_complete_munmap_vmas(). The clear is
// a store of NULL into the mm's tree, an RCU tree whose stores copy nodes,
// so it allocates; when that fails (clear_tree_failed, mm/vma.c:1531) the
// gathered VMAs are reattached and the splits done stay.
func doVMIAlignMunmapV618(k *Kernel, mm int, vma vmaID, start, end uint8) int {
	vms := initVMAMunmap(mm, vma, start, end)
	if err := k.VMSGatherMunmapVMAs(&vms); err != 0 {
		return err
	}
	if !k.MasStoreGFP(vma) {
		reattachVMAs(k, &vms) // clear_tree_failed
		return transitions.ENOMEM
	}
	k.VMSCompleteMunmapVMAs(&vms)
	return 0
}

// doVMIMunmapV618 models mm/vma.c:do_vmi_munmap() (v6.18) for a
// page-aligned range inside the address space: nothing to do when no VMA
// overlaps [start, end) (vma_find()), else do_vmi_align_munmap() from the
// first that does.
func doVMIMunmapV618(k *Kernel, mm int, start, end uint8) int {
	vma := k.FindVMA(mm, start)
	if vma == state.NoVMA || k.VMA(vma).Start >= end {
		return 0
	}
	return k.DoVMIAlignMunmap(mm, vma, start, end)
}

// munmapV618 is the munmap() system call of v6.18: __vm_munmap() ->
// do_vmi_munmap() (mm/vma.c).
func munmapV618(k *Kernel, mm int, start, end uint8) int { return k.DoVMIMunmap(mm, start, end) }

// mmapPrepareV618 models mm/vma.c:__mmap_prepare() (v6.18) for a private
// anonymous mapping: gather whatever overlaps [addr, end) for unmapping
// (vms_gather_munmap_vmas()), which also finds the VMAs around the range,
// or find them (vma_iter_next_rewind()); charge a private writable mapping
// (accountable_mapping(): VM_WRITE without VM_NORESERVE or VM_SHARED gets
// VM_ACCOUNT); then clear the PTEs of the gathered VMAs while they are
// still in the tree (vms_clean_up_area()), which also unlinks their
// anon_vmas. may_expand_vm() and the commit charge cannot refuse here.
func mmapPrepareV618(k *Kernel, mp *transitions.MmapState) int {
	vma := k.FindVMA(mp.MM, mp.Addr) // vma_find(vmi, map->end)
	if vma != state.NoVMA && k.VMA(vma).Start >= mp.End {
		vma = state.NoVMA
	}
	mp.VMS = initVMAMunmap(mp.MM, vma, mp.Addr, mp.End)
	if vma != state.NoVMA {
		if err := k.VMSGatherMunmapVMAs(&mp.VMS); err != 0 {
			mp.VMS.NrPages = 0
			return err
		}
		mp.Next, mp.Prev = mp.VMS.Next, mp.VMS.Prev
	} else {
		mp.Prev = k.FindPrev(mp.MM, mp.Addr)
		mp.Next = k.FindVMA(mp.MM, mp.Addr)
	}
	if mp.Flags&state.VMWrite != 0 {
		mp.Flags |= state.VMAccount
	}
	// vms_clean_up_area(): vm_ops->close has nothing to do.
	if mp.VMS.NrPages != 0 {
		k.VMSClearPTEs(&mp.VMS)
	}
	return 0
}

// mmapNewVMAV618 models mm/vma.c:__mmap_new_vma() (v6.18) for an
// anonymous mapping: vm_area_alloc(), the range, page offset and flags of
// the mapping (vma_set_anonymous()), stored in the tree
// (vma_iter_store_new()) and counted in map_count. -ENOMEM when
// vm_area_alloc() fails, or the vma_iter_prealloc() after it (the VMA is
// freed: free_vma, mm/vma.c:2470).
func mmapNewVMAV618(k *Kernel, mp *transitions.MmapState) (vmaID, int) {
	nv := k.AllocVMA(mp.MM)
	if nv == state.NoVMA {
		return state.NoVMA, transitions.ENOMEM
	}
	n := k.S.VMA(nv)
	vmaSetRange(n, mp.Addr, mp.End, mp.Pgoff)
	n.Flags = mp.Flags
	if !k.MasPreallocate(nv) {
		k.VMAreaFree(nv) // free_vma
		return state.NoVMA, transitions.ENOMEM
	}
	k.LinkList(mp.MM, nv, k.FindPrev(mp.MM, mp.Addr))
	return nv, 0
}

// mmapCompleteV618 models mm/vma.c:__mmap_complete() (v6.18): the munmap
// of what the mapping replaced is completed (vms_complete_munmap_vmas()).
// VM_SOFTDIRTY, which it sets, is not kept by the model, and the mapping
// is not VM_LOCKED.
func mmapCompleteV618(k *Kernel, mp *transitions.MmapState, vma vmaID) {
	k.VMSCompleteMunmapVMAs(&mp.VMS)
}

// mmapRegionInnerV618 models mm/vma.c:__mmap_region() (v6.18) for a
// MAP_FIXED private anonymous mapping of [addr, end), with vm_pgoff = addr
// >> PAGE_SHIFT as do_mmap() passes it for private anonymous mappings:
// __mmap_prepare(); if there is a VMA before or after the range, try
// vma_merge_new_range() with no anon_vma; else, or if that fails,
// __mmap_new_vma(); then __mmap_complete(). When __mmap_prepare() or
// __mmap_new_vma() fails it goes to abort_munmap
// (vms_abort_munmap_vmas()) and returns the error: a failed
// vms_gather_munmap_vmas() has reattached what it gathered (and
// __mmap_prepare() zeroed nr_pages), so nothing more is undone; after
// vms_clean_up_area() the old mapping is gone and the range stays a gap.
// A merge that fails for want of memory (dup_anon_vma() in vma_expand(),
// which does not report VMA_MERGE_ERROR_NOMEM, or commit_merge(), which
// does) falls back to __mmap_new_vma(), as a merge that is not possible
// does: __mmap_region() does not look at the state.
func mmapRegionInnerV618(k *Kernel, mm int, addr, end uint8, fl vmaFlags) int {
	mp := transitions.MmapState{MM: mm, Addr: addr, End: end, Pgoff: addr, Flags: fl}
	if err := k.MmapPrepare(&mp); err != 0 {
		vmsAbortMunmapVMAs(k, &mp.VMS) // goto abort_munmap
		return err
	}
	vma := state.NoVMA
	if mp.Prev != state.NoVMA || mp.Next != state.NoVMA {
		// VMG_MMAP_STATE(vmg, &map, NULL)
		g := vmg{MM: mm, Start: addr, End: end, Flags: mp.Flags, Pgoff: mp.Pgoff, Prev: mp.Prev, Next: mp.Next}
		vma = k.VMAMergeNewRange(&g)
	}
	if vma == state.NoVMA {
		var err int
		if vma, err = k.MmapNewVMA(&mp); err != 0 {
			vmsAbortMunmapVMAs(k, &mp.VMS) // goto unacct_error, abort_munmap
			return err
		}
	}
	k.MmapComplete(&mp, vma)
	return 0
}

// mmapRegionV618 models mm/vma.c:mmap_region() (v6.18): its checks (MDWE,
// arch_validate_flags(), a writable shared file) do not apply to private
// anonymous mappings; __mmap_region() does the work.
func mmapRegionV618(k *Kernel, mm int, addr, end uint8, fl vmaFlags) int {
	return k.MmapRegionInner(mm, addr, end, fl)
}

// exitMmapV61 models mm/mmap.c:exit_mmap() (v6.1, the maple tree
// version, line 3111 at e451e259e; unchanged for the modelled state in
// v6.18): v5.4's teardown (v5.ExitMmapTeardown: unmap_vmas(),
// free_pgtables(), remove_vma() of each VMA), then BUG_ON(count !=
// mm->map_count) for the VMAs removed; an mm with no VMA goes straight to
// destroy.
func exitMmapV61(k *Kernel, mm int) {
	if count, any := v5.ExitMmapTeardown(k, mm); any {
		k.BugOn(count != int(k.S.MMs[mm].MapCount), transitions.BugExitMmapCount)
	}
}

// findMergeableAnonVMAV618 models mm/vma.c:find_mergeable_anon_vma()
// (v6.18), which walks the maple tree: the VMA at vma->vm_end (next, if
// one starts right there) may give its anon_vma (reusable_anon_vma());
// else one step back must land on vma itself (VM_BUG_ON_VMA(prev != vma):
// vma must be in its mm's tree) and one more on the VMA before it, which
// may. On the model's list, the VMA a step back from vm_end is the last
// one starting below it.
func findMergeableAnonVMAV618(k *Kernel, vma vmaID) avID {
	v := k.VMA(vma)
	mm := int(v.MM) - 1
	if next := k.S.FindVMA(mm, v.End); next != state.NoVMA { // vma_iter_load()
		if av := k.ReusableAnonVMA(next, vma, next); av != state.NoAV {
			return av
		}
	}
	prev := k.FindPrev(mm, v.End)
	k.BugOn(prev != vma, transitions.BugFindMergeablePrev)
	if prev = k.FindPrev(mm, v.Start); prev != state.NoVMA {
		return k.ReusableAnonVMA(prev, prev, vma)
	}
	return state.NoAV
}
