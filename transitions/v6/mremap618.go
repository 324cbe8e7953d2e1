package v6

import (
	"anoncheck/state"
	"anoncheck/transitions"
	v5 "anoncheck/transitions/v5"
)

// mremap() as of Linux v6.18 (mm/mremap.c at tag v6.18, with copy_vma()
// and vma_merge_extend() of mm/vma.c), for private anonymous VMAs and the
// flag combinations the model explores (none, MREMAP_MAYMOVE|MREMAP_FIXED,
// MREMAP_MAYMOVE|MREMAP_FIXED|MREMAP_DONTUNMAP). Left out, as nothing
// modelled has them: userfaultfd, hugetlb, mlock (VM_LOCKED and
// populate_expand), mseal, KSM, vm_ops->may_split/mremap, VM_DONTEXPAND,
// VM_PFNMAP, and the accounting totals (may_expand_vm(),
// security_vm_enough_memory_mm(), vrm_stat_account()), which cannot refuse
// at the model's sizes. The page tables move PTE by PTE (move_ptes());
// the PMD/PUD-level moves of move_page_tables() give the same PTEs. No
// page's mapping or index changes: the new VMA's vm_pgoff keeps the old
// linear index, so rmap finds the page at its new address through the
// anon_vmas of the new VMA's chain.

// mremapV618 is the mremap() system call (SYSCALL_DEFINE5(mremap)): the
// vma_remap_struct of its arguments, then do_mremap().
func mremapV618(k *Kernel, mm int, start, end, to, toEnd uint8, fl transitions.MremapFlags) int {
	return k.DoMremap(&transitions.VRM{MM: mm, Addr: start, OldLen: end - start, NewAddr: to, NewLen: toEnd - to, Flags: fl})
}

// vrmImpliesNewAddr is vrm_implies_new_addr() (v6.18).
func vrmImpliesNewAddr(vrm *transitions.VRM) bool {
	return vrm.Flags&(transitions.MremapFixed|transitions.MremapDontUnmap) != 0
}

// vrmOverlaps is vrm_overlaps() (v6.18).
func vrmOverlaps(vrm *transitions.VRM) bool {
	return vrm.Addr+vrm.OldLen > vrm.NewAddr && vrm.NewAddr+vrm.NewLen > vrm.Addr
}

// checkMremapParams models mm/mremap.c:check_mremap_params() (v6.18): only
// the three flags; with a new address, MREMAP_MAYMOVE, the same length for
// MREMAP_DONTUNMAP, and no overlap of the old and new ranges. Alignment,
// TASK_SIZE and the map count limit cannot fail in the model.
func checkMremapParams(vrm *transitions.VRM) int {
	all := transitions.MremapMayMove | transitions.MremapFixed | transitions.MremapDontUnmap
	switch {
	case vrm.Flags&^all != 0, vrm.NewLen == 0:
		return transitions.EINVAL
	case !vrmImpliesNewAddr(vrm):
		return 0
	case vrm.Flags&transitions.MremapMayMove == 0,
		vrm.Flags&transitions.MremapDontUnmap != 0 && vrm.OldLen != vrm.NewLen,
		vrmOverlaps(vrm):
		return transitions.EINVAL
	}
	return 0
}

// doMremapV618 models mm/mremap.c:do_mremap() (v6.18):
// check_mremap_params(); a move without resize (MREMAP_FIXED, old_len ==
// new_len) goes to remap_move(), which moves each VMA of the range; else
// the VMA at addr (vma_lookup()), check_prep_vma(), and mremap_to() with a
// new address or mremap_at() without one.
func doMremapV618(k *Kernel, vrm *transitions.VRM) int {
	if err := checkMremapParams(vrm); err != 0 {
		return err
	}
	if vrm.Flags&transitions.MremapFixed != 0 && vrm.OldLen == vrm.NewLen { // vrm_move_only()
		return remapMove(k, vrm)
	}
	vrm.VMA = vmaLookup(k, vrm.MM, vrm.Addr)
	if err := checkPrepVMA(k, vrm); err != 0 {
		return err
	}
	if vrmImpliesNewAddr(vrm) {
		return k.MremapTo(vrm)
	}
	return k.MremapAt(vrm)
}

// vmaLookup is vma_lookup(): the VMA containing addr, or NULL.
func vmaLookup(k *Kernel, mm int, addr uint8) vmaID {
	if v := k.FindVMA(mm, addr); v != state.NoVMA && k.VMA(v).Start <= addr {
		return v
	}
	return state.NoVMA
}

