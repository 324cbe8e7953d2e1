package v5

import (
	"anoncheck/state"
	"anoncheck/transitions"
)

// mremap() as of Linux v5.4 (mm/mremap.c; copy_vma() of mm/mmap.c), for
// private anonymous VMAs and the flag combinations the model explores.
// Source: mm/mremap.c of a 5.x tree of the public code index (before
// 5.2's seven-argument mmu_notifier_range_init(), which is all that
// separates its mremap(), mremap_to(), vma_to_resize(), move_vma() and
// move_ptes() from v5.4's; MREMAP_DONTUNMAP came in 5.7), and copy_vma()
// as v5.4 has it. Left out as in v6.18: userfaultfd, hugetlb, VM_LOCKED,
// KSM, vm_ops, VM_DONTEXPAND/VM_PFNMAP and the accounting totals, which
// cannot refuse at the model's sizes. MREMAP_MAYMOVE without
// MREMAP_FIXED is not explored.

// mremapV54 is the mremap() system call: its arguments in a
// transitions.VRM for the model's dispatch.
func mremapV54(k *Kernel, mm int, start, end, to, toEnd uint8, fl transitions.MremapFlags) int {
	return k.DoMremap(&transitions.VRM{MM: mm, Addr: start, OldLen: end - start, NewAddr: to, NewLen: toEnd - to, Flags: fl})
}

// doMremapV54 models the body of SYSCALL_DEFINE5(mremap) (v5.4): flags
// other than MREMAP_FIXED and MREMAP_MAYMOVE (MREMAP_DONTUNMAP among
// them) are -EINVAL; the rest is doMremapFlags().
func doMremapV54(k *Kernel, vrm *transitions.VRM) int {
	return doMremapFlags(k, vrm, transitions.MremapFixed|transitions.MremapMayMove)
}

// DoMremapV57 models the body of SYSCALL_DEFINE5(mremap) (v5.7, after
// e346b3813067 "mm/mremap: add MREMAP_DONTUNMAP to mremap()"):
// MREMAP_DONTUNMAP without MREMAP_MAYMOVE or with old_len != new_len is
// -EINVAL ("MREMAP_DONTUNMAP is always a move and it does not allow
// resizing"); otherwise v5.4's body with MREMAP_DONTUNMAP a known flag
// that, like MREMAP_FIXED, goes to mremap_to(). There is no vma_lookup()
// before mremap_to() yet (v6.1 has one): a move from an unmapped address
// unmaps the new range first, then vma_to_resize() says -EFAULT.
func DoMremapV57(k *Kernel, vrm *transitions.VRM) int {
	fl := vrm.Flags
	if fl&transitions.MremapDontUnmap != 0 && (fl&transitions.MremapMayMove == 0 || vrm.OldLen != vrm.NewLen) {
		return transitions.EINVAL
	}
	return doMremapFlags(k, vrm, transitions.MremapFixed|transitions.MremapMayMove|transitions.MremapDontUnmap)
}

// doMremapFlags is what SYSCALL_DEFINE5(mremap) does in v5.4 and v5.7
// once the flags are known: other flags than known, and MREMAP_FIXED
// without MREMAP_MAYMOVE, are -EINVAL; MREMAP_FIXED (and in v5.7
// MREMAP_DONTUNMAP) go to mremap_to(); a shrink in place is __do_munmap()
// of the tail (an old_len equal to new_len unmaps nothing and succeeds); a
// growth needs vma_to_resize(), then, when the range ends at the VMA's end
// and vma_expandable(), vma_adjust() grows the VMA; else -ENOMEM (without
// MREMAP_MAYMOVE).
func doMremapFlags(k *Kernel, vrm *transitions.VRM, known transitions.MremapFlags) int {
	fl := vrm.Flags
	if fl&^known != 0 ||
		fl&transitions.MremapFixed != 0 && fl&transitions.MremapMayMove == 0 || vrm.NewLen == 0 {
		return transitions.EINVAL
	}
	if fl&(transitions.MremapFixed|transitions.MremapDontUnmap) != 0 {
		return k.MremapTo(vrm)
	}
	if vrm.OldLen >= vrm.NewLen {
		if vrm.OldLen == vrm.NewLen {
			return 0 // __do_munmap() of nothing is -EINVAL, ignored when old_len == new_len
		}
		return k.DoMunmap(vrm.MM, vrm.Addr+vrm.NewLen, vrm.Addr+vrm.OldLen)
	}
	vma, err := VMAToResize(k, vrm)
	if err != 0 {
		return err
	}
	v := k.VMA(vma)
	if vrm.OldLen == v.End-vrm.Addr && VMAExpandable(k, vma, vrm.NewLen-vrm.OldLen) {
		// vma_adjust(vma, vma->vm_start, addr + new_len, vma->vm_pgoff, NULL)
		if k.VMAAdjust(vma, v.Start, vrm.Addr+vrm.NewLen, v.Pgoff, state.NoVMA, state.NoVMA) != 0 {
			return transitions.ENOMEM
		}
		return 0
	}
	return transitions.ENOMEM
}

