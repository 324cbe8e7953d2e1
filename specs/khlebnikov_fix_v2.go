package specs

import (
	"anoncheck/state"
	"anoncheck/transitions"
)

// KhlebnikovFixV2 is Konstantin Khlebnikov's second fix, on top of
// v5.5-rc5: 1/2 gives anon_vma_fork() the child's previous VMA and shares
// its anon_vma when that anon_vma's parent is pvma->anon_vma, cloning prev's
// chain; 2/2 sets the child VMA's vm_mm, vm_prev and vm_next right after
// vm_area_dup(). Khlebnikov later (13 Jan 2020) called it "slightly broken":
// prev's anon_vmas need not be the new VMA's, so anon_vma_clone(vma, prev)
// may lose connectivity.
var KhlebnikovFixV2 = Register(&Variant{
	Name: "khlebnikov-fix-v2",
	Date: "2020-01-07",
	Follows: "Konstantin Khlebnikov, \"[PATCH v2 1/2] mm/rmap: fix and simplify reusing mergeable anon_vma as " +
		"parent when fork\" <157839239609.694.10268055713935919822.stgit@buzz> and \"[PATCH v2 2/2] kernel/fork: " +
		"set VMA's mm/prev/next right after vm_area_dup in dup_mmap\" <157839239842.694.2288178566540902852.stgit@buzz>, LKML 7 Jan 2020",
	Summary: "share prev->anon_vma when its parent is pvma->anon_vma and clone prev's chain; links set right after vm_area_dup",
	Notes:   "The prev passed to anon_vma_fork() is dup_mmap()'s local prev, the child's previous VMA.",
	Base:    "v5.5-rc5",
	Patch: func(f *transitions.Funcs) {
		f.AnonVMAClone = anonVMAClone47b390d23bf8
		f.DupMmap = dupMmapKhlebnikov(anonVMAForkKhlebnikovV2)
	},
	Expect: []Expectation{
		AllHold(Default3,
			"Khlebnikov, LKML 13 Jan 2020: broken in principle, but \"building such case isn't trivial\": not at this scope"+degreeDoubleReuse),
	},
})

// anonVMAForkKhlebnikovV2 models mm/rmap.c:anon_vma_fork(vma, pvma, prev)
// with fix v2 1/2:
//
//	if (!pvma->anon_vma) return 0;
//	if (prev && prev->anon_vma && prev->anon_vma->parent == pvma->anon_vma) {
//		vma->anon_vma = prev->anon_vma;
//		return anon_vma_clone(vma, prev);
//	}
//	... v5.5's anon_vma_fork(vma, pvma)
func anonVMAForkKhlebnikovV2(k *transitions.Kernel, vma, pvma, prev state.VMAID) int {
	k.Enter(transitions.FnAnonVMAFork)
	defer k.Leave()
	if k.Rec != nil {
		k.Rec.Args("vma="+vma.Name(), "pvma="+pvma.Name(), "prev="+prev.Name())
	}
	if k.VMA(pvma).AnonVMA == state.NoAV {
		return 0
	}
	if prev != state.NoVMA && k.VMA(prev).AnonVMA != state.NoAV &&
		k.AV(k.VMA(prev).AnonVMA).Parent == k.VMA(pvma).AnonVMA {
		k.VMA(vma).AnonVMA = k.VMA(prev).AnonVMA
		return k.AnonVMAClone(vma, prev)
	}
	return k.F.AnonVMAFork(k, vma, pvma)
}
