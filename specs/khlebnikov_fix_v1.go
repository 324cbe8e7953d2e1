package specs

import (
	"anoncheck/state"
	"anoncheck/transitions"
	v5 "anoncheck/transitions/v5"
)

// KhlebnikovFixV1 is Konstantin Khlebnikov's first fix of 4e4a9eb92133, on
// top of v5.5-rc5: dup_mmap() sets the child VMA's vm_prev (the child's
// previous VMA) and vm_next = NULL before anon_vma_fork(); the sharing moves
// from anon_vma_clone() into anon_vma_fork(), guarded by a vm_start
// comparison against VM_DONTCOPY holes. Li Xinhai found that the shared
// anon_vma is never linked to the new VMA: anon_vma_clone() only links the
// parent VMA's anon_vmas.
var KhlebnikovFixV1 = Register(&Variant{
	Name: "khlebnikov-fix-v1",
	Date: "2020-01-06",
	Follows: "Konstantin Khlebnikov, \"[PATCH] mm/rmap: fix reusing mergeable anon_vma as parent when fork\", " +
		"LKML 6 Jan 2020, <157830736034.8148.7070851958306750616.stgit@buzz>",
	Summary: "share the child's prev->anon_vma in anon_vma_fork() when the parent's VMAs share; vm_prev set before fork",
	Notes: "Li Xinhai's report of the missing anon_vma_chain link is quoted in " +
		"<f008876f-c163-e77d-d8e6-4722ba69e9f0@yandex-team.ru>.",
	Base: "v5.5-rc5",
	Patch: func(f *transitions.Funcs) {
		f.AnonVMAClone = anonVMAClone47b390d23bf8
		f.AnonVMAFork = anonVMAForkKhlebnikovV1
		f.DupMmap = dupMmapKhlebnikov(nil)
	},
	Expect: []Expectation{
		Violated("own-anon-vma-linked", Default3, 1,
			"Li Xinhai, LKML 7 Jan 2020: the shared anon_vma comes from the previous child VMA and gets no anon_vma_chain"),
		Violated("rmap-reachable", Default3, 2,
			"seed thread 1.6: the missing link makes pages COWed into the shared anon_vma unreachable by rmap"),
	},
})

// dupMmapKhlebnikov returns kernel/fork.c:dup_mmap() as Khlebnikov's fixes
// change it (fix v1's fork.c hunk; fix v2 2/2 is the same change): the
// child VMA's vm_mm, vm_prev (the child's previous VMA) and vm_next = NULL
// are set right after vm_area_dup(), before anon_vma_fork(). fork, if not
// nil, is called instead of anon_vma_fork(tmp, mpnt), with dup_mmap()'s
// prev as a third argument (fix v2 1/2 and what builds on it).
func dupMmapKhlebnikov(fork func(k *transitions.Kernel, tmp, mpnt, prev state.VMAID) int) func(k *transitions.Kernel, mm, oldmm int) int {
	opt := v5.DupMmapV54Options
	opt.LinkBeforeFork = true
	opt.Fork = fork
	return func(k *transitions.Kernel, mm, oldmm int) int { return v5.DupMmap(k, mm, oldmm, opt) }
}

// anonVMAForkKhlebnikovV1 models mm/rmap.c:anon_vma_fork() with fix v1:
//
//	vma->anon_vma = NULL;
//	if (pvma->anon_vma && pprev && prev &&
//	    pprev->anon_vma == pvma->anon_vma && pprev->vm_start == prev->vm_start)
//		vma->anon_vma = prev->anon_vma;
//	anon_vma_clone(vma, pvma) ...
func anonVMAForkKhlebnikovV1(k *transitions.Kernel, vma, pvma state.VMAID) int {
	prev, pprev := k.VMA(vma).Prev, k.VMA(pvma).Prev
	pv := k.VMA(pvma)
	if pv.AnonVMA == state.NoAV {
		return 0
	}
	k.VMA(vma).AnonVMA = state.NoAV
	if pprev != state.NoVMA && prev != state.NoVMA &&
		k.VMA(pprev).AnonVMA == pv.AnonVMA && k.VMA(pprev).Start == k.VMA(prev).Start {
		k.VMA(vma).AnonVMA = k.VMA(prev).AnonVMA
	}
	if err := k.AnonVMAClone(vma, pvma); err != 0 {
		return err
	}
	if k.VMA(vma).AnonVMA != state.NoAV {
		return 0
	}
	return v5.AnonVMAForkNew(k, vma, pvma)
}
