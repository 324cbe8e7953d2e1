package specs_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"anoncheck/check"
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
	// item is a reachable state with its enabled actions; pool holds 512.
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

// BenchmarkExplore measures the explorer on the v5.4 model at the default
// scope, bound 4, with one and two workers: states/s is the figure to
// compare (docs/PERFORMANCE.md).
func BenchmarkExplore(b *testing.B) {
	for _, workers := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			m := &specs.Model{Variant: specs.V54, Scope: transitions.DefaultScope()}
			var res check.Result
			for b.Loop() {
				res = check.Run[state.State](context.Background(), m, check.Config[state.State]{
					Bound: 4, Properties: m.CheckProperties(specs.Properties()), Workers: workers})
			}
			b.ReportMetric(float64(res.Stats.States)*float64(b.N)/b.Elapsed().Seconds(), "states/s")
			b.ReportMetric(float64(res.Stats.Transitions)*float64(b.N)/b.Elapsed().Seconds(), "transitions/s")
		})
	}
}

// TestPropertiesDoNotAllocate checks that judging a state allocates
// nothing: each property's check formats its explanation only when the
// property fails, so the explorer's hot path stays free of allocations. The
// states are a random walk of the khlebnikov-fix-v1 model; a failing
// verdict may allocate (its explanation), a holding one must not. (It found
// two checks that named their process or anon_vma before knowing they would
// fail.)
func TestPropertiesDoNotAllocate(t *testing.T) {
	m := &specs.Model{Variant: specs.KhlebnikovFixV1, Scope: transitions.DefaultScope()}
	w := m.NewWorker()
	r := rand.New(rand.NewPCG(7, 8))
	env := m.Variant.Env(m.Scope.Procs)
	s := m.Init()
	holding, failing := 0, 0
	for i := 0; i < 2000; i++ {
		acts := w.Actions(&s, false, nil)
		if len(acts) == 0 || s.Faulted() || r.IntN(8) == 0 {
			s = m.Init()
			continue
		}
		var next state.State
		if w.Next(&s, acts[r.IntN(len(acts))], &next) {
			s = next
		}
		for _, p := range specs.Properties() {
			if !p.Judge(&s, env) {
				failing++
				continue
			}
			holding++
			if n := testing.AllocsPerRun(10, func() { p.Judge(&s, env) }); n != 0 {
				t.Fatalf("judging %s on a state where it holds allocates %.0f times", p.Name, n)
			}
		}
	}
	if holding < 1000 {
		t.Fatalf("the walk judged only %d holding verdicts (%d failing)", holding, failing)
	}
}