// VMAExpandable models mm/mremap.c:vma_expandable() (v5.4; v6.18 the same
// through find_vma_intersection()): nothing mapped in [vm_end, vm_end +
// delta). get_unmapped_area() with MAP_FIXED accepts every range of the
// model's address space.
func VMAExpandable(k *Kernel, vma vmaID, delta uint8) bool {
	v := k.VMA(vma)
	return v.Next == state.NoVMA || k.VMA(v.Next).Start >= v.End+delta
}

// VMAToResize models mm/mremap.c:vma_to_resize() (v5.4): the VMA at addr
// (find_vma() and vm_start <= addr), else -EFAULT; -EFAULT when the old
// range runs past the VMA's end. The checks of a growing mapping
// (overflow, VM_DONTEXPAND, mlock, may_expand_vm(), the commit charge)
// cannot refuse here. v6.1's (vma_lookup(); MREMAP_DONTUNMAP refused only
// for VM_DONTEXPAND or VM_PFNMAP; the charge moved to the callers) comes
// out the same for the modelled VMAs.
func VMAToResize(k *Kernel, vrm *transitions.VRM) (vmaID, int) {
	vma := k.FindVMA(vrm.MM, vrm.Addr)
	if vma == state.NoVMA || k.VMA(vma).Start > vrm.Addr {
		return state.NoVMA, transitions.EFAULT
	}
	if vrm.OldLen > k.VMA(vma).End-vrm.Addr {
		return state.NoVMA, transitions.EFAULT
	}
	return vma, 0
}

// mremapToV54 models mm/mremap.c:mremap_to() (v5.4): overlapping old and
// new ranges are -EINVAL; do_munmap() of the new range; a shrink unmaps
// the old range's tail first and old_len becomes new_len;
// vma_to_resize(); get_unmapped_area() with MAP_FIXED gives new_addr
// back; move_vma(). v6.1's mremap_to() unmaps the new range only with
// MREMAP_FIXED and passes the flags on; with the explored flags (every
// move has MREMAP_FIXED) it takes the same steps, so v6.1's table keeps
// this function.
func mremapToV54(k *Kernel, vrm *transitions.VRM) int {
	if vrm.Addr+vrm.OldLen > vrm.NewAddr && vrm.NewAddr+vrm.NewLen > vrm.Addr {
		return transitions.EINVAL
	}
	if err := k.DoMunmap(vrm.MM, vrm.NewAddr, vrm.NewAddr+vrm.NewLen); err != 0 {
		return err
	}
	if vrm.OldLen >= vrm.NewLen {
		if vrm.OldLen != vrm.NewLen {
			if err := k.DoMunmap(vrm.MM, vrm.Addr+vrm.NewLen, vrm.Addr+vrm.OldLen); err != 0 {
				return err
			}
		}
		vrm.OldLen = vrm.NewLen
	}
	vma, err := VMAToResize(k, vrm)
	if err != 0 {
		return err
	}
	vrm.VMA = vma
	return k.MoveVMA(vrm)
}

