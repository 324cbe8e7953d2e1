package transitions

// Assertion names one of the kernel's own checks on the modelled paths
// (kernel-reference.md section 8), or a fault the kernel would take (NULL
// dereference, use-after-free). A state records the first BUG-class and
// the first WARN-class assertion that fired.
type Assertion uint8

// The modelled assertions. BUG-class ones end the operation.
const (
	AssertNone Assertion = iota

	BugNullDeref             // NULL pointer dereference
	BugUseAfterFree          // KASAN: use-after-free of an anon_vma or a VMA
	BugAnonVMAFreeRefcount   // anon_vma_free(): VM_BUG_ON(atomic_read(&anon_vma->refcount))
	BugAnonVMAMerge          // anon_vma_merge(): VM_BUG_ON_VMA(vma->anon_vma != next->anon_vma, vma)
	BugPageSetAnonRmapNoAV   // __page_set_anon_rmap(): BUG_ON(!anon_vma)
	BugPageAddNewAnonRmap    // page_add_new_anon_rmap(): VM_BUG_ON_VMA(address < vma->vm_start || address >= vma->vm_end, vma)
	BugPageMoveAnonRmapNoAV  // page_move_anon_rmap(): VM_BUG_ON_VMA(!anon_vma, vma)
	BugFindMergeablePrev     // find_mergeable_anon_vma() (maple tree): VM_BUG_ON_VMA(prev != vma, vma)
	BugWPPageReuseShared     // wp_page_reuse(): VM_BUG_ON(PageAnon(page) && !PageAnonExclusive(page)) (v5.19+)
	BugCopyPresentExclusive  // copy_present_pte(): VM_BUG_ON(page && PageAnon(page) && PageAnonExclusive(page)) (v5.19+)
	lastBug                  // marks the end of the BUG-class assertions
	WarnLockAnonVMARoot      // lock_anon_vma_root(): WARN_ON_ONCE(root)
	WarnUnlinkDegree         // unlink_anon_vmas(): VM_WARN_ON(anon_vma->degree)
	WarnUnlinkNumChildren    // unlink_anon_vmas(): VM_WARN_ON(anon_vma->num_children)
	WarnUnlinkNumActiveVMAs  // unlink_anon_vmas(): VM_WARN_ON(anon_vma->num_active_vmas)
	WarnVMAMergePrev         // vma_merge(): VM_WARN_ON(prev && addr <= prev->vm_start)
	WarnVMAMergeArea         // vma_merge(): VM_WARN_ON(area && end > area->vm_end)
	WarnVMAMergeAddr         // vma_merge(): VM_WARN_ON(addr >= end)
	WarnVMAAdjustCase8End    // __vma_adjust(): VM_WARN_ON(end != next->vm_end)
	WarnVMAAdjustExpand      // __vma_adjust(): VM_WARN_ON(expand != vma)
	WarnVMAAdjustRemove2End  // __vma_adjust(): VM_WARN_ON(remove_next == 2 && end != next->vm_next->vm_end)
	WarnVMAAdjustRemove1End  // __vma_adjust(): VM_WARN_ON(remove_next == 1 && end != next->vm_end)
	WarnVMAAdjustImporter    // __vma_adjust(): VM_WARN_ON(expand != importer)
	WarnVMAAdjustNextAnonVMA // __vma_adjust(): VM_WARN_ON(adjust_next && next->anon_vma && anon_vma != next->anon_vma)
	WarnVMAAdjustHighest     // __vma_adjust(): VM_WARN_ON(mm->highest_vm_end != vm_end_gap(vma))
	WarnMprotectFixupFlags   // mprotect_fixup(): VM_WARN_ON((vma->vm_flags ^ newflags) & ~VM_SOFTDIRTY)

	// The checks of Linux 6.18 on the modelled paths (mm/vma.c, the folio
	// rmap functions), after the others so that the ids stored in states
	// and trace files keep their meaning; laterBugs marks the BUG-class
	// ones among them.
	WarnIsMergeableAnonVMASrc    // is_mergeable_anon_vma(): VM_WARN_ON(src && src_anon != src->anon_vma)
	WarnMultiVMAPrepAnonVMA      // init_multi_vma_prep(): VM_WARN_ON(vp->anon_vma && adjust && adjust->anon_vma && vp->anon_vma != adjust->anon_vma)
	WarnVMACompleteRemoveEnd     // vma_complete(): WARN_ON_ONCE(vp->vma->vm_end < vp->remove->vm_end)
	WarnSplitVMAStart            // __split_vma(): WARN_ON(vma->vm_start >= addr)
	WarnSplitVMAEnd              // __split_vma(): WARN_ON(vma->vm_end <= addr)
	WarnMergeExistingNoMiddle    // vma_merge_existing_range(): VM_WARN_ON_VMG(!middle, vmg)
	WarnMergeExistingNext        // vma_merge_existing_range(): VM_WARN_ON_VMG(vmg->next, vmg)
	WarnMergeExistingPrev        // vma_merge_existing_range(): VM_WARN_ON_VMG(prev && start <= prev->vm_start, vmg)
	WarnMergeExistingRange       // vma_merge_existing_range(): VM_WARN_ON_VMG(start >= end, vmg)
	WarnMergeExistingSpan        // vma_merge_existing_range(): the range must start middle (unless prev is middle) and end in it
	WarnMergeExistingRight       // vma_merge_existing_range(): VM_WARN_ON_VMG(!merge_right, vmg)
	WarnMergeExistingOffset      // vma_merge_existing_range(): VM_WARN_ON_VMG(vmg->start > middle->vm_start && prev && middle != prev, vmg)
	WarnMergeNewMiddle           // vma_merge_new_range(): VM_WARN_ON_VMG(vmg->middle, vmg)
	WarnMergeNewTarget           // vma_merge_new_range(): VM_WARN_ON_VMG(vmg->target, vmg)
	WarnVMAExpandTarget          // vma_expand(): VM_WARN_ON_VMG(!target, vmg)
	WarnVMAExpandRemoveNext      // vma_expand(): VM_WARN_ON_VMG(!can_merge_remove_vma(next), vmg)
	WarnVMAExpandOverwrite       // vma_expand(): VM_WARN_ON_VMG(next && !remove_next && next != target && vmg->end > next->vm_start, vmg)
	WarnVMAExpandShrink          // vma_expand(): VM_WARN_ON_VMG(target->vm_start < vmg->start || target->vm_end > vmg->end, vmg)
	WarnFolioAddNewAnonRmapAddr  // folio_add_new_anon_rmap(): VM_WARN_ON_ONCE(address < vma->vm_start || address + (nr << PAGE_SHIFT) > vma->vm_end)
	WarnCopyPresentPTEsExclusive // copy_present_ptes(): VM_WARN_ON_FOLIO(PageAnonExclusive(page), folio)
	BugVMSGatherStart            // vms_gather_munmap_vmas(): BUG_ON(next->vm_start < vms->start) (CONFIG_DEBUG_VM_MAPLE_TREE)
	BugVMSGatherEnd              // vms_gather_munmap_vmas(): BUG_ON(next->vm_start > vms->end) (CONFIG_DEBUG_VM_MAPLE_TREE)
	BugExitMmapCount             // exit_mmap(): BUG_ON(count != mm->map_count)
	BugFolioSetAnonNoAV          // __folio_set_anon(): BUG_ON(!anon_vma)
	BugFolioMoveAnonRmapNoAV     // folio_move_anon_rmap(): VM_BUG_ON_VMA(!anon_vma, vma)
	BugWPPageReuseFolio          // wp_page_reuse() (v6.18): VM_BUG_ON(folio_test_anon(folio) && !PageAnonExclusive(vmf->page))

	// The checks of Linux 6.1's vma_expand() (mm/mmap.c), which 6.18 made
	// warnings.
	BugVMAExpandOverwriteV61 // vma_expand() (v6.1): VM_BUG_ON(next && !remove_next && next != vma && end > next->vm_start)
	BugVMAExpandShrinkV61    // vma_expand() (v6.1): VM_BUG_ON(vma->vm_start < start || vma->vm_end > end)

	// The checks on the mremap paths.
	BugCopyVMAFaultedSelf // copy_vma(): VM_BUG_ON_VMA(faulted_in_anon_vma, new_vma) when the source merged into the copy
	WarnMovePTEsNotNone   // move_ptes(): VM_WARN_ON_ONCE(!pte_none(*new_ptep))
	numAssertions
)

