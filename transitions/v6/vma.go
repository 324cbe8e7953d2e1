package v6

import (
	"anoncheck/state"
	"anoncheck/transitions"
)

// The merge code of mm/vma.c as of Linux v6.18 (tag v6.18, Makefile
// 6.18.0; see specs/v6_18.go for the tree read). A merge is described by
// a transitions.VMG (struct vma_merge_struct). The model has no maple
// tree: the mm's vm_next/vm_prev list stands in for it, as in v6.1, so a
// store into the tree is a list insertion or removal, and the VMA
// iterator, whose position only steers where the kernel looks next, is
// left out along with the VM_WARN_ON_VMG()s that check it. There are no
// locks: vma_start_write(), vma_assert_write_locked() (dup_anon_vma()) and
// mmap_assert_write_locked() have nothing to check in a sequential model.
// Mappings are private and anonymous: vm_file, the mempolicy, the
// userfaultfd context and the anon_vma_name agree in every comparison,
// no VMA has vm_ops (can_merge_remove_vma() is always true) and none has
// VM_SPECIAL.

type (
	vmg       = transitions.VMG
	vmaFlags  = state.Flags
	mergeSide = bool
)

// Which neighbour a merge predicate looks at (merge_next).
const (
	mergePrev mergeSide = false
	mergeNext mergeSide = true
)

// vmgVMAState is the VMG_VMA_STATE() initialiser of mm/vma.h (v6.18): the
// merge of [start, end) of vma, a VMA that exists, with prev the VMA
// before the range (vma itself when the range starts inside it): flags,
// page offset at start and anon_vma are vma's.
func vmgVMAState(k *Kernel, prev, vma vmaID, start, end uint8) vmg {
	v := k.VMA(vma)
	return vmg{
		MM: int(v.MM) - 1, Prev: prev, Middle: vma,
		Start: start, End: end, Flags: v.Flags,
		Pgoff:   v.Pgoff + (start - v.Start), // vma_pgoff_offset(vma, start)
		AnonVMA: v.AnonVMA,
	}
}

// vmaSetRange is vma_set_range() of mm/internal.h (v6.18).
func vmaSetRange(v *state.VMA, start, end, pgoff uint8) {
	v.Start, v.End, v.Pgoff = start, end, pgoff
}

// vmaHadUncowedParents models mm/vma.c:vma_had_uncowed_parents() (v6.18):
// the VMA has an anon_vma and its anon_vma_chain is not singular, so it is
// linked to the anon_vmas of the process it was forked from. Renamed
// vma_is_fork_child() in later stable releases.
func vmaHadUncowedParents(k *Kernel, vma vmaID) bool {
	if vma == state.NoVMA {
		return false
	}
	v := k.VMA(vma)
	return v.AnonVMA != state.NoAV && v.NChain != 1
}

// isMergeableVMAV618 models mm/vma.c:is_mergeable_vma() (v6.18): the
// neighbour (next or prev) has the flags the range is to have, ignoring
// VM_SOFTDIRTY, which the model does not keep; mempolicy, file,
// userfaultfd context and anon_vma_name agree for anonymous VMAs.
func isMergeableVMAV618(k *Kernel, g *vmg, next mergeSide) bool {
	vma := g.Prev
	if next {
		vma = g.Next
	}
	return k.VMA(vma).Flags == g.Flags
}

