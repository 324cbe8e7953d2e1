package v5

import (
	"anoncheck/state"
	"anoncheck/transitions"
)

// The functions of mm/mmap.c as of Linux v5.4 (rb-tree plus vm_next/vm_prev
// list; vma_merge driving __vma_adjust). Sources: see docs/SOURCES.md.
// Mappings are private and anonymous: vm_file is NULL, there is no
// mempolicy and no userfaultfd context, so the mpol_equal(), vm_file and
// vm_userfaultfd_ctx comparisons always agree and are left out, as are the
// i_mmap and uprobe steps they guard.

// anonVMACompatibleV54 models mm/mmap.c:anon_vma_compatible(a, b) (v5.4):
// a ends where b starts, the flags differ at most in
// VM_READ|VM_WRITE|VM_EXEC|VM_SOFTDIRTY, and the page offsets are
// continuous.
// Unchanged in v6.18, where it is in mm/vma.c.
func anonVMACompatibleV54(k *Kernel, a, b vmaID) bool {
	va, vb := k.VMA(a), k.VMA(b)
	return va.End == vb.Start &&
		(va.Flags^vb.Flags)&^state.VMAccessFlags == 0 &&
		vb.Pgoff == va.Pgoff+(vb.Start-va.Start)
}

// reusableAnonVMAV54 models mm/mmap.c:reusable_anon_vma(old, a, b) (v5.4):
// old's anon_vma, if a and b are compatible and old's anon_vma_chain is
// singular (old was not forked).
// Unchanged in v6.18, where it is in mm/vma.c.
func reusableAnonVMAV54(k *Kernel, old, a, b vmaID) avID {
	if k.AnonVMACompatible(a, b) {
		o := k.VMA(old)
		if o.AnonVMA != state.NoAV && o.NChain == 1 {
			return o.AnonVMA
		}
	}
	return state.NoAV
}

// findMergeableAnonVMAV54 models mm/mmap.c:find_mergeable_anon_vma() (v5.4):
// try vma->vm_next, then vma->vm_prev. It follows the VMA's own list
// pointers, which for a child VMA inside dup_mmap() are still the parent's.
func findMergeableAnonVMAV54(k *Kernel, vma vmaID) avID {
	v := k.VMA(vma)
	if near := v.Next; near != state.NoVMA {
		if av := k.ReusableAnonVMA(near, vma, near); av != state.NoAV {
			return av
		}
	}
	if near := v.Prev; near != state.NoVMA {
		if av := k.ReusableAnonVMA(near, near, vma); av != state.NoAV {
			return av
		}
	}
	return state.NoAV
}

// isMergeableVMAV54 models mm/mmap.c:is_mergeable_vma() (v5.4): the flags
// must be equal ignoring VM_SOFTDIRTY (vm_file, ->close and the
// userfaultfd context agree for anonymous VMAs).
func isMergeableVMAV54(k *Kernel, vma vmaID, fl flags) bool {
	return k.VMA(vma).Flags == fl
}

// isMergeableAnonVMAV54 models mm/mmap.c:is_mergeable_anon_vma() (v5.4): if
// either anon_vma is NULL, mergeable when vma is NULL or its chain is
// singular (list_is_singular: exactly one AVC); otherwise the two must be
// the same anon_vma.
func isMergeableAnonVMAV54(k *Kernel, av1, av2 avID, vma vmaID) bool {
	if (av1 == state.NoAV || av2 == state.NoAV) && (vma == state.NoVMA || k.VMA(vma).NChain == 1) {
		return true
	}
	return av1 == av2
}

// canVMAMergeBeforeV54 models mm/mmap.c:can_vma_merge_before() (v5.4): the
// range ending at vma can join it when flags and anon_vma agree and vma's
// pgoff is the pgoff just past the range.
func canVMAMergeBeforeV54(k *Kernel, vma vmaID, fl flags, av avID, pgoff uint8) bool {
	if k.IsMergeableVMA(vma, fl) && k.IsMergeableAnonVMA(av, k.VMA(vma).AnonVMA, vma) {
		return k.VMA(vma).Pgoff == pgoff
	}
	return false
}

