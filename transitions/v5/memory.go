package v5

import (
	"anoncheck/state"
	"anoncheck/transitions"
)

// The functions of mm/memory.c as of Linux v5.4. Sources: see
// docs/SOURCES.md. Read faults are not modelled: on a private anonymous
// VMA they map the shared zero page, which is not an anonymous page and
// carries no rmap state, and a later write to it takes wp_page_copy(),
// which calls anon_vma_prepare() and page_add_new_anon_rmap() exactly as
// do_anonymous_page()'s write path does.

// handleMMFaultV54 models the write-fault path of arch/x86/mm/fault.c
// do_user_addr_fault() and mm/memory.c handle_mm_fault() ->
// handle_pte_fault() (v5.4): no VMA or no VM_WRITE is SIGSEGV
// (access_error) with no state change; an empty PTE goes to
// do_anonymous_page(); a present read-only PTE to do_wp_page(); a present
// writable PTE takes no fault at all.
// v6.18 first tries under the per-VMA lock and retries under the mmap lock
// when the VMA has no anon_vma yet (vmf_anon_prepare()); sequentially the
// fault ends the same way, so its table uses this function.
func handleMMFaultV54(k *Kernel, mm int, addr uint8, write bool) int {
	vma := k.FindVMA(mm, addr)
	if vma == state.NoVMA || k.VMA(vma).Start > addr {
		return transitions.EFAULT
	}
	if write && k.VMA(vma).Flags&state.VMWrite == 0 {
		return transitions.EFAULT
	}
	pte := k.S.PT[mm][addr]
	if pte.Page() == state.NoPage {
		return k.DoAnonymousPage(vma, addr)
	}
	if write && !pte.Writable() {
		return k.DoWPPage(vma, addr)
	}
	return 0
}

// DoAnonymousPageV54 models mm/memory.c:do_anonymous_page() (v5.4) for a
// write fault: anon_vma_prepare(vma), a new zeroed page,
// page_add_new_anon_rmap(), and a PTE that is writable when the VMA has
// VM_WRITE. When anon_vma_prepare() fails the fault returns VM_FAULT_OOM
// (goto oom) with nothing mapped.
// v6.18's do_anonymous_page() takes the same steps for an order-0 folio:
// vmf_anon_prepare() (__anon_vma_prepare()), the folio,
// folio_add_new_anon_rmap(RMAP_EXCLUSIVE) (the PageAddNewAnonRmap entry),
// set_ptes(); its table uses this function.
func DoAnonymousPageV54(k *Kernel, vma vmaID, addr uint8) int {
	if k.AnonVMAPrepare(vma) != 0 {
		return transitions.VMFaultOOM // goto oom
	}
	pg := k.AllocPage()
	k.PageAddNewAnonRmap(pg, vma, addr)
	v := k.VMA(vma)
	k.S.PT[v.MM-1][addr] = state.MakePTE(pg, v.Flags&state.VMWrite != 0)
	return 0
}

// doWPPageV54 models mm/memory.c:do_wp_page() (v5.4) for an anonymous,
// non-KSM page without swap: reuse_swap_page() says the page may be reused
// when page_mapcount() <= 1 and then sets total_map_swapcount to the
// mapcount; if that is 1, page_move_anon_rmap() moves the page to
// vma->anon_vma ("The page is all ours"), and wp_page_reuse() makes the PTE
// writable. Otherwise wp_page_copy().
func doWPPageV54(k *Kernel, vma vmaID, addr uint8) int {
	v := k.VMA(vma)
	pte := k.S.PT[v.MM-1][addr]
	pg := pte.Page()
	if mc := k.S.Page(pg).Mapcount; mc <= 1 {
		if mc == 1 {
			k.PageMoveAnonRmap(pg, vma)
		}
		// wp_page_reuse
		k.Case(transitions.CaseWPReuse)
		k.S.PT[v.MM-1][addr] = state.MakePTE(pg, v.Flags&state.VMWrite != 0)
		return 0
	}
	return k.WPPageCopy(vma, addr)
}

// wpPageCopyV54 models mm/memory.c:wp_page_copy() (v5.4): anon_vma_prepare()
// first (VM_FAULT_OOM when it fails, the old page still mapped
// read-only), a new page with a copy of the old one,
// page_add_new_anon_rmap() of the new page, the PTE switched to it
// (writable with VM_WRITE), then page_remove_rmap() and the release of the
// old page.
// v6.18's wp_page_copy() takes the same steps (vmf_anon_prepare(),
// folio_add_new_anon_rmap(), folio_remove_rmap_pte()); its table uses this
// function.
func wpPageCopyV54(k *Kernel, vma vmaID, addr uint8) int {
	if k.AnonVMAPrepare(vma) != 0 {
		return transitions.VMFaultOOM // goto oom
	}
	v := k.VMA(vma)
	mm := int(v.MM) - 1
	old := k.S.PT[mm][addr].Page()
	pg := k.AllocPage()
	k.PageAddNewAnonRmap(pg, vma, addr)
	k.S.PT[mm][addr] = state.MakePTE(pg, v.Flags&state.VMWrite != 0)
	k.PageRemoveRmap(old)
	k.PutPage(old)
	return 0
}

