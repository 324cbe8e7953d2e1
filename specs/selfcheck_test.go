package specs_test

import (
	"testing"

	"anoncheck/specs"
	"anoncheck/state"
	"anoncheck/transitions"
)

// TestSelfCheck checks that the self-check catches a kernel function that
// puts an AVC on the VMA's chain but not in the anon_vma's interval tree,
// which breaks the model's mirror, and v5.4 and v6.18 pass it.
func TestSelfCheck(t *testing.T) {
	chainOnly := mutant("mutant-chain-only", func(f *transitions.Funcs) {
		f.AnonVMAChainLink = func(k *kernel, vma vmaID, av avID) {
			v := k.VMA(vma)
			copy(v.Chain[1:v.NChain+1], v.Chain[:v.NChain])
			v.Chain[0] = av
			v.NChain++
		}
	})
	res := exploreFor(t, chainOnly, scope(1, 1), 1, specs.SelfCheck)
	if !res.Violated(0) {
		t.Fatal("the self-check missed a chain entry with no interval-tree node")
	}
	for _, v := range []*specs.Variant{specs.V54, specs.V618} {
		if res = exploreFor(t, v, scope(2, 2), 2, specs.SelfCheck); res.Violated(0) {
			t.Fatalf("%s fails the self-check", v.Name)
		}
	}
	var s state.State
	s.VMAs[3].Start = 1 // an unused slot that is not zero
	if specs.ModelError(&s) == nil {
		t.Fatal("a dirty unused VMA slot passed the self-check")
	}
}
