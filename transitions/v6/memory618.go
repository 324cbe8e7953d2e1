package v6

import (
	"anoncheck/state"
	"anoncheck/transitions"
	v5 "anoncheck/transitions/v5"
)

// The folio rmap functions of mm/rmap.c and include/linux/rmap.h, the
// copy-on-write paths of mm/memory.c, mprotect_fixup() and the VMA update
// of madvise as of Linux v6.18. Pages are small folios (order 0: no mTHP,
// no THP), never pinned (no GUP, so fork never has to copy an exclusive
// page), never swapped and never KSM pages; a page's reference count is
// its mapcount, as in the v6.1 model.

// folioSetAnonV618 models mm/rmap.c:__folio_set_anon() (v6.18):
// BUG_ON(!vma->anon_vma); folio->mapping is vma->anon_vma, or its root
// when the folio is not exclusive ("we must use the _oldest_ possible
// anon_vma"), and folio->index is linear_page_index(). Unlike
// __page_set_anon_rmap() it is only called for new folios, so it has no
// early return for a folio that is already anonymous, and it leaves
// PageAnonExclusive to its caller.
func folioSetAnonV618(k *Kernel, pg pageID, vma vmaID, addr uint8, exclusive bool) {
	v := k.VMA(vma)
	av := v.AnonVMA
	k.BugOn(av == state.NoAV, transitions.BugFolioSetAnonNoAV)
	if !exclusive {
		av = k.AV(av).Root
	}
	p := k.S.Page(pg)
	p.Mapping = av
	p.Index = transitions.LinearPageIndex(v, addr)
}

// folioAddNewAnonRmapV618 models mm/rmap.c:folio_add_new_anon_rmap()
// (v6.18) for a small folio mapped with RMAP_EXCLUSIVE, as all its
// modelled callers (do_anonymous_page(), wp_page_copy()) map it:
// __folio_set_anon(), the mapcount starts at one, SetPageAnonExclusive(),
// then VM_WARN_ON_ONCE() that the address lies in the VMA (a VM_BUG_ON_VMA
// before anything else in v5.4).
func folioAddNewAnonRmapV618(k *Kernel, pg pageID, vma vmaID, addr uint8) {
	k.PageSetAnonRmap(pg, vma, addr, true)
	p := k.S.Page(pg)
	p.Mapcount = 1
	p.Flags |= state.PageAnonExclusive
	v := k.VMA(vma)
	k.WarnOn(addr < v.Start || addr+1 > v.End, transitions.WarnFolioAddNewAnonRmapAddr)
}

// folioMoveAnonRmapV618 models mm/rmap.c:folio_move_anon_rmap() (v6.18):
// VM_BUG_ON_VMA(!anon_vma); folio->mapping becomes vma->anon_vma. The
// folio lock is the caller's; PageAnonExclusive is set by do_wp_page().
func folioMoveAnonRmapV618(k *Kernel, pg pageID, vma vmaID) {
	av := k.VMA(vma).AnonVMA
	k.BugOn(av == state.NoAV, transitions.BugFolioMoveAnonRmapNoAV)
	k.S.Page(pg).Mapping = av
}

// folioTryDupAnonRmapPTEV618 models include/linux/rmap.h:
// folio_try_dup_anon_rmap_pte() -> __folio_try_dup_anon_rmap() (v6.18) for
// a small folio that cannot be pinned: ClearPageAnonExclusive() and one
// more mapping. (A maybe-pinned exclusive page would return -EBUSY and be
// copied; no page is pinned in the model.)
func folioTryDupAnonRmapPTEV618(k *Kernel, pg pageID) {
	p := k.S.Page(pg)
	p.Flags &^= state.PageAnonExclusive
	p.Mapcount++
}

// copyPageRangeV618 models mm/memory.c:copy_page_range() (v6.18) for a
// private anonymous VMA: vma_needs_copy() copies only when the parent VMA
// has an anon_vma; each present PTE goes to copyPresentPTEsV618.
func copyPageRangeV618(k *Kernel, dst, src vmaID) int {
	return v5.CopyPageRangeWalk(k, dst, src, copyPresentPTEsV618)
}

// copyPresentPTEsV618 models mm/memory.c:copy_present_ptes() (v6.18) for a
// small anonymous folio: folio_try_dup_anon_rmap_pte() (the folio is
// never pinned, so copy_present_page() is not taken), then
// VM_WARN_ON_FOLIO(PageAnonExclusive(page)) (a VM_BUG_ON in v6.1), then
// __copy_present_ptes(): a COW mapping's PTE is write-protected in the
// parent and copied write-protected to the child.
func copyPresentPTEsV618(k *Kernel, dmm, smm int, addr uint8, pg pageID) {
	k.PageDupRmap(pg)
	k.WarnOn(k.S.Page(pg).Flags&state.PageAnonExclusive != 0, transitions.WarnCopyPresentPTEsExclusive)
	k.S.PT[smm][addr] = state.MakePTE(pg, false)
	k.S.PT[dmm][addr] = state.MakePTE(pg, false)
}