// remapMove models mm/mremap.c:remap_move() (v6.18): each VMA of [addr,
// addr + old_len) in turn, split as needed, is moved by check_prep_vma()
// and mremap_to() to the new address plus its offset, keeping the gaps
// between the VMAs; a gap at the start of the range is -EFAULT. Every
// anonymous VMA may be moved with others (vma_multi_allowed()). The VMA
// iterator is re-read after each move (vma_iter_invalidate(), as
// mremap_to() with MREMAP_FIXED always asks): for_each_vma_range()'s
// vma_find(vmi, end) is then mas_find(&vmi->mas, end - 1) from the paused
// state, which (lib/maple_tree.c:mas_find_setup(), v6.18) stops when the
// last VMA found ended at or after end (mas->last >= max) and otherwise
// looks from that VMA's old end on. So a VMA that the move merged and
// grew (copy_vma() extending the source over the new range, or taking
// the following VMA) is not visited again.
func remapMove(k *Kernel, vrm *transitions.VRM) int {
	start, end, target := vrm.Addr, vrm.Addr+vrm.OldLen, vrm.NewAddr
	seen := false
	var lastEnd uint8
	for from := start; from < end; {
		vma := k.FindVMA(vrm.MM, from)
		if vma == state.NoVMA || k.VMA(vma).Start >= end {
			break
		}
		v := k.VMA(vma)
		if !seen && start < v.Start {
			return transitions.EFAULT
		}
		addr := max(v.Start, start)
		length := min(end, v.End) - addr
		var offset uint8
		if seen {
			offset = v.Start - lastEnd
		}
		lastEnd = v.End
		vrm.VMA, vrm.Addr, vrm.NewAddr = vma, addr, target+offset
		vrm.OldLen, vrm.NewLen = length, length
		err := checkPrepVMA(k, vrm)
		if err == 0 {
			err = k.MremapTo(vrm)
		}
		if err != 0 {
			return err
		}
		seen = true
		target = vrm.NewAddr + vrm.NewLen
		from = lastEnd
	}
	if !seen {
		return transitions.EFAULT
	}
	return 0
}

// checkPrepVMA models mm/mremap.c:check_prep_vma() (v6.18): -EFAULT
// without a VMA at addr; the delta and remap type; new_addr = addr when
// the VMA will not move; and for an expansion or a move, -EFAULT when the
// old range (the new length when shrinking) runs past the VMA's end.
func checkPrepVMA(k *Kernel, vrm *transitions.VRM) int {
	if vrm.VMA == state.NoVMA {
		return transitions.EFAULT
	}
	switch {
	case vrm.OldLen == vrm.NewLen:
		vrm.Delta, vrm.RemapType = 0, transitions.MremapNoResize
	case vrm.OldLen > vrm.NewLen:
		vrm.Delta, vrm.RemapType = vrm.OldLen-vrm.NewLen, transitions.MremapShrink
	default:
		vrm.Delta, vrm.RemapType = vrm.NewLen-vrm.OldLen, transitions.MremapExpand
	}
	if !vrmImpliesNewAddr(vrm) {
		vrm.NewAddr = vrm.Addr
	}
	if vrm.RemapType != transitions.MremapExpand && !vrmImpliesNewAddr(vrm) { // !vrm_will_map_new()
		return 0
	}
	oldLen := vrm.OldLen
	if vrm.RemapType == transitions.MremapShrink {
		oldLen = vrm.NewLen
	}
	if oldLen > k.VMA(vrm.VMA).End-vrm.Addr {
		return transitions.EFAULT
	}
	return 0
}

// shrinkVMA models mm/mremap.c:shrink_vma() (v6.18): do_vmi_munmap() of
// [addr + new_len, addr + old_len); without dropping the lock, the VMA at
// addr is looked up again.
func shrinkVMA(k *Kernel, vrm *transitions.VRM, dropLock bool) int {
	if err := k.DoVMIMunmap(vrm.MM, vrm.Addr+vrm.NewLen, vrm.Addr+vrm.OldLen); err != 0 {
		return err
	}
	vrm.VMA = state.NoVMA
	if !dropLock {
		if vrm.VMA = vmaLookup(k, vrm.MM, vrm.Addr); vrm.VMA == state.NoVMA {
			return transitions.EFAULT
		}
	}
	return 0
}