// isMergeableAnonVMAV618 models mm/vma.c:is_mergeable_anon_vma() (v6.18,
// with 879bca0a2c4f "mm/vma: fix incorrectly disallowed anonymous VMA
// merges"). tgt is the neighbour the range would join, src the VMA whose
// range it is (middle; NULL for a new range). Case 1: tgt has no anon_vma
// and the range has one: dup_anon_vma() will give tgt src's, unless src
// is linked to its parents' anon_vmas. Case 2: tgt has one and the range
// none: the range uses tgt's, unless tgt is so linked. Case 3: both
// anon_vmas must be the same (or both NULL).
func isMergeableAnonVMAV618(k *Kernel, g *vmg, next mergeSide) bool {
	tgt := g.Prev
	if next {
		tgt = g.Next
	}
	src := g.Middle
	tgtAnon, srcAnon := k.VMA(tgt).AnonVMA, g.AnonVMA
	k.WarnOn(src != state.NoVMA && srcAnon != k.VMA(src).AnonVMA, transitions.WarnIsMergeableAnonVMASrc)
	refuse := func(vma vmaID) bool {
		if vmaHadUncowedParents(k, vma) {
			k.Case(transitions.CaseUncowedRefuse)
			return false
		}
		return true
	}
	switch {
	case tgtAnon == state.NoAV && srcAnon != state.NoAV: // case 1
		return refuse(src)
	case tgtAnon != state.NoAV && srcAnon == state.NoAV: // case 2
		return refuse(tgt)
	}
	return srcAnon == tgtAnon // case 3
}

// canVMAMergeBeforeV618 models mm/vma.c:can_vma_merge_before() (v6.18):
// the range can go in front of vmg->next when flags and anon_vmas allow
// and next's page offset continues the range's.
func canVMAMergeBeforeV618(k *Kernel, g *vmg) bool {
	pglen := g.End - g.Start
	return k.IsMergeableVMAVMG(g, mergeNext) && k.IsMergeableAnonVMAVMG(g, mergeNext) &&
		k.VMA(g.Next).Pgoff == g.Pgoff+pglen
}

// canVMAMergeAfterV618 models mm/vma.c:can_vma_merge_after() (v6.18): the
// range can follow vmg->prev when flags and anon_vmas allow and the page
// offsets are continuous.
func canVMAMergeAfterV618(k *Kernel, g *vmg) bool {
	if k.IsMergeableVMAVMG(g, mergePrev) && k.IsMergeableAnonVMAVMG(g, mergePrev) {
		p := k.VMA(g.Prev)
		return p.Pgoff+p.Pages() == g.Pgoff
	}
	return false
}

// canVMAMergeLeftV618 models mm/vma.c:can_vma_merge_left() (v6.18): prev
// ends where the range starts and can take it.
func canVMAMergeLeftV618(k *Kernel, g *vmg) bool {
	return g.Prev != state.NoVMA && k.VMA(g.Prev).End == g.Start && k.CanVMAMergeAfterVMG(g)
}

// canVMAMergeRightV618 models mm/vma.c:can_vma_merge_right() (v6.18): next
// starts where the range ends and can take it; when prev takes it too,
// prev's and next's anon_vmas must also agree with each other (one of
// them NULL, or the same).
func canVMAMergeRightV618(k *Kernel, g *vmg, canMergeLeft bool) bool {
	next := g.Next
	if next == state.NoVMA || g.End != k.VMA(next).Start || !k.CanVMAMergeBeforeVMG(g) {
		return false
	}
	if !canMergeLeft {
		return true
	}
	pa, na := k.VMA(g.Prev).AnonVMA, k.VMA(next).AnonVMA
	return pa == state.NoAV || na == state.NoAV || pa == na
}

// canMergeRemoveVMA is mm/vma.c:can_merge_remove_vma() (v6.18): a VMA
// with a vm_ops->close cannot be removed by a merge. Anonymous VMAs have
// no vm_ops.
func canMergeRemoveVMA(vmaID) bool { return true }

// dupAnonVMAV618 models mm/vma.c:dup_anon_vma() (v6.18): when src has an
// anon_vma and dst has none (dst is unfaulted), dst takes src's anon_vma
// and anon_vma_clone() copies src's chain exactly (dst->anon_vma is
// already set, so nothing is reused); *dup reports dst, which the callers
// unlink again if the merge fails. vma_assert_write_locked(dst) has no
// lock to check.
func dupAnonVMAV618(k *Kernel, dst, src vmaID, dup *vmaID) int {
	if k.VMA(src).AnonVMA != state.NoAV && k.VMA(dst).AnonVMA == state.NoAV {
		k.Case(transitions.CaseDupAnonVMA)
		k.VMA(dst).AnonVMA = k.VMA(src).AnonVMA
		if err := k.AnonVMAClone(dst, src); err != 0 {
			return err
		}
		*dup = dst
	}
	return 0
}

