package specs

import (
	"anoncheck/state"
	"anoncheck/transitions"
	v5 "anoncheck/transitions/v5"
)

// LinuxNext20191008 is Wei Yang's first version of "mm/rmap.c: reuse
// mergeable anon_vma as parent when fork" as it stood in linux-next
// 20191008 (commit 480706f51e2c there), on top of v5.4: a preamble in
// anon_vma_clone() with no check of dst->anon_vma or src->anon_vma, run for
// every caller (fork, __split_vma, __vma_adjust, copy_vma). syzbot and Qian
// Cai hit "kernel BUG at include/linux/rmap.h:159" (anon_vma_merge) from
// mmap_region -> vma_merge -> __vma_adjust with it.
var LinuxNext20191008 = Register(&Variant{
	Name: "linux-next-20191008",
	Date: "2019-10-08",
	Follows: "Wei Yang, \"[PATCH] mm/rmap.c: reuse mergeable anon_vma as parent when fork\", LKML 4 Oct 2019, " +
		"<20191004160632.30251-1-richardw.yang@linux.intel.com>, as in linux-next 20191008 (480706f51e2c)",
	Summary: "unguarded prev-sharing in anon_vma_clone() for every caller",
	Notes:   "47b390d23bf8 was not yet in linux-next: the reuse test is v5.4's. The rest of the tree is modelled as v5.4.",
	Base:    "v5.4",
	Patch:   func(f *transitions.Funcs) { f.AnonVMAClone = anonVMACloneWeiV1 },
	Expect: []Expectation{
		Violated("kernel-bug", MergeCase1, 0,
			"syzbot and Qian Cai, LKML 9 Oct 2019: kernel BUG in __vma_adjust <- vma_merge <- mmap_region, no fork needed"),
	},
})

// anonVMACloneWeiV1 models mm/rmap.c:anon_vma_clone() of linux-next
// 20191008:
//
//	prev = dst->vm_prev, pprev = src->vm_prev
//	if (pprev && pprev->anon_vma == src->anon_vma)
//		dst->anon_vma = prev->anon_vma;
//
// then v5.4's loop. In __vma_adjust()'s importer step (src is the exporter,
// whose vm_prev is the importer), this overwrites the anon_vma just
// imported with that of the importer's own vm_prev.
func anonVMACloneWeiV1(k *transitions.Kernel, dst, src state.VMAID) int {
	prev, pprev := k.VMA(dst).Prev, k.VMA(src).Prev
	if pprev != state.NoVMA && k.VMA(pprev).AnonVMA == k.VMA(src).AnonVMA {
		k.VMA(dst).AnonVMA = k.VMA(prev).AnonVMA
	}
	return v5.AnonVMACloneLinks(k, dst, src, false)
}
