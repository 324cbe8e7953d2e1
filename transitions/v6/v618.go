package v6

import (
	"anoncheck/transitions"
)

// V618 returns the function table of Linux v6.18. Its anon_vma code
// (mm/rmap.c: anon_vma_alloc(), __anon_vma_prepare(), anon_vma_clone(),
// anon_vma_fork(), unlink_anon_vmas(); anon_vma_merge()) is v6.1's, as are
// dup_mmap() and vm_area_dup() for the modelled state, the fault entry,
// do_anonymous_page(), wp_page_copy(), change_protection() and the VMA
// walks of mprotect() and madvise(), so those entries are V61's. What
// 6.18 has of its own:
//   - mm/vma.c (6.12 and later) merges through vma_merge_new_range()
//     (mmap) and vma_merge_existing_range() (mprotect, madvise) with
//     vma_expand(), dup_anon_vma() and commit_merge() instead of
//     vma_merge() and __vma_adjust(); vma_modify_flags() splits with
//     split_vma();
//   - is_mergeable_anon_vma() with 879bca0a2c4f: a VMA with an anon_vma
//     merges into a neighbour without one and the reverse, unless the VMA
//     that has one is linked to its parents' anon_vmas;
//   - munmap gathers the VMAs of the range (vms_gather_munmap_vmas()) and
//     completes (vms_complete_munmap_vmas()); mmap() prepares that munmap,
//     clears the old PTEs and unlinks the old anon_vmas before it merges or
//     creates the new VMA (__mmap_region());
//   - find_mergeable_anon_vma() walks the maple tree;
//   - mprotect_fixup() gives back VM_ACCOUNT when an unfaulted anonymous
//     VMA becomes read-only;
//   - the folio rmap API: folio_add_new_anon_rmap(), __folio_set_anon(),
//     folio_move_anon_rmap() (do_wp_page() sets PageAnonExclusive),
//     folio_try_dup_anon_rmap_pte() and copy_present_ptes()' VM_WARN_ON;
//   - mremap (mm/mremap.c, mremap618.go; opt-in: --ops +mremap).
//
// It keeps v6.1's exit_mmap() (exitMmapV61), with its BUG_ON(count !=
// mm->map_count).
//
// The 5.x entries of mm/mmap.c that 6.18 no longer has (vma_merge(),
// __vma_adjust(), __do_munmap() and their predicates) are nil. Names gives
// the 6.18 names of the renamed functions for traces.
func V618() transitions.Funcs {
	f := V61()
	f.VMAMerge, f.VMAAdjust, f.DoMunmap = nil, nil, nil
	f.IsMergeableVMA, f.IsMergeableAnonVMA, f.CanVMAMergeBefore, f.CanVMAMergeAfter = nil, nil, nil, nil
	f.Sys.Munmap = munmapV618

	f.PageAddNewAnonRmap = folioAddNewAnonRmapV618
	f.PageSetAnonRmap = folioSetAnonV618
	f.PageMoveAnonRmap = folioMoveAnonRmapV618
	f.PageDupRmap = folioTryDupAnonRmapPTEV618
	f.CopyPageRange = copyPageRangeV618
	f.DoWPPage = doWPPageV618
	f.WPCanReuseAnonFolio = wpCanReuseAnonFolioV618

	f.FindMergeableAnonVMA = findMergeableAnonVMAV618
	f.IsMergeableVMAVMG = isMergeableVMAV618
	f.IsMergeableAnonVMAVMG = isMergeableAnonVMAV618
	f.CanVMAMergeBeforeVMG = canVMAMergeBeforeV618
	f.CanVMAMergeAfterVMG = canVMAMergeAfterV618
	f.CanVMAMergeLeft = canVMAMergeLeftV618
	f.CanVMAMergeRight = canVMAMergeRightV618
	f.DupAnonVMA = dupAnonVMAV618
	f.CommitMerge = commitMergeV618
	f.VMAMergeExistingRange = vmaMergeExistingRangeV618
	f.VMAMergeNewRange = vmaMergeNewRangeV618
	f.VMAExpand = vmaExpandV618
	f.VMAModify = vmaModifyV618
	f.VMAModifyFlags = vmaModifyFlagsV618
	f.SplitVMA = splitVMAV618
	f.SplitVMAChecked = splitVMACheckedV618
	f.VMSGatherMunmapVMAs = vmsGatherMunmapVMAsV618
	f.VMSClearPTEs = vmsClearPTEsV618
	f.VMSCompleteMunmapVMAs = vmsCompleteMunmapVMAsV618
	f.DoVMIAlignMunmap = doVMIAlignMunmapV618
	f.DoVMIMunmap = doVMIMunmapV618
	f.MmapRegion = mmapRegionV618
	f.MmapRegionInner = mmapRegionInnerV618
	f.MmapPrepare = mmapPrepareV618
	f.MmapNewVMA = mmapNewVMAV618
	f.MmapComplete = mmapCompleteV618

	f.MprotectFixup = mprotectFixupV618
	f.MadviseBehavior = madviseVMABehaviorV618
	f.MadviseUpdateVMA = madviseUpdateVMAV618

	f.Sys.Mremap = mremapV618
	f.DoMremap = doMremapV618
	f.MremapTo = mremapToV618
	f.MremapAt = mremapAtV618
	f.MoveVMA = moveVMAV618
	f.CopyVMA = copyVMAV618
	f.MovePageTables = movePageTablesV618

	f.Names = map[transitions.Fn]string{
		transitions.FnPageAddNewAnonRmap: "folio_add_new_anon_rmap",
		transitions.FnPageSetAnonRmap:    "__folio_set_anon",
		transitions.FnPageMoveAnonRmap:   "folio_move_anon_rmap",
		transitions.FnPageDupRmap:        "folio_try_dup_anon_rmap_pte",
		transitions.FnPageRemoveRmap:     "folio_remove_rmap_pte",
		transitions.FnMadvise:            "madvise_walk_vmas",
		transitions.FnMadviseBehavior:    "madvise_vma_behavior",
		transitions.FnZapPageRange:       "zap_page_range_single_batched",
	}
	return f
}
