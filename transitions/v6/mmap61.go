package v6

import (
	"anoncheck/state"
	"anoncheck/transitions"
	v5 "anoncheck/transitions/v5"
)

// The mapping of Linux v6.1: mmap_region() no longer merges a new range
// through vma_merge() but expands a neighbour with vma_expand() (Liam
// Howlett's maple tree series, 6.1), read at the 6.1.0 import (commit
// e451e259e, Makefile 6.1.0) of github.com/unifreq/linux-6.1.y, mm/mmap.c.
// mprotect(), madvise() and __split_vma() still merge and split through
// vma_merge() and __vma_adjust(), which V61 keeps from v5.4.

// mmapRegionV61 models mm/mmap.c:mmap_region() (v6.1, lines 2515-2600 at
// e451e259e) for a MAP_FIXED private anonymous mapping of [addr, end):
// unmap whatever was there (do_mas_munmap), charge a private writable
// mapping (VM_ACCOUNT), then try to expand an old mapping: next, when it
// starts at end and can_vma_merge_before() it with no anon_vma; then prev,
// when it ends at addr and can_vma_merge_after() it with next's anon_vma
// when next was chosen (so a prev without an anon_vma, whose chain is
// empty and so not singular, does not take a next that has one) or with
// none. Whichever was chosen last, prev before next, is expanded over the
// range (and over next when next was chosen too) by vma_expand(). If
// nothing can be expanded, or vma_expand() fails, a new VMA is made with
// vm_pgoff = addr >> PAGE_SHIFT and stored.
//
// This differs from v5.4's vma_merge() on the new range: with an unfaulted
// prev and a faulted next, v5.4 merges all three into prev (case 1,
// __vma_adjust() importing next's anon_vma), 6.1 only expands next down.
func mmapRegionV61(k *Kernel, mm int, addr, end uint8, fl vmaFlags) int {
	fl, err := v5.MmapRegionUnmap(k, mm, addr, end, fl)
	if err != 0 {
		return err
	}
	pgoff, pglen := addr, end-addr
	prev := k.FindPrev(mm, addr)
	next := k.S.MMs[mm].Mmap
	if prev != state.NoVMA {
		next = k.VMA(prev).Next
	}
	g := transitions.VMG{MM: mm, Start: addr, End: end, Next: next}
	if next != state.NoVMA && k.VMA(next).Start == end && k.CanVMAMergeBefore(next, fl, state.NoAV, pgoff+pglen) {
		g.End = k.VMA(next).End
		g.Target = next
		g.Pgoff = k.VMA(next).Pgoff - pglen
	}
	if prev != state.NoVMA && k.VMA(prev).End == addr {
		av := state.NoAV
		if g.Target != state.NoVMA {
			av = k.VMA(g.Target).AnonVMA
		}
		if k.CanVMAMergeAfter(prev, fl, av, pgoff) {
			g.Start = k.VMA(prev).Start
			g.Target = prev
			g.Pgoff = k.VMA(prev).Pgoff
		}
	}
	if g.Target != state.NoVMA && k.VMAExpand(&g) == 0 {
		return 0
	}
	return v5.MmapRegionNewVMA(k, mm, addr, end, fl, true)
}