// mremapToV618 models mm/mremap.c:mremap_to() (v6.18): with MREMAP_FIXED,
// do_munmap() of the new range, then the VMA at addr again; a shrink
// first (shrink_vma()), after which old_len is new_len; the new address
// (vrm_set_new_addr(): get_unmapped_area() with MAP_FIXED gives it back);
// then move_vma().
func mremapToV618(k *Kernel, vrm *transitions.VRM) int {
	if vrm.Flags&transitions.MremapFixed != 0 {
		err := k.DoVMIMunmap(vrm.MM, vrm.NewAddr, vrm.NewAddr+vrm.NewLen)
		vrm.VMA = state.NoVMA
		if err != 0 {
			return err
		}
		if vrm.VMA = vmaLookup(k, vrm.MM, vrm.Addr); vrm.VMA == state.NoVMA {
			return transitions.EFAULT
		}
	}
	if vrm.RemapType == transitions.MremapShrink {
		if err := shrinkVMA(k, vrm, false); err != 0 {
			return err
		}
		vrm.OldLen = vrm.NewLen
	}
	return k.MoveVMA(vrm)
}

// mremapAtV618 models mm/mremap.c:mremap_at() (v6.18): no resize returns
// at once; a shrink unmaps the tail (shrink_vma()); an expansion
// (expand_vma()) grows the VMA in place when the range ends at the VMA's
// end and nothing is mapped after it (vrm_can_expand_in_place(),
// vma_expandable()), else without MREMAP_MAYMOVE it is -ENOMEM.
func mremapAtV618(k *Kernel, vrm *transitions.VRM) int {
	switch vrm.RemapType {
	case transitions.MremapNoResize:
		return 0
	case transitions.MremapShrink:
		return shrinkVMA(k, vrm, true)
	case transitions.MremapExpand:
		v := k.VMA(vrm.VMA)
		if v.End-vrm.Addr == vrm.OldLen && v5.VMAExpandable(k, vrm.VMA, vrm.Delta) {
			return expandVMAInPlace(k, vrm)
		}
		// Without MREMAP_MAYMOVE (MREMAP_MAYMOVE alone is not explored).
		return transitions.ENOMEM
	}
	return transitions.EINVAL // MREMAP_INVALID: not reached, check_prep_vma() set the type
}

// expandVMAInPlace models mm/mremap.c:expand_vma_in_place() (v6.18):
// vma_merge_extend() (mm/vma.c) merges [vm_end, vm_end + delta) into the
// VMA as a new range with the VMA as prev (VMG_VMA_STATE(vmg, vmi, vma,
// vma, vm_end, vm_end + delta) with middle NULL and next the following
// VMA), which vma_merge_new_range() lets the VMA take, and next too when
// it now touches and may merge. NULL is -ENOMEM.
func expandVMAInPlace(k *Kernel, vrm *transitions.VRM) int {
	v := k.VMA(vrm.VMA)
	g := vmgVMAState(k, vrm.VMA, vrm.VMA, v.End, v.End+vrm.Delta)
	g.Next = k.FindVMA(vrm.MM, v.End) // vma_iter_next_rewind()
	g.Middle = state.NoVMA
	vma := k.VMAMergeNewRange(&g)
	if vma == state.NoVMA {
		return transitions.ENOMEM
	}
	vrm.VMA = vma
	return 0
}

// moveVMAV618 models mm/mremap.c:move_vma() (v6.18): prep_move_vma() and
// vrm_calc_charge() cannot refuse; copy_vma_and_data() copies the VMA to
// the new range (copy_vma()) and moves the page tables; then
// MREMAP_DONTUNMAP completes (dontunmap_complete()) or the old range is
// unmapped (unmap_source_vma()).
func moveVMAV618(k *Kernel, vrm *transitions.VRM) int {
	newVMA, err := copyVMAAndData(k, vrm)
	if err != 0 && newVMA == state.NoVMA {
		return err
	}
	if err == 0 && vrm.Flags&transitions.MremapDontUnmap != 0 {
		dontunmapComplete(k, vrm, newVMA)
	} else {
		unmapSourceVMA(k, vrm)
	}
	return err
}

// copyVMAAndData models mm/mremap.c:copy_vma_and_data() (v6.18): the page
// offset of addr in the VMA goes to copy_vma(), which may merge the source
// into the copy (then the source is that VMA); move_page_tables() moves
// old_len of PTEs, which always succeeds in the model.
func copyVMAAndData(k *Kernel, vrm *transitions.VRM) (vmaID, int) {
	vma := vrm.VMA
	v := k.VMA(vma)
	newPgoff := v.Pgoff + (vrm.Addr - v.Start)
	newVMA := k.CopyVMA(&vma, vrm.NewAddr, vrm.NewLen, newPgoff)
	if newVMA == state.NoVMA {
		return state.NoVMA, transitions.ENOMEM
	}
	vrm.VMA = vma
	k.MovePageTables(vma, newVMA, vrm.Addr, vrm.NewAddr, vrm.OldLen)
	return newVMA, 0
}