// vmaPrepare models struct vma_prepare (mm/vma.h, v6.18): the VMA being
// altered, the neighbour whose start moves with it (adj_next), a VMA to
// insert (split) or up to two to remove (merge), and the anon_vma whose
// root lock covers the change.
type vmaPrepare struct {
	vma, adjNext, insert, remove, remove2 vmaID
	anonVMA                               avID
}

// initMultiVMAPrep models mm/vma.c:init_multi_vma_prep() (v6.18) (and,
// with g nil, init_vma_prep()): the VMAs a merge removes (middle, then
// next), the one whose start moves, and the anon_vma to lock: vma's, else
// the moving neighbour's, which must then be the same when both have one.
func initMultiVMAPrep(k *Kernel, vma vmaID, g *vmg) vmaPrepare {
	vp := vmaPrepare{vma: vma, anonVMA: k.VMA(vma).AnonVMA}
	if g == nil {
		return vp
	}
	remove := &vp.remove
	if g.RemoveMiddle {
		*remove = g.Middle
		remove = &vp.remove2
	}
	if g.RemoveNext {
		*remove = g.Next
	}
	switch {
	case g.AdjustMiddleStart:
		vp.adjNext = g.Middle
	case g.AdjustNextStart:
		vp.adjNext = g.Next
	}
	if vp.anonVMA == state.NoAV && vp.adjNext != state.NoVMA {
		vp.anonVMA = k.VMA(vp.adjNext).AnonVMA
	}
	k.WarnOn(vp.anonVMA != state.NoAV && vp.adjNext != state.NoVMA && k.VMA(vp.adjNext).AnonVMA != state.NoAV &&
		vp.anonVMA != k.VMA(vp.adjNext).AnonVMA, transitions.WarnMultiVMAPrepAnonVMA)
	return vp
}

// vmaPrepareLock models mm/vma.c:vma_prepare() (v6.18) for anonymous VMAs:
// anon_vma_lock_write() takes the root's rwsem, which reads the root (a
// freed one is a use-after-free); taking the VMAs' AVCs out of the
// interval trees (anon_vma_interval_tree_pre_update_vma) is nothing to do
// for the model's trees, which read the VMAs' current ranges.
func vmaPrepareLock(k *Kernel, vp *vmaPrepare) {
	if vp.anonVMA != state.NoAV {
		k.AV(k.AV(vp.anonVMA).Root)
	}
}

// vmaComplete models mm/vma.c:vma_complete() (v6.18) for anonymous VMAs:
// a split's new VMA joins the tree (vma_iter_store_new) and map_count;
// then each removed VMA (already gone from the tree) is merged away:
// anon_vma_merge() when it has an anon_vma, map_count--, and, when it is
// the only one, WARN_ON_ONCE() that the survivor ends before it; then
// vm_area_free().
func vmaComplete(k *Kernel, vp *vmaPrepare, mm int) {
	if vp.insert != state.NoVMA {
		k.LinkList(mm, vp.insert, k.FindPrev(mm, k.VMA(vp.insert).Start))
	}
	for vp.remove != state.NoVMA {
		if k.VMA(vp.remove).AnonVMA != state.NoAV {
			k.AnonVMAMerge(vp.vma, vp.remove)
		}
		k.S.MMs[mm].MapCount--
		if vp.remove2 == state.NoVMA {
			k.WarnOn(k.VMA(vp.vma).End < k.VMA(vp.remove).End, transitions.WarnVMACompleteRemoveEnd)
		}
		k.VMAreaFree(vp.remove)
		// In mprotect's case 6 both middle and next go.
		vp.remove, vp.remove2 = vp.remove2, state.NoVMA
	}
}