// vmaExpandV61 models mm/mmap.c:vma_expand() (v6.1, lines 512-600 at
// e451e259e), called as vma_expand(mas, vma, start, end, pgoff, next) with
// vma = g.Target, the range g.Start-g.End, g.Pgoff and g.Next: when the
// range ends where next does (and next is not vma), next goes, and if it
// has an anon_vma that vma lacks, vma takes it and a clone of next's chain
// first (a failure returns the error with nothing changed:
// anon_vma_clone()'s enomem_failure drops vma->anon_vma again), and
// mmap_region() then makes a VMA of its own. Then vma covers the range, and
// a removed next's anon_vma links go with anon_vma_merge() before it is
// freed. The two VM_BUG_ONs are checked as written. Between them and the
// change, mas_preallocate() may fail (--fail-alloc): 6.1.0 returns -ENOMEM
// (nomem) and would leave vma with the anon_vma and links it took from
// next (824135c46b00, "mm/mmap: fix error paths with dup_anon_vma()",
// v6.5, added the unlink); mmap_region() never asks for that clone, since
// 6.1's is_mergeable_anon_vma() refuses an unfaulted prev (its chain is
// not singular) beside a faulted next, so the failure changes nothing.
func vmaExpandV61(k *Kernel, g *vmg) int {
	vma, next := g.Target, g.Next
	mm := int(k.VMA(vma).MM) - 1
	removeNext := false
	if next != state.NoVMA && vma != next && g.End == k.VMA(next).End {
		removeNext = true
		if k.VMA(next).AnonVMA != state.NoAV && k.VMA(vma).AnonVMA == state.NoAV {
			k.VMA(vma).AnonVMA = k.VMA(next).AnonVMA
			if err := k.AnonVMAClone(vma, next); err != 0 {
				return err
			}
		}
	}
	// Not merging but overwriting any part of next is not handled.
	k.BugOn(next != state.NoVMA && !removeNext && next != vma && g.End > k.VMA(next).Start, transitions.BugVMAExpandOverwriteV61)
	// Only handles expanding.
	v := k.VMA(vma)
	k.BugOn(v.Start < g.Start || v.End > g.End, transitions.BugVMAExpandShrinkV61)
	if !k.MasPreallocate(vma) {
		return transitions.ENOMEM // nomem
	}
	if av := v.AnonVMA; av != state.NoAV {
		k.AV(av) // anon_vma_lock_write(anon_vma) reads anon_vma->root
	}
	v.Start, v.End, v.Pgoff = g.Start, g.End, g.Pgoff
	if removeNext {
		k.UnlinkList(mm, next)
		if k.VMA(next).AnonVMA != state.NoAV {
			k.AnonVMAMerge(vma, next)
		}
		k.S.MMs[mm].MapCount--
		k.VMAreaFree(next)
	}
	return 0
}

// vmaAdjustV61 models mm/mmap.c:__vma_adjust() (v6.1, lines 615-900 at
// e451e259e): v5.4's, with mas_preallocate() of the maple tree's nodes
// after the importer's anon_vma clone and before any change (line 715);
// its failure (--fail-alloc) returns -ENOMEM, and the importer keeps the
// anon_vma and the links it took. vma_merge() then returns NULL, and
// __split_vma() unlinks and frees its copy.
func vmaAdjustV61(k *Kernel, vma vmaID, start, end, pgoff uint8, insert, expand vmaID) int {
	return v5.VMAAdjustWith(k, vma, start, end, pgoff, insert, expand, true)
}

// doMasMunmapV61 models mm/mmap.c:do_mas_munmap() and
// do_mas_align_munmap() (v6.1, lines 2298-2460 at e451e259e) for [start,
// end): v5.4's steps (split the first VMA at start, new_below = 0; split
// the last at end, new_below = 1; detach and unmap_region()) with the
// maple tree's allocations between them: mas_preallocate() first (its
// failure changes nothing), then each VMA of the range stored in the side
// tree mt_detach (munmap_sidetree(): mas_store_gfp()), the last after its
// split. Only the first store allocates: mt_detach is not an RCU tree, so
// the later ones go into the node the first made (at most four VMAs fill
// no node). That store failing returns -ENOMEM (munmap_sidetree_failed:
// __mt_destroy() of the side tree); the start split, if done, stays, and
// nothing is unmapped.
func doMasMunmapV61(k *Kernel, mm int, start, end uint8) int {
	vma := k.FindVMA(mm, start)
	if vma == state.NoVMA || k.VMA(vma).Start >= end {
		return 0
	}
	if !k.MasPreallocate(vma) {
		return transitions.ENOMEM
	}
	prev := k.VMA(vma).Prev
	if start > k.VMA(vma).Start {
		if err := k.SplitVMA(mm, vma, start, false); err != 0 {
			return err // start_split_failed
		}
		prev = vma
		vma = k.VMA(vma).Next
	}
	first := true
	// munmap_sidetree(): only the first store into mt_detach allocates.
	stored := func(v vmaID) bool {
		ok := !first || k.MasStoreGFP(v)
		first = false
		return ok
	}
	for next := vma; next != state.NoVMA && k.VMA(next).Start < end; next = k.VMA(next).Next {
		if k.VMA(next).End > end {
			if err := k.SplitVMA(mm, next, end, true); err != 0 {
				return err // end_split_failed
			}
			next = k.VMA(next).Prev // the part below end, split off
			if !stored(next) {
				return transitions.ENOMEM // munmap_sidetree_failed
			}
			break
		}
		if !stored(next) {
			return transitions.ENOMEM // munmap_sidetree_failed
		}
	}
	v5.MunmapDetach(k, mm, prev, start, end)
	return 0
}