// wpCanReuseAnonFolioV618 models mm/memory.c:wp_can_reuse_anon_folio()
// (v6.18) for a small folio that is neither KSM nor in the swap cache: it
// can be reused when the faulting mapping holds its only reference
// (folio_ref_count() == 1, which for the model's pages is a mapcount of
// one); then, under the folio lock, folio_move_anon_rmap() moves it to
// the VMA's anon_vma.
func wpCanReuseAnonFolioV618(k *Kernel, pg pageID, vma vmaID) bool {
	if k.S.Page(pg).Mapcount != 1 {
		return false
	}
	k.PageMoveAnonRmap(pg, vma)
	return true
}

// doWPPageV618 models mm/memory.c:do_wp_page() (v6.18) for a write fault
// on a private anonymous page: a PageAnonExclusive page is reused without
// further checks, another one when wp_can_reuse_anon_folio() says so, and
// SetPageAnonExclusive() marks it; wp_page_reuse() then asserts
// exclusivity and makes the PTE writable. Otherwise wp_page_copy().
func doWPPageV618(k *Kernel, vma vmaID, addr uint8) int {
	v := k.VMA(vma)
	pg := k.S.PT[v.MM-1][addr].Page()
	p := k.S.Page(pg)
	if p.Flags&state.PageAnonExclusive == 0 && !k.WPCanReuseAnonFolio(pg, vma) {
		return k.WPPageCopy(vma, addr)
	}
	p.Flags |= state.PageAnonExclusive
	wpPageReuse(k, vma, addr, pg, transitions.BugWPPageReuseFolio)
	return 0
}

// mprotectFixupV618 models mm/mprotect.c:mprotect_fixup() (v6.18): nothing
// to do when the flags do not change; a private mapping becoming writable
// for the first time is charged (VM_ACCOUNT), and one becoming read-only
// that is anonymous and has no anon_vma yet gives the charge back ("mm:
// mprotect: allow unfaulted VMAs to be unaccounted"); vma_modify_flags()
// merges the range into a neighbour or splits it off; then the VMA gets
// the flags and change_protection() the PTEs (MM_CP_TRY_CHANGE_WRITABLE:
// vma_wants_manual_pte_write_upgrade() holds for private VMAs). The
// sealing check and 5.x's VM_WARN_ON about the merged VMA's flags are gone
// or cannot apply. It returns the new *pprev.
func mprotectFixupV618(k *Kernel, vma, prev vmaID, start, end uint8, newflags vmaFlags) (vmaID, int) {
	v := k.VMA(vma)
	oldflags := v.Flags
	if newflags == oldflags {
		return vma, 0
	}
	if newflags&state.VMWrite != 0 {
		if oldflags&(state.VMAccount|state.VMWrite) == 0 {
			newflags |= state.VMAccount
		}
	} else if oldflags&state.VMAccount != 0 && v.AnonVMA == state.NoAV {
		newflags &^= state.VMAccount
	}
	vma, err := k.VMAModifyFlags(prev, vma, start, end, newflags)
	if err != 0 {
		return prev, err
	}
	k.VMA(vma).Flags = newflags // vm_flags_reset_once()
	k.ChangeProtection(vma, start, end)
	return vma, 0
}

// madviseVMABehaviorV618 models mm/madvise.c:madvise_vma_behavior()
// (v6.18) for the four fork advices: the new flags (v5.MadviseNewFlags)
// go to madvise_update_vma(); -ENOMEM is reported as -EAGAIN. The sealing
// check (can_madvise_modify()) cannot refuse. It returns the VMA the walk
// continues from (madv_behavior->vma), which madvise_walk_vmas() takes as
// prev.
func madviseVMABehaviorV618(k *Kernel, vma, prev vmaID, start, end uint8, behavior transitions.Advice) (vmaID, int) {
	newFlags := v5.MadviseNewFlags(k.VMA(vma).Flags, behavior)
	vma, err := k.MadviseUpdateVMA(vma, prev, start, end, newFlags)
	if err == transitions.ENOMEM {
		err = transitions.EAGAIN
	}
	return vma, err
}

// madviseUpdateVMAV618 models mm/madvise.c:madvise_update_vma() (v6.18)
// for a flags change: nothing to do when the flags are the same; else
// vma_modify_flags() merges or splits the range, and the VMA it returns
// gets the flags (vm_flags_reset()).
func madviseUpdateVMAV618(k *Kernel, vma, prev vmaID, start, end uint8, newFlags vmaFlags) (vmaID, int) {
	if newFlags == k.VMA(vma).Flags {
		return vma, 0
	}
	vma, err := k.VMAModifyFlags(prev, vma, start, end, newFlags)
	if err != 0 {
		return vma, err
	}
	k.VMA(vma).Flags = newFlags
	return vma, 0
}
