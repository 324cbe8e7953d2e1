package v6

import (
	"anoncheck/state"
	"anoncheck/transitions"
)

// What later 6.18.y stable releases change on the modelled paths, read in
// the 6.18.35 tree of github.com/leftymods/linux-6.18.y (its head, commit
// 40a9e9f43d449b2211807f1ed30bd485aaff228e; `git diff v6.18 HEAD --
// mm/vma.c mm/vma.h mm/mremap.c`): mremap()'s copy_vma() merges through
// vma_merge_copied_range(), which keeps the VMA being copied in
// vmg->copied_from (a field mm/vma.h adds to struct vma_merge_struct);
// is_mergeable_anon_vma() also refuses, in its case 1, a copied_from VMA
// that is a fork child; vma_expand() gives the target copied_from's
// anon_vma with dup_anon_vma(), as it does next's; and
// vma_merge_existing_range() warns on a copied_from. The rest of the
// diff on these files (vma_had_uncowed_parents() renamed
// vma_is_fork_child(), comments, __mmap_complete()'s
// vma_supports_mlock() for VM_LOCKED, which nothing modelled sets) does
// not change the model.

// PatchV618y turns v6.18's function table into 6.18.y's: copy_vma(),
// is_mergeable_anon_vma(), vma_expand() and vma_merge_existing_range() as
// 6.18.35 has them.
func PatchV618y(f *transitions.Funcs) {
	f.CopyVMA = copyVMAV618y
	f.IsMergeableAnonVMAVMG = isMergeableAnonVMAV618y
	f.VMAExpand = vmaExpandV618y
	f.VMAMergeExistingRange = vmaMergeExistingRangeV618y
}

// copyVMAV618y models mm/vma.c:copy_vma() (6.18.35): v6.18's, except that
// the merge is vma_merge_copied_range() with middle still the VMA being
// copied, not vma_merge_new_range() with middle NULL.
func copyVMAV618y(k *Kernel, vmap *vmaID, addr, length, pgoff uint8) vmaID {
	return copyVMAMerge(k, vmap, addr, length, pgoff, func(g *vmg) vmaID {
		return vmaMergeCopiedRange(k, g)
	})
}

// vmaMergeCopiedRange models mm/vma.c:vma_merge_copied_range() (6.18.35):
// the copied-from VMA, which must be in vmg->middle, moves to
// vmg->copied_from, middle becomes NULL, and the range merges as a new
// one (vma_merge_new_range()). prev, next, start, end and pgoff are the
// copied-to range's.
func vmaMergeCopiedRange(k *Kernel, g *vmg) vmaID {
	k.WarnOn(g.Middle == state.NoVMA, transitions.WarnMergeCopiedNoMiddle)
	g.CopiedFrom, g.Middle = g.Middle, state.NoVMA
	return k.VMAMergeNewRange(g)
}

// isMergeableAnonVMAV618y models mm/vma.c:is_mergeable_anon_vma()
// (6.18.35): v6.18's, with one more refusal in case 1 (the neighbour has
// no anon_vma, the range has one, and dup_anon_vma() would give the
// neighbour the range's): vmg->copied_from must not be a fork child
// either (vma_is_fork_child(), v6.18's vma_had_uncowed_parents() renamed:
// an anon_vma and a chain that is not singular). The kernel tests src
// (vmg->middle) first; either refusal gives false, so the order matters
// only to which is counted, and mremap(), the only caller that sets
// copied_from, leaves middle NULL.
func isMergeableAnonVMAV618y(k *Kernel, g *vmg, next mergeSide) bool {
	tgt := g.Prev
	if next {
		tgt = g.Next
	}
	if k.VMA(tgt).AnonVMA == state.NoAV && g.AnonVMA != state.NoAV && // case 1
		vmaHadUncowedParents(k, g.CopiedFrom) {
		k.Case(transitions.CaseUncowedRefuse)
		return false
	}
	return isMergeableAnonVMAV618(k, g, next)
}

// vmaExpandV618y models mm/vma.c:vma_expand() (6.18.35): v6.18's, and
// then, without an error from next's dup_anon_vma(), dup_anon_vma(target,
// vmg->copied_from) gives the target the anon_vma of the VMA mremap()
// copies, so that the pages it moves into the target stay reachable.
func vmaExpandV618y(k *Kernel, g *vmg) int { return vmaExpandFrom(k, g, g.CopiedFrom) }

// vmaMergeExistingRangeV618y models mm/vma.c:vma_merge_existing_range()
// (6.18.35): v6.18's, with VM_WARN_ON_VMG(vmg->copied_from, vmg) among
// its checks ("An existing merge can never be used by the mremap()
// logic").
func vmaMergeExistingRangeV618y(k *Kernel, g *vmg) vmaID {
	k.WarnOn(g.CopiedFrom != state.NoVMA, transitions.WarnMergeExistingCopiedFrom)
	return vmaMergeExistingRangeV618(k, g)
}