// canVMAMergeAfterV54 models mm/mmap.c:can_vma_merge_after() (v5.4): the
// range starting at vma's end can join it when flags and anon_vma agree and
// the pgoffs are continuous.
func canVMAMergeAfterV54(k *Kernel, vma vmaID, fl flags, av avID, pgoff uint8) bool {
	if k.IsMergeableVMA(vma, fl) && k.IsMergeableAnonVMA(av, k.VMA(vma).AnonVMA, vma) {
		v := k.VMA(vma)
		return v.Pgoff+v.Pages() == pgoff
	}
	return false
}

// vmaMergeV54 models mm/mmap.c:vma_merge() (v5.4) with its eight cases
// (P = prev, A = the range [addr,end), N = next, X = the VMA after N):
//
//	1: PPPP AAAA NNNN -> PPPPPPPPPPPP    2: PPPP AAAA -> PPPPPPPP
//	3: AAAA NNNN -> NNNNNNNN             4: PPPPAA NNNN -> PPPP NNNNNN
//	5: PPPP AANNNN -> PPPPPP NNNN        6: PPPP AAAA XXXX -> PPPPPPPPPPPP
//	7: PPPP AAAA -> PPPPPPPP (A was N)   8: AAAA XXXX -> XXXXXXXX (A was N)
//
// It returns the VMA now covering the range, or NULL. VM_SPECIAL is never
// set on the anonymous mappings modelled.
func vmaMergeV54(k *Kernel, mm int, prev vmaID, addr, end uint8, fl flags, av avID, pgoff uint8) vmaID {
	pglen := end - addr
	var next vmaID
	if prev != state.NoVMA {
		next = k.VMA(prev).Next
	} else {
		next = k.S.MMs[mm].Mmap
	}
	area := next
	if area != state.NoVMA && k.VMA(area).End == end { // cases 6, 7, 8
		next = k.VMA(next).Next
	}
	k.WarnOn(prev != state.NoVMA && addr <= k.VMA(prev).Start, transitions.WarnVMAMergePrev)
	k.WarnOn(area != state.NoVMA && end > k.VMA(area).End, transitions.WarnVMAMergeArea)
	k.WarnOn(addr >= end, transitions.WarnVMAMergeAddr)

	// Can it merge with the predecessor?
	if prev != state.NoVMA && k.VMA(prev).End == addr && k.CanVMAMergeAfter(prev, fl, av, pgoff) {
		var err int
		// Can we now merge in the successor as well?
		if next != state.NoVMA && end == k.VMA(next).Start &&
			k.CanVMAMergeBefore(next, fl, av, pgoff+pglen) &&
			k.IsMergeableAnonVMA(k.VMA(prev).AnonVMA, k.VMA(next).AnonVMA, state.NoVMA) {
			// cases 1, 6
			k.Case(transitions.CaseMergePrevNext)
			err = k.VMAAdjust(prev, k.VMA(prev).Start, k.VMA(next).End, k.VMA(prev).Pgoff, state.NoVMA, prev)
		} else { // cases 2, 5, 7
			k.Case(transitions.CaseMergePrev)
			err = k.VMAAdjust(prev, k.VMA(prev).Start, end, k.VMA(prev).Pgoff, state.NoVMA, prev)
		}
		if err != 0 {
			return state.NoVMA
		}
		return prev
	}

	// Can this new request be merged in front of next?
	if next != state.NoVMA && end == k.VMA(next).Start && k.CanVMAMergeBefore(next, fl, av, pgoff+pglen) {
		var err int
		if prev != state.NoVMA && addr < k.VMA(prev).End { // case 4
			k.Case(transitions.CaseMergeNextShift)
			err = k.VMAAdjust(prev, k.VMA(prev).Start, addr, k.VMA(prev).Pgoff, state.NoVMA, next)
		} else { // cases 3, 8
			k.Case(transitions.CaseMergeNext)
			err = k.VMAAdjust(area, addr, k.VMA(next).End, k.VMA(next).Pgoff-pglen, state.NoVMA, next)
			area = next
		}
		if err != 0 {
			return state.NoVMA
		}
		return area
	}
	return state.NoVMA
}