// laterBugs marks the BUG-class assertions listed after lastBug.
var laterBugs = [numAssertions]bool{
	BugVMSGatherStart: true, BugVMSGatherEnd: true, BugExitMmapCount: true,
	BugFolioSetAnonNoAV: true, BugFolioMoveAnonRmapNoAV: true, BugWPPageReuseFolio: true,
	BugVMAExpandOverwriteV61: true, BugVMAExpandShrinkV61: true,
	BugCopyVMAFaultedSelf: true,
}

// AssertionInfo describes an assertion for reports.
type AssertionInfo struct {
	Func  string // kernel function that holds the check
	Check string // the check as written in the kernel source
}

var assertionInfo = [numAssertions]AssertionInfo{
	BugNullDeref:             {"", "NULL pointer dereference"},
	BugUseAfterFree:          {"", "KASAN: use-after-free of a freed anon_vma or vm_area_struct"},
	BugAnonVMAFreeRefcount:   {"anon_vma_free", "VM_BUG_ON(atomic_read(&anon_vma->refcount))"},
	BugAnonVMAMerge:          {"anon_vma_merge", "VM_BUG_ON_VMA(vma->anon_vma != next->anon_vma, vma)"},
	BugPageSetAnonRmapNoAV:   {"__page_set_anon_rmap", "BUG_ON(!anon_vma)"},
	BugPageAddNewAnonRmap:    {"page_add_new_anon_rmap", "VM_BUG_ON_VMA(address < vma->vm_start || address >= vma->vm_end, vma)"},
	BugPageMoveAnonRmapNoAV:  {"page_move_anon_rmap", "VM_BUG_ON_VMA(!anon_vma, vma)"},
	BugFindMergeablePrev:     {"find_mergeable_anon_vma", "VM_BUG_ON_VMA(prev != vma, vma)"},
	BugWPPageReuseShared:     {"wp_page_reuse", "VM_BUG_ON(PageAnon(page) && !PageAnonExclusive(page))"},
	BugCopyPresentExclusive:  {"copy_present_pte", "VM_BUG_ON(page && PageAnon(page) && PageAnonExclusive(page))"},
	WarnLockAnonVMARoot:      {"lock_anon_vma_root", "WARN_ON_ONCE(root)"},
	WarnUnlinkDegree:         {"unlink_anon_vmas", "VM_WARN_ON(anon_vma->degree)"},
	WarnUnlinkNumChildren:    {"unlink_anon_vmas", "VM_WARN_ON(anon_vma->num_children)"},
	WarnUnlinkNumActiveVMAs:  {"unlink_anon_vmas", "VM_WARN_ON(anon_vma->num_active_vmas)"},
	WarnVMAMergePrev:         {"vma_merge", "VM_WARN_ON(prev && addr <= prev->vm_start)"},
	WarnVMAMergeArea:         {"vma_merge", "VM_WARN_ON(area && end > area->vm_end)"},
	WarnVMAMergeAddr:         {"vma_merge", "VM_WARN_ON(addr >= end)"},
	WarnVMAAdjustCase8End:    {"__vma_adjust", "VM_WARN_ON(end != next->vm_end)"},
	WarnVMAAdjustExpand:      {"__vma_adjust", "VM_WARN_ON(expand != vma)"},
	WarnVMAAdjustRemove2End:  {"__vma_adjust", "VM_WARN_ON(remove_next == 2 && end != next->vm_next->vm_end)"},
	WarnVMAAdjustRemove1End:  {"__vma_adjust", "VM_WARN_ON(remove_next == 1 && end != next->vm_end)"},
	WarnVMAAdjustImporter:    {"__vma_adjust", "VM_WARN_ON(expand != importer)"},
	WarnVMAAdjustNextAnonVMA: {"__vma_adjust", "VM_WARN_ON(adjust_next && next->anon_vma && anon_vma != next->anon_vma)"},
	WarnVMAAdjustHighest:     {"__vma_adjust", "VM_WARN_ON(mm->highest_vm_end != vm_end_gap(vma))"},
	WarnMprotectFixupFlags:   {"mprotect_fixup", "VM_WARN_ON((vma->vm_flags ^ newflags) & ~VM_SOFTDIRTY)"},

	WarnIsMergeableAnonVMASrc: {"is_mergeable_anon_vma", "VM_WARN_ON(src && src_anon != src->anon_vma)"},
	WarnMultiVMAPrepAnonVMA: {"init_multi_vma_prep",
		"VM_WARN_ON(vp->anon_vma && adjust && adjust->anon_vma && vp->anon_vma != adjust->anon_vma)"},
	WarnVMACompleteRemoveEnd:  {"vma_complete", "WARN_ON_ONCE(vp->vma->vm_end < vp->remove->vm_end)"},
	WarnSplitVMAStart:         {"__split_vma", "WARN_ON(vma->vm_start >= addr)"},
	WarnSplitVMAEnd:           {"__split_vma", "WARN_ON(vma->vm_end <= addr)"},
	WarnMergeExistingNoMiddle: {"vma_merge_existing_range", "VM_WARN_ON_VMG(!middle, vmg)"},
	WarnMergeExistingNext:     {"vma_merge_existing_range", "VM_WARN_ON_VMG(vmg->next, vmg)"},
	WarnMergeExistingPrev:     {"vma_merge_existing_range", "VM_WARN_ON_VMG(prev && start <= prev->vm_start, vmg)"},
	WarnMergeExistingRange:    {"vma_merge_existing_range", "VM_WARN_ON_VMG(start >= end, vmg)"},
	WarnMergeExistingSpan: {"vma_merge_existing_range",
		"VM_WARN_ON_VMG(middle && ((middle != prev && vmg->start != middle->vm_start) || vmg->end > middle->vm_end), vmg)"},
	WarnMergeExistingRight: {"vma_merge_existing_range", "VM_WARN_ON_VMG(!merge_right, vmg)"},
	WarnMergeExistingOffset: {"vma_merge_existing_range",
		"VM_WARN_ON_VMG(vmg->start > middle->vm_start && prev && middle != prev, vmg)"},
	WarnMergeNewMiddle:      {"vma_merge_new_range", "VM_WARN_ON_VMG(vmg->middle, vmg)"},
	WarnMergeNewTarget:      {"vma_merge_new_range", "VM_WARN_ON_VMG(vmg->target, vmg)"},
	WarnVMAExpandTarget:     {"vma_expand", "VM_WARN_ON_VMG(!target, vmg)"},
	WarnVMAExpandRemoveNext: {"vma_expand", "VM_WARN_ON_VMG(!can_merge_remove_vma(next), vmg)"},
	WarnVMAExpandOverwrite: {"vma_expand",
		"VM_WARN_ON_VMG(next && !remove_next && next != target && vmg->end > next->vm_start, vmg)"},
	WarnVMAExpandShrink: {"vma_expand", "VM_WARN_ON_VMG(target->vm_start < vmg->start || target->vm_end > vmg->end, vmg)"},
	WarnFolioAddNewAnonRmapAddr: {"folio_add_new_anon_rmap",
		"VM_WARN_ON_ONCE(address < vma->vm_start || address + (nr << PAGE_SHIFT) > vma->vm_end)"},
	WarnCopyPresentPTEsExclusive: {"copy_present_ptes", "VM_WARN_ON_FOLIO(PageAnonExclusive(page), folio)"},
	BugVMSGatherStart:            {"vms_gather_munmap_vmas", "BUG_ON(next->vm_start < vms->start)"},
	BugVMSGatherEnd:              {"vms_gather_munmap_vmas", "BUG_ON(next->vm_start > vms->end)"},
	BugExitMmapCount:             {"exit_mmap", "BUG_ON(count != mm->map_count)"},
	BugFolioSetAnonNoAV:          {"__folio_set_anon", "BUG_ON(!anon_vma)"},
	BugFolioMoveAnonRmapNoAV:     {"folio_move_anon_rmap", "VM_BUG_ON_VMA(!anon_vma, vma)"},
	BugWPPageReuseFolio:          {"wp_page_reuse", "VM_BUG_ON(folio_test_anon(folio) && !PageAnonExclusive(vmf->page))"},
	BugVMAExpandOverwriteV61:     {"vma_expand", "VM_BUG_ON(next && !remove_next && next != vma && end > next->vm_start)"},
	BugVMAExpandShrinkV61:        {"vma_expand", "VM_BUG_ON(vma->vm_start < start || vma->vm_end > end)"},
	BugCopyVMAFaultedSelf:        {"copy_vma", "VM_BUG_ON_VMA(faulted_in_anon_vma, new_vma)"},
	WarnMovePTEsNotNone:          {"move_ptes", "VM_WARN_ON_ONCE(!pte_none(*new_ptep))"},
}

// Info describes the assertion.
func (a Assertion) Info() AssertionInfo {
	if a >= numAssertions {
		return AssertionInfo{Check: "unknown assertion"}
	}
	return assertionInfo[a]
}

// IsBug reports whether the assertion is of the BUG class.
func (a Assertion) IsBug() bool {
	return a != AssertNone && (a < lastBug || a < numAssertions && laterBugs[a])
}

// String renders "func: check", as in a kernel log line.
func (a Assertion) String() string {
	i := a.Info()
	if i.Func == "" {
		return i.Check
	}
	return i.Func + ": " + i.Check
}
