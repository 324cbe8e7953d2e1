package v6

import (
	"anoncheck/state"
	"anoncheck/transitions"
	v5 "anoncheck/transitions/v5"
)

// mremap() as of Linux v6.1, read in mm/mremap.c and mm/mmap.c (copy_vma())
// of github.com/unifreq/linux-6.1.y at 6.1.166 (525d1212a); the modelled
// paths are 6.1's: MREMAP_DONTUNMAP (5.7), the vma_merge() of an in-place
// growth (6.0), do_mas_munmap(), copy_vma()'s vma_link() that may fail.
// mremap_to(), vma_to_resize() and move_page_tables() take v5.4's steps
// for the modelled VMAs and flags, so the table keeps v5.4's functions for
// them.

// copyVMAV61 models mm/mmap.c:copy_vma() (v6.1, lines 3164-3240 at
// e451e259e): v5.4's, except that vma_link() preallocates the maple tree's
// nodes (mas_preallocate()) and may fail; then the copy's anon_vma links
// are unlinked (out_vma_link: unlink_anon_vmas()) and the copy freed.
func copyVMAV61(k *Kernel, vmap *vmaID, addr, length, pgoff uint8) vmaID {
	return v5.CopyVMAWalk(k, vmap, addr, length, pgoff, v5.CopyVMAMerge(k, vmap, addr, length), true)
}

// doMremapV61 models the body of SYSCALL_DEFINE5(mremap) (v6.1): unknown
// flags, MREMAP_FIXED without MREMAP_MAYMOVE, and MREMAP_DONTUNMAP without
// MREMAP_MAYMOVE or with a new length are -EINVAL; no VMA at addr
// (vma_lookup()) is -EFAULT; MREMAP_FIXED or MREMAP_DONTUNMAP go to
// mremap_to(); a shrink is do_mas_munmap() of the tail (an equal length
// unmaps nothing and succeeds); a growth at the VMA's end with room after
// it is vma_merge() of the extension with the VMA as prev, which also
// takes a following VMA that may merge; else -ENOMEM (MREMAP_MAYMOVE
// alone is not explored).
func doMremapV61(k *Kernel, vrm *transitions.VRM) int {
	fl := vrm.Flags
	all := transitions.MremapFixed | transitions.MremapMayMove | transitions.MremapDontUnmap
	if fl&^all != 0 || fl&transitions.MremapFixed != 0 && fl&transitions.MremapMayMove == 0 ||
		fl&transitions.MremapDontUnmap != 0 && (fl&transitions.MremapMayMove == 0 || vrm.OldLen != vrm.NewLen) ||
		vrm.NewLen == 0 {
		return transitions.EINVAL
	}
	if vmaLookup(k, vrm.MM, vrm.Addr) == state.NoVMA {
		return transitions.EFAULT
	}
	if fl&(transitions.MremapFixed|transitions.MremapDontUnmap) != 0 {
		return k.MremapTo(vrm)
	}
	if vrm.OldLen >= vrm.NewLen {
		if vrm.OldLen == vrm.NewLen {
			return 0 // do_mas_munmap() of nothing is -EINVAL, ignored when old_len == new_len
		}
		return k.DoMunmap(vrm.MM, vrm.Addr+vrm.NewLen, vrm.Addr+vrm.OldLen)
	}
	vma, err := v5.VMAToResize(k, vrm)
	if err != 0 {
		return err
	}
	v := k.VMA(vma)
	if vrm.OldLen == v.End-vrm.Addr && v5.VMAExpandable(k, vma, vrm.NewLen-vrm.OldLen) {
		extStart, extEnd := vrm.Addr+vrm.OldLen, vrm.Addr+vrm.NewLen
		extPgoff := v.Pgoff + (extStart - v.Start)
		if k.VMAMerge(vrm.MM, vma, extStart, extEnd, v.Flags, v.AnonVMA, extPgoff) == state.NoVMA {
			return transitions.ENOMEM
		}
		return 0
	}
	return transitions.ENOMEM
}

// moveVMAV61 models mm/mremap.c:move_vma() (v6.1): without
// MREMAP_DONTUNMAP it takes v5.4's steps (VM_ACCOUNT hidden from the
// munmap of the old range and given back to what is left; the VMA after a
// middle range is find_vma(mm, vma->vm_end), v5.4's vm_next). With it:
// copy_vma() and move_page_tables() as always, then the old VMA stays,
// VM_LOCKED cleared (never set here), and when all of it was copied to
// another VMA unlink_anon_vmas() drops its links and anon_vma; nothing is
// unmapped and VM_ACCOUNT is left alone.
func moveVMAV61(k *Kernel, vrm *transitions.VRM) int {
	if vrm.Flags&transitions.MremapDontUnmap == 0 {
		return v5.MoveVMAV54(k, vrm)
	}
	newVMA, err := copyVMAAndData(k, vrm)
	if err != 0 {
		return err
	}
	dontunmapComplete(k, vrm, newVMA)
	return 0
}