// copyPageRangeV54 models mm/memory.c:copy_page_range() with copy_one_pte()
// (v5.4) for private anonymous VMAs: nothing is copied when the parent VMA
// has no anon_vma; otherwise each present PTE is copied by copyOnePTEV54.
func copyPageRangeV54(k *Kernel, dst, src vmaID) int {
	return CopyPageRangeWalk(k, dst, src, copyOnePTEV54)
}

// CopyPageRangeWalk is what mm/memory.c:copy_page_range() does for a
// private anonymous VMA in every version from v5.4 to v6.18: nothing when
// src has no anon_vma (the child faults its pages in later; v6.1's and
// v6.18's vma_needs_copy()); otherwise the walk down to copy_pte_range()
// hands each present PTE of src, in address order, to copyPTE
// (copy_one_pte() in v5.4, copy_present_pte() in v6.1,
// copy_present_ptes() in v6.18) with the slot indexes of the child's and
// the parent's mm and the page it maps.
func CopyPageRangeWalk(k *Kernel, dst, src vmaID, copyPTE func(k *Kernel, dmm, smm int, addr uint8, pg pageID)) int {
	sv := k.VMA(src)
	if sv.AnonVMA == state.NoAV {
		return 0
	}
	dmm, smm := int(k.VMA(dst).MM)-1, int(sv.MM)-1
	for a := sv.Start; a < sv.End; a++ {
		if pg := k.S.PT[smm][a].Page(); pg != state.NoPage {
			copyPTE(k, dmm, smm, a, pg)
		}
	}
	return 0
}

// copyOnePTEV54 models mm/memory.c:copy_one_pte() (v5.4) for a present PTE
// of a private anonymous VMA: the PTE is write-protected in the parent
// (is_cow_mapping) and copied read-only to the child, and the page gains a
// mapping (get_page + page_dup_rmap). page->mapping is unchanged: the
// child reaches the page through the parent's anon_vmas on its chain.
func copyOnePTEV54(k *Kernel, dmm, smm int, addr uint8, pg pageID) {
	k.S.PT[smm][addr] = state.MakePTE(pg, false)
	k.S.PT[dmm][addr] = state.MakePTE(pg, false)
	k.PageDupRmap(pg)
}

// unmapVMAsV54 models mm/memory.c:unmap_vmas() with zap_pte_range() (v5.4)
// for anonymous pages: every PTE of the VMAs on the list in [start, end) is
// cleared, page_remove_rmap() drops the mapping and the page is released
// (through the TLB gather in the kernel) when nothing maps it.
// v6.18 (zap_present_ptes() -> folio_remove_rmap_ptes()) does the same; its
// table uses this function for munmap's detached VMAs and for exit_mmap().
func unmapVMAsV54(k *Kernel, vma vmaID, start, end uint8) {
	for v := vma; v != state.NoVMA; v = k.VMA(v).Next {
		UnmapSingleVMA(k, v, start, end)
	}
}

// UnmapSingleVMA is mm/memory.c:unmap_single_vma() down to zap_pte_range()
// (v5.4; v6.18 zap_present_ptes()) for a private anonymous VMA: each
// present PTE of vma in [start, end) is cleared, page_remove_rmap()
// (folio_remove_rmap_ptes()) drops the mapping, and the page is released
// when nothing maps it. page->mapping, the VMA's anon_vma and its chain
// are left as they are. unmap_vmas() calls it for each VMA of its list,
// zap_page_range() for the VMA madvise(MADV_DONTNEED) gives it.
func UnmapSingleVMA(k *Kernel, vma vmaID, start, end uint8) {
	vv := k.VMA(vma)
	mm := int(vv.MM) - 1
	for a := max(vv.Start, start); a < vv.End && a < end; a++ {
		pg := k.S.PT[mm][a].Page()
		if pg == state.NoPage {
			continue
		}
		k.S.PT[mm][a] = 0
		k.PageRemoveRmap(pg)
		k.PutPage(pg)
	}
}

// freePgtablesV54 models mm/memory.c:free_pgtables() (v5.4): for each VMA on
// the list, in order, unlink_anon_vmas() ("Hide vma from rmap ... before
// freeing pgtables") and unlink_file_vma() (nothing for anonymous VMAs).
// v6.18 does the same for the VMAs of the tree it is given (munmap's
// detached tree, or the mm's at exit).
func freePgtablesV54(k *Kernel, vma vmaID) {
	for v := vma; v != state.NoVMA; v = k.VMA(v).Next {
		k.UnlinkAnonVMAs(v)
	}
}
