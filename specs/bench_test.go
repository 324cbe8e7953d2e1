package specs_test

import (
	"math/rand/v2"
	"testing"

	"anoncheck/specs"
	"anoncheck/state"
	"anoncheck/transitions"
)

// BenchmarkTransition measures one successor computation of the explorer's
// hot path: copy the state, apply an operation through the v5.4 kernel
// functions, canonicalise, fingerprint.
func BenchmarkTransition(b *testing.B) {
	m := &specs.Model{Variant: specs.V54, Scope: transitions.DefaultScope()}
	w := m.NewWorker()
	r := rand.New(rand.NewPCG(5, 6))
	// A pool of reachable states with their enabled actions.
	type item struct {
		s state.State
		a []uint32
	}
	var pool []item
	s := m.Init()
	for len(pool) < 512 {
		acts := w.Actions(&s, false, nil)
		if len(acts) == 0 || s.Faulted() {
			s = m.Init()
			continue
		}
		pool = append(pool, item{s, acts})
		var next state.State
		if w.Next(&s, acts[r.IntN(len(acts))], &next) {
			s = next
		}
		if r.IntN(8) == 0 {
			s = m.Init()
		}
	}
	var out state.State
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		it := &pool[i%len(pool)]
		w.Next(&it.s, it.a[(i/len(pool))%len(it.a)], &out)
		_ = w.Fingerprint(&out)
		i++
	}
}