// vmgAdjustSetRange models mm/vma.c:vmg_adjust_set_range() (v6.18): the
// neighbour whose start moves (middle when prev took the head of its
// range, next when it took the tail) now starts at vmg->end, its page
// offset moved with it.
func vmgAdjustSetRange(k *Kernel, g *vmg) {
	switch {
	case g.AdjustMiddleStart:
		m := k.VMA(g.Middle)
		vmaSetRange(m, g.End, m.End, m.Pgoff+(g.End-m.Start))
	case g.AdjustNextStart:
		n := k.VMA(g.Next)
		vmaSetRange(n, g.End, n.End, n.Pgoff-(n.Start-g.End))
	}
}

// commitMergeV618 models mm/vma.c:commit_merge() (v6.18): the VMA to alter
// is middle when next grows down over its tail, else the target;
// init_multi_vma_prep(), vma_prepare(), the new range of the VMA and of
// the neighbour whose start moves, the store of the target over the range
// (vma_iter_store_overwrite: the removed VMAs leave the tree), and
// vma_complete(). Before anything changes, vma_iter_prealloc() allocates
// the maple nodes of the store; when that fails (--fail-alloc,
// transitions.AllocMapleNodes) it returns -ENOMEM with nothing changed, and
// the callers unlink dup_anon_vma()'s copy again (mm/vma.c:753 and the
// abort and nomem labels at 980 and 1164).
func commitMergeV618(k *Kernel, g *vmg) int {
	vma := g.Target
	if g.AdjustNextStart {
		vma = g.Middle
	}
	vp := initMultiVMAPrep(k, vma, g)
	if !k.MasPreallocate(vma) {
		return transitions.ENOMEM
	}
	vmaPrepareLock(k, &vp)
	if g.AdjustMiddleStart || g.AdjustNextStart {
		k.Case(transitions.CaseAdjustStart)
	}
	vmaSetRange(k.VMA(vma), g.Start, g.End, g.Pgoff)
	vmgAdjustSetRange(k, g)
	for _, r := range [2]vmaID{vp.remove, vp.remove2} {
		if r != state.NoVMA {
			k.UnlinkList(g.MM, r)
		}
	}
	vmaComplete(k, &vp, g.MM)
	return 0
}