// vmaAdjustV54 models mm/mmap.c:__vma_adjust() (v5.4) for anonymous VMAs.
// Without insert it is vma_merge()'s worker: it decides which VMA grows
// (importer) over which (exporter), gives the importer the exporter's
// anon_vma and a clone of its chain when it has none, sets the new ranges,
// removes swallowed VMAs (remove_next 1, 2 = two VMAs in case 6, 3 = case 8
// with vma and next swapped) and merges their anon_vma links away with
// anon_vma_merge(). With insert (from __split_vma) it sets vma's new range
// and links insert into the mm.
//
// The interval tree re-keying (anon_vma_interval_tree_pre/post_update_vma
// under the root lock) has nothing to do in the model, whose tree holds
// VMAs and reads their current range. mm->highest_vm_end is not stored: the
// VM_WARN_ON that reads it compares it with the end of the VMA that was the
// highest before the merge, which is what it held.
func vmaAdjustV54(k *Kernel, vma vmaID, start, end, pgoff uint8, insert, expand vmaID) int {
	return VMAAdjustWith(k, vma, start, end, pgoff, insert, expand, false)
}

// VMAAdjustWith is __vma_adjust() of v5.4 and, with maple, of v6.1, whose
// __vma_adjust() preallocates the maple tree's nodes (mas_preallocate())
// after the importer's anon_vma clone and before any change, returning
// -ENOMEM when that fails (mm/mmap.c:715 at 6.1.0): the importer keeps the
// anon_vma and links it took (824135c46b00, v6.5, added the unlink).
func VMAAdjustWith(k *Kernel, vma vmaID, start, end, pgoff uint8, insert, expand vmaID, maple bool) int {
	mm := int(k.VMA(vma).MM) - 1
	next := k.VMA(vma).Next
	var adjustNext int
	removeNext := 0

	if next != state.NoVMA && insert == state.NoVMA {
		var exporter, importer vmaID
		if end >= k.VMA(next).End {
			// vma expands over all of next, perhaps the one after too
			// (case 6); the others here are cases 1, 7 and 8.
			if next == expand {
				// Case 8: next grows, vma goes; swap them.
				k.WarnOn(end != k.VMA(next).End, transitions.WarnVMAAdjustCase8End)
				removeNext = 3
				vma, next = next, vma
			} else {
				k.WarnOn(expand != vma, transitions.WarnVMAAdjustExpand)
				removeNext = 1
				if end > k.VMA(next).End {
					removeNext = 2
				}
				k.WarnOn(removeNext == 2 && end != k.VMA(k.VMA(next).Next).End, transitions.WarnVMAAdjustRemove2End)
				k.WarnOn(removeNext == 1 && end != k.VMA(next).End, transitions.WarnVMAAdjustRemove1End)
				// trim end to next, for case 6 first pass
				end = k.VMA(next).End
			}
			exporter = next
			importer = vma
			// If next has no anon_vma, import from the VMA after next,
			// if vma overlaps it.
			if removeNext == 2 && k.VMA(next).AnonVMA == state.NoAV {
				exporter = k.VMA(next).Next
			}
		} else if end > k.VMA(next).Start {
			// vma expands over part of next: case 5.
			adjustNext = int(end) - int(k.VMA(next).Start)
			exporter = next
			importer = vma
			k.WarnOn(expand != importer, transitions.WarnVMAAdjustImporter)
		} else if end < k.VMA(vma).End {
			// vma shrinks and next grows down: case 4.
			adjustNext = -(int(k.VMA(vma).End) - int(end))
			exporter = vma
			importer = next
			k.WarnOn(expand != importer, transitions.WarnVMAAdjustImporter)
		}

		// "Easily overlooked": the expanding VMA must have an anon_vma if
		// the shrinking one had, to cover any anon pages imported.
		if exporter != state.NoVMA && k.VMA(exporter).AnonVMA != state.NoAV && k.VMA(importer).AnonVMA == state.NoAV {
			k.Case(transitions.CaseAdjustImport)
			k.VMA(importer).AnonVMA = k.VMA(exporter).AnonVMA
			if err := k.AnonVMAClone(importer, exporter); err != 0 {
				return err
			}
		}
	}
	if maple && !k.MasPreallocate(vma) {
		return transitions.ENOMEM
	}

again:
	av := k.VMA(vma).AnonVMA
	if av == state.NoAV && adjustNext != 0 {
		av = k.VMA(next).AnonVMA
	}
	if av != state.NoAV {
		k.WarnOn(adjustNext != 0 && k.VMA(next).AnonVMA != state.NoAV && av != k.VMA(next).AnonVMA, transitions.WarnVMAAdjustNextAnonVMA)
		k.AV(av) // anon_vma_lock_write(anon_vma) reads anon_vma->root
	}

	switch removeNext {
	case 1:
		k.Case(transitions.CaseAdjustRemove1)
	case 2:
		k.Case(transitions.CaseAdjustRemove2)
	case 3:
		k.Case(transitions.CaseAdjustRemove3)
	}
	if adjustNext != 0 {
		k.Case(transitions.CaseAdjustNext)
	}
	v := k.VMA(vma)
	v.Start = start
	v.End = end
	v.Pgoff = pgoff
	if adjustNext != 0 {
		n := k.VMA(next)
		n.Start = uint8(int(n.Start) + adjustNext)
		n.Pgoff = uint8(int(n.Pgoff) + adjustNext)
	}

	if removeNext != 0 {
		// __vma_unlink_prev(mm, next, vma), or, for case 8,
		// __vma_unlink_common(mm, next, ...): either way next leaves the list.
		k.UnlinkList(mm, next)
	} else if insert != state.NoVMA {
		// __insert_vm_struct(mm, insert): split_vma inserts the new part,
		// which may follow vma or precede it.
		k.LinkList(mm, insert, k.FindPrev(mm, k.VMA(insert).Start))
	}

	if removeNext != 0 {
		nextEnd := k.VMA(next).End
		if k.VMA(next).AnonVMA != state.NoAV {
			k.AnonVMAMerge(vma, next)
		}
		k.S.MMs[mm].MapCount--
		k.VMAreaFree(next)
		// In case 6 another next must go too.
		if removeNext != 3 {
			next = k.VMA(vma).Next
		} else {
			next = vma
		}
		if removeNext == 2 {
			removeNext = 1
			end = k.VMA(next).End
			goto again
		} else if next == state.NoVMA {
			// next was the highest VMA; highest_vm_end still holds its end.
			k.WarnOn(nextEnd != k.VMA(vma).End, transitions.WarnVMAAdjustHighest)
		}
	}
	return 0
}