// MoveVMAV54 models mm/mremap.c:move_vma() (v5.4): copy_vma() of the old
// range to the new (page offset of addr in the VMA; the source may be
// merged into the copy, then it is that VMA), move_page_tables(); then,
// for a VM_ACCOUNT VMA, VM_ACCOUNT is hidden from the munmap of the old
// range ("so old reservation is not undone") and given back to what is
// left of the VMA: the VMA itself (the part below the range, or above it
// when the range started at vm_start) and, when the range was in the
// middle, the VMA after it.
//
// It is also v5.7's move_vma(), which is v5.4's plus the MREMAP_DONTUNMAP
// branch of e346b3813067 with Brian Geffon's "mm: Fix MREMAP_DONTUNMAP
// accounting on VMA merge" (<20200417172556.217480-1-bgeffon@google.com>,
// for 5.7-rc): nothing is unmapped, the old VMA stays with its pages moved
// away, its anon_vma and chain kept (no unlink_anon_vmas() yet: Li
// Xinhai's "mm: mremap: unlink anon_vmas when mremap with
// MREMAP_DONTUNMAP success" came later), VM_ACCOUNT put back on it; "split" is dropped only when
// the source was merged into the copy (new_vma == vma), so after a move
// from the middle of an unmerged VMA the "out:" label still sets
// VM_ACCOUNT on vma->vm_next, which is whatever follows the whole old VMA
// (NULL when it is the last: a NULL dereference). Dmitry Safonov's
// "mm/mremap: For MREMAP_DONTUNMAP check security_vm_enough_memory_mm()"
// (v5.11) removed that. v5.4's mremap() refuses MREMAP_DONTUNMAP, so v5.4
// never takes the branch.
func MoveVMAV54(k *Kernel, vrm *transitions.VRM) int {
	vma := vrm.VMA
	v := k.VMA(vma)
	vmFlags := v.Flags
	newPgoff := v.Pgoff + (vrm.Addr - v.Start)
	newVMA := k.CopyVMA(&vma, vrm.NewAddr, vrm.NewLen, newPgoff)
	if newVMA == state.NoVMA {
		return transitions.ENOMEM
	}
	vrm.VMA = vma
	k.MovePageTables(vma, newVMA, vrm.Addr, vrm.NewAddr, vrm.OldLen)
	v = k.VMA(vma)
	var excess uint8
	split := false
	if vmFlags&state.VMAccount != 0 {
		v.Flags &^= state.VMAccount
		excess = v.End - v.Start - vrm.OldLen
		split = vrm.Addr > v.Start && vrm.Addr+vrm.OldLen < v.End
	}
	if vrm.Flags&transitions.MremapDontUnmap != 0 {
		if vmFlags&state.VMAccount != 0 {
			v.Flags |= state.VMAccount // "Always put back VM_ACCOUNT since we won't unmap"
		}
		if split && newVMA == vma {
			split = false
		}
		// VM_LOCKED, which it clears, is never set; goto out
	} else if k.DoMunmap(vrm.MM, vrm.Addr, vrm.Addr+vrm.OldLen) != 0 {
		excess = 0
	}
	if excess != 0 {
		v.Flags |= state.VMAccount
		if split {
			k.VMA(v.Next).Flags |= state.VMAccount
		}
	}
	return 0
}

// copyVMAV54 models mm/mmap.c:copy_vma() (v5.4): an unfaulted anonymous
// VMA takes the new address's page offset "to increase its chance of
// merging"; vma_merge() of the new range with the VMA's flags and
// anon_vma; if the source itself was merged into the result (only
// possible unfaulted: VM_BUG_ON_VMA(faulted_in_anon_vma)), *vmap becomes
// it. Otherwise a new VMA: vm_area_dup(), the new range and offset,
// anon_vma_clone(), vma_link().
func copyVMAV54(k *Kernel, vmap *vmaID, addr, length, pgoff uint8) vmaID {
	return CopyVMAWalk(k, vmap, addr, length, pgoff, CopyVMAMerge(k, vmap, addr, length), false)
}