// vmaMergeExistingRangeV618 models mm/vma.c:vma_merge_existing_range()
// (v6.18): [start, end) of middle gets new attributes (mprotect, madvise);
// if it touches an edge of middle, the neighbour on that side may take it:
//
//	merge_both:  PPPP MMMM NNNN -> PPPPPPPPPPPP     prev grows, middle and next go
//	merge_left:  PPPP MMMM      -> PPPPPPPP         middle goes, or keeps its tail
//	merge_right:      MMMM NNNN -> NNNNNNNN         middle goes, or keeps its head
//
// prev (or next, or middle when next has none) passes its anon_vma to an
// unfaulted target with dup_anon_vma(); commit_merge() does the rest. It
// returns the target, or NULL (on failure dup_anon_vma()'s copy is
// unlinked again).
func vmaMergeExistingRangeV618(k *Kernel, g *vmg) vmaID {
	middle, prev := g.Middle, g.Prev
	start, end := g.Start, g.End
	k.WarnOn(middle == state.NoVMA, transitions.WarnMergeExistingNoMiddle)
	m := k.VMA(middle)
	leftSide, rightSide := start == m.Start, end == m.End
	k.WarnOn(g.Next != state.NoVMA, transitions.WarnMergeExistingNext)
	k.WarnOn(prev != state.NoVMA && start <= k.VMA(prev).Start, transitions.WarnMergeExistingPrev)
	k.WarnOn(start >= end, transitions.WarnMergeExistingRange)
	k.WarnOn(middle != prev && start != m.Start || end > m.End, transitions.WarnMergeExistingSpan)

	g.State = transitions.MergeNoMerge
	if !leftSide && !rightSide {
		return state.NoVMA
	}
	mergeLeft := leftSide && k.CanVMAMergeLeft(g)
	mergeRight := false
	var next vmaID
	if rightSide {
		// vma_iter_next_range(): the VMA right after middle, NULL
		// when a gap follows it.
		if n := m.Next; n != state.NoVMA && k.VMA(n).Start == m.End {
			next = n
		}
		g.Next = next
		mergeRight = k.CanVMAMergeRight(g, mergeLeft)
	}
	if !mergeLeft && !mergeRight {
		return state.NoVMA
	}
	mergeBoth := mergeLeft && mergeRight
	// If the range spans the entire VMA, a merge deletes it.
	g.RemoveMiddle = leftSide && rightSide
	if g.RemoveMiddle && !canMergeRemoveVMA(middle) {
		return state.NoVMA
	}
	// If both merge, next is deleted too.
	g.RemoveNext = mergeBoth
	if g.RemoveNext && !canMergeRemoveVMA(next) {
		g.RemoveNext, mergeRight, mergeBoth = false, false, false
	}
	if mergeRight {
		g.Target = next
	}
	if mergeLeft {
		g.Target = prev
	}

	var anonDup vmaID
	var err int
	switch {
	case mergeBoth:
		k.Case(transitions.CaseExistingBoth)
		p, n := k.VMA(prev), k.VMA(next)
		g.Start, g.End, g.Pgoff = p.Start, n.End, p.Pgoff
		src := middle
		if n.AnonVMA != state.NoAV {
			src = next
		}
		err = k.DupAnonVMA(prev, src, &anonDup)
	case mergeLeft:
		k.Case(transitions.CaseExistingLeft)
		p := k.VMA(prev)
		g.Start, g.Pgoff = p.Start, p.Pgoff
		if !g.RemoveMiddle {
			g.AdjustMiddleStart = true
		}
		err = k.DupAnonVMA(prev, middle, &anonDup)
	default: // merge_right
		k.Case(transitions.CaseExistingRight)
		pglen := g.End - g.Start
		k.WarnOn(!mergeRight, transitions.WarnMergeExistingRight)
		// If we are offset into a VMA, then prev must be middle.
		k.WarnOn(g.Start > m.Start && prev != state.NoVMA && middle != prev, transitions.WarnMergeExistingOffset)
		n := k.VMA(next)
		if g.RemoveMiddle {
			g.End, g.Pgoff = n.End, n.Pgoff-pglen
		} else {
			// Shrink middle and expand next.
			g.AdjustNextStart = true
			g.Start, g.End, g.Pgoff = m.Start, start, m.Pgoff
		}
		err = k.DupAnonVMA(next, middle, &anonDup)
	}
	if err == 0 && k.CommitMerge(g) == 0 {
		g.State = transitions.MergeSuccess
		return g.Target
	}
	// abort
	if anonDup != state.NoVMA {
		k.UnlinkAnonVMAs(anonDup)
	}
	g.State = transitions.MergeErrorNoMem
	return state.NoVMA
}

// vmaMergeNewRangeV618 models mm/vma.c:vma_merge_new_range() (v6.18): a
// new range [start, end) (mmap) joins prev, next, or both:
//
//	PPPP AAAA      -> PPPPPPPP       AAAA NNNN -> NNNNNNNN
//	PPPP AAAA NNNN -> PPPPPPPPPPPP   (next removed by vma_expand())
//
// It widens vmg to the merged range and lets vma_expand() grow the target.
// It returns the target, or NULL. just_expand (brk) is never set by the
// modelled callers.
func vmaMergeNewRangeV618(k *Kernel, g *vmg) vmaID {
	prev, next, end := g.Prev, g.Next, g.End
	k.WarnOn(g.Middle != state.NoVMA, transitions.WarnMergeNewMiddle)
	k.WarnOn(g.Target != state.NoVMA, transitions.WarnMergeNewTarget)
	g.State = transitions.MergeNoMerge
	if prev == state.NoVMA && next == state.NoVMA {
		return state.NoVMA
	}
	canLeft := k.CanVMAMergeLeft(g)
	canRight := k.CanVMAMergeRight(g, canLeft)
	if canRight {
		g.End, g.Target = k.VMA(next).End, next
	}
	if canLeft {
		p := k.VMA(prev)
		g.Start, g.Target, g.Pgoff = p.Start, prev, p.Pgoff
		// If next cannot be removed, only prev takes the range.
		if canRight && !canMergeRemoveVMA(next) {
			g.End = end
		}
	}
	if g.Target == state.NoVMA {
		return state.NoVMA
	}
	if canLeft && canRight {
		k.Case(transitions.CaseNewBoth)
	} else {
		k.Case(transitions.CaseNewOne)
	}
	if k.VMAExpand(g) != 0 {
		return state.NoVMA
	}
	g.State = transitions.MergeSuccess
	return g.Target
}