// splitVMAV54 models mm/mmap.c:__split_vma() (v5.4): duplicate the VMA
// (vm_area_dup copies ->anon_vma and the list pointers, and starts an empty
// anon_vma_chain), give the copy the lower part (new_below) or the upper
// part, clone the chain (an exact copy: dst->anon_vma is already set), then
// let __vma_adjust() shrink vma and insert the copy; if that fails the
// copy's anon_vma links are unlinked and it is freed (in v5.4 it cannot
// fail; in v6.1 its maple nodes can). split_vma()'s map_count check
// against sysctl_max_map_count (65530) never fires at this scope, so
// split_vma() is this function.
func splitVMAV54(k *Kernel, mm int, vma vmaID, addr uint8, newBelow bool) int {
	nv, err := SplitVMANew(k, vma, addr, newBelow, false)
	if err != 0 {
		return err
	}
	n, v := k.S.VMA(nv), k.VMA(vma)
	if newBelow {
		err = k.VMAAdjust(vma, addr, v.End, v.Pgoff+(addr-n.Start), nv, state.NoVMA)
	} else {
		err = k.VMAAdjust(vma, v.Start, addr, v.Pgoff, nv, state.NoVMA)
	}
	if err != 0 {
		// "Clean everything up if vma_adjust failed": only 6.1's
		// __vma_adjust() can fail with insert (its maple nodes).
		k.UnlinkAnonVMAs(nv)
		k.VMAreaFree(nv)
	}
	return err
}