// CopyVMAMerge is copy_vma()'s vma_merge() of v5.4 and v6.1: the new range
// with the source's flags and anon_vma, after prev, at pgoff.
func CopyVMAMerge(k *Kernel, vmap *vmaID, addr, length uint8) func(mm int, prev vmaID, pgoff uint8) vmaID {
	return func(mm int, prev vmaID, pgoff uint8) vmaID {
		v := k.VMA(*vmap)
		return k.VMAMerge(mm, prev, addr, addr+length, v.Flags, v.AnonVMA, pgoff)
	}
}

// CopyVMAWalk is what copy_vma() does in v5.4 (mm/mmap.c) and v6.18
// (mm/vma.c) around its merge, which merge performs (vma_merge() in v5.4,
// vma_merge_new_range() in v6.18) with the process, the VMA before addr
// and the page offset: an unfaulted anonymous VMA takes addr's page
// offset; the range must be empty; a merge result that contains the
// source's start replaces *vmap (VM_BUG_ON_VMA(faulted_in_anon_vma,
// new_vma)); without a merge, vm_area_dup(), the new range and offset
// (vma_set_range()), anon_vma_clone() and vma_link(). When vm_area_dup()
// fails it returns NULL (out); when anon_vma_clone() does (having unlinked
// the copy again: enomem_failure), the copy is freed (out_free_mempol,
// out_free_vma) and it returns NULL. With maple (v6.1, v6.18) vma_link()
// first preallocates the tree's nodes (mas_preallocate(),
// vma_iter_prealloc()); when that fails the copy's anon_vma links are
// unlinked (out_vma_link: unlink_anon_vmas()) and the copy freed. The
// callers' move_vma() then returns -ENOMEM with nothing moved
// (mm/mmap.c:copy_vma() in v5.4 and v6.1, 3229 at 6.1.0; mm/vma.c:1880-1893
// and mm/mremap.c:1181 in v6.18).
func CopyVMAWalk(k *Kernel, vmap *vmaID, addr, length, pgoff uint8, merge func(mm int, prev vmaID, pgoff uint8) vmaID, maple bool) vmaID {
	vma := *vmap
	v := k.VMA(vma)
	mm := int(v.MM) - 1
	vmaStart := v.Start
	faulted := true
	if v.AnonVMA == state.NoAV {
		pgoff, faulted = addr, false
	}
	if n := k.FindVMA(mm, addr); n != state.NoVMA && k.VMA(n).Start < addr+length {
		return state.NoVMA // "should never get here"
	}
	prev := k.FindPrev(mm, addr)
	if nv := merge(mm, prev, pgoff); nv != state.NoVMA {
		n := k.VMA(nv)
		if vmaStart >= n.Start && vmaStart < n.End {
			k.BugOn(faulted, transitions.BugCopyVMAFaultedSelf)
			*vmap = nv
		}
		return nv
	}
	nv := k.VMAreaDup(vma)
	if nv == state.NoVMA {
		return state.NoVMA // goto out
	}
	n := k.S.VMA(nv)
	n.Start, n.End, n.Pgoff = addr, addr+length, pgoff
	if k.AnonVMAClone(nv, vma) != 0 {
		k.VMAreaFree(nv) // out_free_mempol, out_free_vma
		return state.NoVMA
	}
	if maple && !k.MasPreallocate(nv) {
		k.UnlinkAnonVMAs(nv) // out_vma_link
		k.VMAreaFree(nv)
		return state.NoVMA
	}
	k.LinkList(mm, nv, prev)
	return nv
}

// MovePageTablesV54 models mm/mremap.c:move_page_tables() down to
// move_ptes() (v5.4): each present PTE of [old_addr, old_addr + len) is
// cleared (ptep_get_and_clear()) and set, write bit and all, at the same
// offset from new_addr. The page's mapping, index and mapcount do not
// change. It returns the length moved.
func MovePageTablesV54(k *Kernel, old, new vmaID, oldAddr, newAddr, length uint8) uint8 {
	mm := int(k.VMA(old).MM) - 1
	for i := uint8(0); i < length; i++ {
		if pte := k.S.PT[mm][oldAddr+i]; pte.Page() != state.NoPage {
			k.S.PT[mm][oldAddr+i] = 0
			k.S.PT[mm][newAddr+i] = pte
		}
	}
	return length
}