// dontunmapComplete models mm/mremap.c:dontunmap_complete() (v6.18): the
// old VMA stays, empty (VM_LOCKED, which it clears, is never set); when the
// whole VMA was copied to another VMA its anon_vma links are no longer
// needed and unlink_anon_vmas() drops them (vma->anon_vma becomes NULL).
func dontunmapComplete(k *Kernel, vrm *transitions.VRM, newVMA vmaID) {
	v := k.VMA(vrm.VMA)
	if newVMA != vrm.VMA && vrm.Addr == v.Start && vrm.Addr+vrm.OldLen == v.End {
		k.UnlinkAnonVMAs(vrm.VMA)
	}
}

// unmapSourceVMA models mm/mremap.c:unmap_source_vma() (v6.18): for an
// accountable move (VM_ACCOUNT, not MREMAP_DONTUNMAP) VM_ACCOUNT is
// cleared on the VMA first, so that the munmap does not unaccount the
// pages the new VMA now holds; do_vmi_munmap() of the old range; then the
// parts of the VMA left before and after the range get VM_ACCOUNT back.
func unmapSourceVMA(k *Kernel, vrm *transitions.VRM) {
	addr, end := vrm.Addr, vrm.Addr+vrm.OldLen
	v := k.VMA(vrm.VMA)
	accountable := v.Flags&state.VMAccount != 0 && vrm.Flags&transitions.MremapDontUnmap == 0
	vmStart, vmEnd := v.Start, v.End
	if accountable {
		v.Flags &^= state.VMAccount
	}
	err := k.DoVMIMunmap(vrm.MM, addr, end)
	vrm.VMA = state.NoVMA
	if err != 0 || !accountable {
		return
	}
	if vmStart < addr {
		k.VMA(k.FindPrev(vrm.MM, addr)).Flags |= state.VMAccount // vma_prev(&vmi)
	}
	if vmEnd > end {
		k.VMA(k.FindVMA(vrm.MM, addr)).Flags |= state.VMAccount // vma_next(&vmi)
	}
}

// copyVMAV618 models mm/vma.c:copy_vma() (v6.18): the copy of *vmap at
// [addr, addr + len) with page offset pgoff, or addr's when the VMA is
// anonymous and unfaulted (no anon_vma), "to increase its chance of
// merging". The range must be empty. vma_merge_new_range() with the
// VMA's flags and anon_vma (VMG_VMA_STATE(), middle NULL) may extend a
// neighbour over it; if the source itself was merged into that neighbour
// (only possible unfaulted: VM_BUG_ON_VMA(faulted_in_anon_vma)), *vmap
// becomes it. Otherwise a new VMA: vm_area_dup(), vma_set_range(),
// anon_vma_clone() of the source, vma_link().
func copyVMAV618(k *Kernel, vmap *vmaID, addr, length, pgoff uint8) vmaID {
	return copyVMAMerge(k, vmap, addr, length, pgoff, func(g *vmg) vmaID {
		g.Middle = state.NoVMA // New VMA range.
		return k.VMAMergeNewRange(g)
	})
}

// copyVMAMerge is copy_vma() (v6.18 and 6.18.y) with the merge it tries
// given: merge gets VMG_VMA_STATE(vmg, &vmi, NULL, vma, addr, addr + len)
// with prev (find_vma_prev()), pgoff and next (vma_iter_next_rewind())
// set, middle still the source.
func copyVMAMerge(k *Kernel, vmap *vmaID, addr, length, pgoff uint8, merge func(g *vmg) vmaID) vmaID {
	return v5.CopyVMAWalk(k, vmap, addr, length, pgoff, func(mm int, prev vmaID, pgoff uint8) vmaID {
		g := vmgVMAState(k, prev, *vmap, addr, addr+length)
		g.Pgoff = pgoff
		g.Next = k.FindVMA(mm, addr) // vma_iter_next_rewind()
		return merge(&g)
	}, true)
}

// movePageTablesV618 models mm/mremap.c:move_page_tables() down to
// move_ptes() (v6.18): each present PTE of [old_addr, old_addr + len) is
// cleared and set, write bit and all, at the same offset from new_addr
// (VM_WARN_ON_ONCE(!pte_none(*new_ptep)) first), as v5.4's does. The
// page's mapping, index and mapcount do not change. It returns the length
// moved.
func movePageTablesV618(k *Kernel, old, new vmaID, oldAddr, newAddr, length uint8) uint8 {
	mm := int(k.VMA(old).MM) - 1
	for i := uint8(0); i < length; i++ {
		k.WarnOn(k.S.PT[mm][newAddr+i] != 0, transitions.WarnMovePTEsNotNone)
	}
	return v5.MovePageTablesV54(k, old, new, oldAddr, newAddr, length)
}