// SplitVMANew is the part of mm/mmap.c:__split_vma() (v5.4) and
// mm/vma.c:__split_vma() (v6.18) that makes the new VMA: vm_area_dup()
// (->anon_vma included, an empty anon_vma_chain), the copy keeps the part
// below addr (new_below) or from addr up with its page offset moved, and
// anon_vma_clone() copies vma's chain exactly (the copy already has vma's
// anon_vma, so nothing is reused). What follows, shrinking vma and
// inserting the copy, is __vma_adjust() in v5.4 and
// vma_prepare()/vma_complete() in v6.18.
//
// On failure nothing of vma has changed: vm_area_dup() returning NULL is
// -ENOMEM at once; anon_vma_clone() failing has unlinked the copy again
// (enomem_failure), and the copy is freed (out_free_mpol, out_free_vma:
// vm_area_free()). With maple, v6.18's vma_iter_prealloc() (mm/vma.c:528)
// comes between the two; when it fails the copy is freed (out_free_vma).
func SplitVMANew(k *Kernel, vma vmaID, addr uint8, newBelow, maple bool) (vmaID, int) {
	nv := k.VMAreaDup(vma)
	if nv == state.NoVMA {
		return state.NoVMA, transitions.ENOMEM
	}
	n, v := k.S.VMA(nv), k.VMA(vma)
	if newBelow {
		n.End = addr
	} else {
		n.Start = addr
		n.Pgoff += addr - v.Start
	}
	if maple && !k.MasPreallocate(nv) {
		k.VMAreaFree(nv)
		return state.NoVMA, transitions.ENOMEM
	}
	if err := k.AnonVMAClone(nv, vma); err != 0 {
		k.VMAreaFree(nv)
		return state.NoVMA, err
	}
	return nv, 0
}

// doMunmapV54 models mm/mmap.c:__do_munmap() (v5.4) for [start, end): split
// the first VMA at start (new_below = 0) and the last at end
// (new_below = 1), detach the VMAs in the range from the list
// (detach_vmas_to_be_unmapped), then unmap_region(): unmap_vmas() zaps the
// PTEs and free_pgtables() unlinks each VMA's anon_vmas; remove_vma_list()
// frees the VMAs. The map_count limit check cannot fire at this scope.
func doMunmapV54(k *Kernel, mm int, start, end uint8) int {
	vma := k.FindVMA(mm, start)
	if vma == state.NoVMA {
		return 0
	}
	prev := k.VMA(vma).Prev
	if k.VMA(vma).Start >= end {
		return 0
	}
	if start > k.VMA(vma).Start {
		if err := k.SplitVMA(mm, vma, start, false); err != 0 {
			return err
		}
		prev = vma
	}
	if last := k.FindVMA(mm, end); last != state.NoVMA && end > k.VMA(last).Start {
		if err := k.SplitVMA(mm, last, end, true); err != 0 {
			return err
		}
	}
	MunmapDetach(k, mm, prev, start, end)
	return 0
}

// MunmapDetach is the end of __do_munmap() (v5.4) and of 6.1's
// do_mas_align_munmap() once the range's edges are split: the VMAs of
// [start, end), after prev, leave the mm (detach_vmas_to_be_unmapped, or
// the store of NULL over the range in 6.1) and unmap_region() zaps their
// PTEs, unlinks their anon_vmas (free_pgtables()) and frees them.
func MunmapDetach(k *Kernel, mm int, prev vmaID, start, end uint8) {
	var vma vmaID
	if prev != state.NoVMA {
		vma = k.VMA(prev).Next
	} else {
		vma = k.S.MMs[mm].Mmap
	}

	// detach_vmas_to_be_unmapped
	m := &k.S.MMs[mm]
	first := vma
	k.VMA(vma).Prev = state.NoVMA
	var tail vmaID
	for vma != state.NoVMA && k.VMA(vma).Start < end {
		m.MapCount--
		tail = vma
		vma = k.VMA(vma).Next
	}
	if prev != state.NoVMA {
		k.VMA(prev).Next = vma
	} else {
		m.Mmap = vma
	}
	if vma != state.NoVMA {
		k.VMA(vma).Prev = prev
	}
	k.VMA(tail).Next = state.NoVMA

	// unmap_region
	k.UnmapVMAs(first, start, end)
	k.FreePgtables(first)
	RemoveVMAs(k, first)
}

// RemoveVMAs is the loop that frees a list of VMAs that were taken out of
// their mm, following vm_next from first, and returns how many it freed:
// remove_vma_list() in mm/mmap.c of v5.4 (__do_munmap) and the
// remove_vma() loop of exit_mmap(); in v6.18 the remove_vma() loops of
// vms_complete_munmap_vmas() over the detached VMAs and of exit_mmap()
// (mm/vma.c, mm/mmap.c). remove_vma()'s vm_ops->close, fput and mpol_put
// have nothing to do for private anonymous VMAs.
func RemoveVMAs(k *Kernel, first vmaID) int {
	n := 0
	for v := first; v != state.NoVMA; n++ {
		next := k.VMA(v).Next
		k.VMAreaFree(v)
		v = next
	}
	return n
}

