package transitions_test

import (
	"math/rand/v2"
	"testing"

	"anoncheck/specs"
	"anoncheck/state"
	"anoncheck/transitions"
)

// Without a Recorder, applying an operation allocates nothing: the
// dispatch methods name their arguments only when one is attached. With
// one, the same operations record their calls with arguments.
func TestNoRecorderNoAllocation(t *testing.T) {
	sc := transitions.DefaultScope()
	sc.Procs = 3
	r := rand.New(rand.NewPCG(1, 2))
	var states []state.State
	k := specs.V54.Kernel()
	s := transitions.Initial()
	for len(states) < 200 {
		acts := sc.Actions(&s, false, nil)
		if len(acts) == 0 || s.Faulted() || r.IntN(10) == 0 {
			s = transitions.Initial()
			continue
		}
		states = append(states, s)
		k.S = &s
		if _, err := k.Apply(transitions.DecodeOp(acts[r.IntN(len(acts))]), &sc); err != nil {
			t.Fatal(err)
		}
	}
	var acts []uint32
	var tmp state.State
	applyAll := func() {
		for i := range states {
			acts = sc.Actions(&states[i], false, acts[:0])
			for _, a := range acts {
				tmp = states[i]
				k.S = &tmp
				_, _ = k.Apply(transitions.DecodeOp(a), &sc)
			}
		}
	}
	applyAll() // grow acts
	if n := testing.AllocsPerRun(3, applyAll); n != 0 {
		t.Errorf("%v allocations applying every action of %d states without a Recorder, want 0", n, len(states))
	}
	k.Rec = &transitions.Recorder{}
	withArgs := 0
	for i := range states {
		for _, a := range sc.Actions(&states[i], false, nil) {
			tmp = states[i]
			k.S = &tmp
			_, _ = k.Apply(transitions.DecodeOp(a), &sc)
			for _, c := range k.Rec.Calls {
				if len(c.Name) > 0 && c.Name[len(c.Name)-1] == ')' {
					withArgs++
				}
			}
		}
	}
	if withArgs == 0 {
		t.Error("with a Recorder no call recorded its arguments")
	}
}
