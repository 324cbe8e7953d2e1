package specs

import (
	"anoncheck/state"
	"anoncheck/transitions"
)

// LiXinhaiProposal is Li Xinhai's answer to Khlebnikov's "slightly broken"
// (LKML, 14 Jan 2020): "It is necessary to call anon_vma_clone(vma, pvma)
// to link all anon_vma which currently linked by pvma, then link the
// prev->anon_vma to vma." No code was posted; this variant is that sentence
// on top of khlebnikov-fix-v2.
var LiXinhaiProposal = Register(&Variant{
	Name: "lixinhai-proposal",
	Date: "2020-01-14",
	Follows: "Li Xinhai, LKML 14 Jan 2020, quoted in Wei Yang's reply <20200115012055.GC4916@richard> " +
		"(prose only), on top of khlebnikov-fix-v2",
	Summary: "clone from the parent VMA first, then also link prev->anon_vma",
	Notes: "Choices where the mail is silent: the sharing condition is fix v2's " +
		"(prev->anon_vma->parent == pvma->anon_vma); vma->anon_vma is set to prev->anon_vma before " +
		"anon_vma_clone(vma, pvma), so the clone reuses nothing and counts the VMA in prev->anon_vma's degree; " +
		"the extra AVC is linked only if the clone did not already link prev->anon_vma.",
	Base:  "khlebnikov-fix-v2",
	Patch: func(f *transitions.Funcs) { f.DupMmap = dupMmapKhlebnikov(anonVMAForkLiXinhai) },
	Expect: []Expectation{
		AllHold(Default3, "Li Xinhai, LKML 14 Jan 2020: \"connectivity of vma should be maintained\""+degreeDoubleReuse),
	},
})

// anonVMAForkLiXinhai models anon_vma_fork(vma, pvma, prev) as Li Xinhai
// described it: share as fix v2 does, but link everything pvma links and
// then prev->anon_vma.
func anonVMAForkLiXinhai(k *transitions.Kernel, vma, pvma, prev state.VMAID) int {
	k.Enter(transitions.FnAnonVMAFork)
	defer k.Leave()
	if k.Rec != nil {
		k.Rec.Args("vma="+vma.Name(), "pvma="+pvma.Name(), "prev="+prev.Name())
	}
	pv := k.VMA(pvma)
	if pv.AnonVMA == state.NoAV {
		return 0
	}
	if prev != state.NoVMA && k.VMA(prev).AnonVMA != state.NoAV &&
		k.AV(k.VMA(prev).AnonVMA).Parent == pv.AnonVMA {
		shared := k.VMA(prev).AnonVMA
		k.VMA(vma).AnonVMA = shared
		if err := k.AnonVMAClone(vma, pvma); err != 0 {
			return err
		}
		if !k.VMA(vma).ChainHas(shared) {
			k.AnonVMAChainLink(vma, shared)
		}
		return 0
	}
	return k.F.AnonVMAFork(k, vma, pvma)
}