// mmapRegionV54 models mm/mmap.c:mmap_region() (v5.4) for a MAP_FIXED
// private anonymous mapping of [addr, end): unmap whatever was there
// (do_munmap), charge a private writable mapping (accountable_mapping():
// VM_ACCOUNT when VM_WRITE and not VM_NORESERVE), try vma_merge() with no
// anon_vma, else create a new VMA with vm_pgoff = addr >> PAGE_SHIFT, the
// value do_mmap() gives private anonymous mappings, and vma_link() it
// (MmapRegionNewVMA, which fails when vm_area_alloc() does).
func mmapRegionV54(k *Kernel, mm int, addr, end uint8, fl flags) int {
	fl, err := MmapRegionUnmap(k, mm, addr, end, fl)
	if err != 0 {
		return err
	}
	prev := k.FindPrev(mm, addr)
	pgoff := addr
	if k.VMAMerge(mm, prev, addr, end, fl, state.NoAV, pgoff) != state.NoVMA {
		return 0
	}
	return MmapRegionNewVMA(k, mm, addr, end, fl, false)
}

// MmapRegionUnmap is the start of mm/mmap.c:mmap_region() in v5.4 and
// v6.1: unmap whatever is in [addr, end) (do_munmap, do_mas_munmap) and
// charge a private writable mapping (accountable_mapping(): VM_ACCOUNT
// when VM_WRITE and not VM_NORESERVE). It returns the flags with the
// charge, and ENOMEM when the unmap fails.
func MmapRegionUnmap(k *Kernel, mm int, addr, end uint8, fl flags) (flags, int) {
	for k.FindVMA(mm, addr) != state.NoVMA && k.VMA(k.FindVMA(mm, addr)).Start < end {
		if err := k.DoMunmap(mm, addr, end); err != 0 {
			return fl, transitions.ENOMEM
		}
	}
	if fl&state.VMWrite != 0 {
		fl |= state.VMAccount
	}
	return fl, 0
}

// MmapRegionNewVMA is the end of mm/mmap.c:mmap_region() in v5.4 and v6.1
// when nothing merged: vm_area_alloc(), the range and flags, vm_pgoff =
// addr >> PAGE_SHIFT (what do_mmap() gives private anonymous mappings),
// and vma_link() (v5.4) or vma_mas_store() (v6.1) into the mm. When
// vm_area_alloc() fails it returns -ENOMEM (unacct_error) with the old
// mapping already unmapped: the range is left empty. With maple (v6.1)
// mas_preallocate() comes before the store (mm/mmap.c:2679 at 6.1.0); when
// it fails the VMA is freed (free_vma) and it is the same -ENOMEM.
func MmapRegionNewVMA(k *Kernel, mm int, addr, end uint8, fl flags, maple bool) int {
	nv := k.AllocVMA(mm)
	if nv == state.NoVMA {
		return transitions.ENOMEM // goto unacct_error
	}
	n := k.S.VMA(nv)
	n.Start, n.End, n.Flags, n.Pgoff = addr, end, fl, addr
	if maple && !k.MasPreallocate(nv) {
		k.VMAreaFree(nv) // free_vma
		return transitions.ENOMEM
	}
	k.LinkList(mm, nv, k.FindPrev(mm, addr))
	return 0
}

// exitMmapV54 models mm/mmap.c:exit_mmap() (v5.4): ExitMmapTeardown.
func exitMmapV54(k *Kernel, mm int) { ExitMmapTeardown(k, mm) }

// ExitMmapTeardown is what mm/mmap.c:exit_mmap() does to the modelled state
// in v5.4 and in v6.18: nothing when the mm has no VMA; otherwise
// unmap_vmas() over the whole address space, free_pgtables() (which
// unlinks every VMA's anon_vmas, lowest VMA first), then remove_vma() of
// each VMA. It returns how many VMAs it removed, and false when there were
// none (v6.18 then skips its BUG_ON on the count).
func ExitMmapTeardown(k *Kernel, mm int) (int, bool) {
	first := k.S.MMs[mm].Mmap
	if first == state.NoVMA {
		return 0, false
	}
	k.UnmapVMAs(first, 0, 255)
	k.FreePgtables(first)
	return RemoveVMAs(k, first), true
}