// vmaExpandV618 models mm/vma.c:vma_expand() (v6.18): the target grows to
// [vmg->start, vmg->end); when that swallows all of next (another VMA),
// next is removed and, if it has an anon_vma and the target none, the
// target first takes it with dup_anon_vma(). Then commit_merge().
func vmaExpandV618(k *Kernel, g *vmg) int { return vmaExpandFrom(k, g, state.NoVMA) }

// vmaExpandFrom is vma_expand() of v6.18 (from NULL) and of 6.18.y (from
// vmg->copied_from, vmaExpandV618y): after next's anon_vma, the target
// also takes from's with dup_anon_vma(). The VM_WARN_ON_VMG()s, which 6.18.y
// moves before the dup_anon_vma() calls, change no state.
func vmaExpandFrom(k *Kernel, g *vmg, from vmaID) int {
	target, next := g.Target, g.Next
	k.WarnOn(target == state.NoVMA, transitions.WarnVMAExpandTarget)
	var anonDup vmaID
	removeNext := next != state.NoVMA && target != next && g.End == k.VMA(next).End
	if removeNext {
		k.WarnOn(!canMergeRemoveVMA(next), transitions.WarnVMAExpandRemoveNext)
		if err := k.DupAnonVMA(target, next, &anonDup); err != 0 {
			return err
		}
	}
	if from != state.NoVMA {
		if err := k.DupAnonVMA(target, from, &anonDup); err != 0 {
			return err
		}
	}
	// Not merging but overwriting any part of next is not handled.
	k.WarnOn(next != state.NoVMA && !removeNext && next != target && g.End > k.VMA(next).Start,
		transitions.WarnVMAExpandOverwrite)
	// Only handles expanding.
	t := k.VMA(target)
	k.WarnOn(t.Start < g.Start || t.End > g.End, transitions.WarnVMAExpandShrink)
	if removeNext {
		g.RemoveNext = true
	}
	if k.CommitMerge(g) != 0 {
		if anonDup != state.NoVMA {
			k.UnlinkAnonVMAs(anonDup)
		}
		g.State = transitions.MergeErrorNoMem
		return transitions.ENOMEM
	}
	return 0
}

// vmaModifyV618 models mm/vma.c:vma_modify() (v6.18): first try to merge
// the range with a neighbour (vma_merge_existing_range()); failing that,
// split off the part of the VMA before the range (split_vma(), new_below
// = 1) and the part after it (new_below = 0). It returns the merged VMA or
// the VMA now covering just the range. The VM_WARN_ON about give_up_on_oom
// is left out: only userfaultfd sets it.
func vmaModifyV618(k *Kernel, g *vmg) (vmaID, int) {
	vma, start, end := g.Middle, g.Start, g.End
	if merged := k.VMAMergeExistingRange(g); merged != state.NoVMA {
		return merged, 0
	}
	if g.NoMem() {
		return state.NoVMA, transitions.ENOMEM
	}
	if k.VMA(vma).Start < start {
		if err := k.SplitVMAChecked(g.MM, vma, start, true); err != 0 {
			return state.NoVMA, err
		}
	}
	if k.VMA(vma).End > end {
		if err := k.SplitVMAChecked(g.MM, vma, end, false); err != 0 {
			return state.NoVMA, err
		}
	}
	return vma, 0
}

// vmaModifyFlagsV618 models mm/vma.c:vma_modify_flags() (v6.18):
// vma_modify() of [start, end) of vma, to have vm_flags fl.
func vmaModifyFlagsV618(k *Kernel, prev, vma vmaID, start, end uint8, fl vmaFlags) (vmaID, int) {
	g := vmgVMAState(k, prev, vma, start, end)
	g.Flags = fl
	return k.VMAModify(&g)
}
