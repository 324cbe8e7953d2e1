package specs

import (
	"fmt"

	"anoncheck/state"
)

// SelfCheck is the model's own consistency check, run on every state with
// --self-check: a failure is a bug in the model (or in a variant's Go
// code), not in the kernel. It is a property so that its failure comes
// with the shortest trace like any other.
var SelfCheck = &Property{
	Name:      "self-check",
	Short:     "self",
	Statement: "the model's structures agree: every AVC is on its VMA's chain and in its anon_vma's interval tree, chains hold no duplicates, unused slots are zero",
	Failure:   "none in the kernel: a bug in the model",
	Holds:     func(s *state.State, _ Env) bool { return ModelError(s) == nil },
}

// ModelError returns the first inconsistency of the state's structures,
// or nil.
func ModelError(s *state.State) error {
	if s.Faulted() {
		return nil // the operation stopped half-way
	}
	for i := range s.VMAs {
		v := &s.VMAs[i]
		id := state.VMAID(i + 1)
		if v.MM == 0 {
			if *v != (state.VMA{}) {
				return fmt.Errorf("unused VMA slot %d is not zero", id)
			}
			continue
		}
		if v.NChain > state.MaxChain {
			return fmt.Errorf("VMA %d: chain length %d", id, v.NChain)
		}
		for j := uint8(0); j < v.NChain; j++ {
			a := v.Chain[j]
			if a == state.NoAV || int(a) > state.MaxAnonVMAs {
				return fmt.Errorf("VMA %d: chain entry %d is not an anon_vma", id, j)
			}
			if !s.AV(a).InTree(id) {
				return fmt.Errorf("VMA %d: chain holds anon_vma %d, whose interval tree lacks the VMA", id, a)
			}
			for k := j + 1; k < v.NChain; k++ {
				if v.Chain[k] == a {
					return fmt.Errorf("VMA %d: anon_vma %d twice on the chain", id, a)
				}
			}
		}
		for j := v.NChain; j < state.MaxChain; j++ {
			if v.Chain[j] != state.NoAV {
				return fmt.Errorf("VMA %d: chain slot %d beyond the chain's end is not zero", id, j)
			}
		}
	}
	for i := range s.AnonVMAs {
		a := &s.AnonVMAs[i]
		if a.Status == state.AVUnused {
			if *a != (state.AnonVMA{}) {
				return fmt.Errorf("unused anon_vma slot %d is not zero", i+1)
			}
			continue
		}
		for v := 0; v < state.MaxVMAs; v++ {
			if a.Tree&(1<<v) != 0 && s.VMAs[v].MM != 0 && !s.VMAs[v].ChainHas(state.AVID(i+1)) {
				return fmt.Errorf("anon_vma %d: interval tree holds VMA %d, whose chain lacks it", i+1, v+1)
			}
		}
	}
	for i := range s.Pages {
		if s.Pages[i].Used == 0 && s.Pages[i] != (state.Page{}) {
			return fmt.Errorf("unused page slot %d is not zero", i+1)
		}
	}
	return nil
}
