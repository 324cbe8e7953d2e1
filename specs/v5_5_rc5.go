package specs

import (
	"anoncheck/state"
	"anoncheck/transitions"
	v5 "anoncheck/transitions/v5"
)

// V55rc5 is Linux v5.5-rc5: v5.4 plus the two patches of Wei Yang's series
// as merged for v5.5-rc1. 47b390d23bf8 ("mm/rmap.c: don't reuse anon_vma if
// we just want a copy") adds the src->anon_vma term to the reuse test, so
// only anon_vma_fork() (the one caller that clears dst->anon_vma before
// cloning) can reuse. 4e4a9eb92133 ("mm/rmap.c: reuse mergeable anon_vma as
// parent when fork") adds a preamble that shares dst->vm_prev's anon_vma
// when src shares its anon_vma with src->vm_prev.
var V55rc5 = Register(&Variant{
	Name: "v5.5-rc5",
	Date: "2020-01-05",
	Follows: "Linux v5.5-rc5: v5.4 + 47b390d23bf8 + 4e4a9eb92133 as merged (Andrew Morton's re-send, " +
		"LKML 14 Oct 2019, <20191014154029.ab909c9bf08c78bbc2404f2d@linux-foundation.org>)",
	Summary: "fork shares dst->vm_prev's anon_vma when src shares with src->vm_prev; reuse only from fork",
	Notes: "dup_mmap() is v5.4's: during anon_vma_fork() the child VMA's vm_prev is still the parent's, so " +
		"'prev' is 'pprev' and DST2..DSTn share the parent's own anon_vma (Khlebnikov, 6 Jan 2020).",
	Base:  "v5.4",
	Patch: func(f *transitions.Funcs) { f.AnonVMAClone = anonVMAClone4e4a9eb92133 },
	Expect: []Expectation{
		AllHold(Default3,
			"Khlebnikov, LKML 9 Jan 2020: \"still produces valid anon-vma tree, so nothing crashes\""+degreeDoubleReuse),
		AllHold(MergeCase1, "the 47b390d23bf8 guard keeps split and merge callers out of the sharing"),
	},
})

// anonVMAClone4e4a9eb92133 models mm/rmap.c:anon_vma_clone() in v5.5-rc1 ..
// v5.6: the 4e4a9eb92133 preamble, then the loop with 47b390d23bf8's test.
//
//	prev = dst->vm_prev, pprev = src->vm_prev
//	if (!dst->anon_vma && src->anon_vma && pprev && pprev->anon_vma == src->anon_vma)
//		dst->anon_vma = prev->anon_vma;
//
// prev is dereferenced unchecked ("1. Parent has vm_prev, which implies we
// have vm_prev").
func anonVMAClone4e4a9eb92133(k *transitions.Kernel, dst, src state.VMAID) int {
	prev, pprev := k.VMA(dst).Prev, k.VMA(src).Prev
	if k.VMA(dst).AnonVMA == state.NoAV && k.VMA(src).AnonVMA != state.NoAV &&
		pprev != state.NoVMA && k.VMA(pprev).AnonVMA == k.VMA(src).AnonVMA {
		k.VMA(dst).AnonVMA = k.VMA(prev).AnonVMA
	}
	return v5.AnonVMACloneLinks(k, dst, src, true)
}

// anonVMAClone47b390d23bf8 models mm/rmap.c:anon_vma_clone() with
// 47b390d23bf8 and without the 4e4a9eb92133 preamble: the form Khlebnikov's
// fixes start from and the revert 23ab76bf90a6 returns to.
func anonVMAClone47b390d23bf8(k *transitions.Kernel, dst, src state.VMAID) int {
	return v5.AnonVMACloneLinks(k, dst, src, true)
}
