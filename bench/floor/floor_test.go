// Package floor measures the physical floor of explicit-state search on
// this machine, to set anoncheck's cost per transition against: for each
// state, copy it, hash it and insert its fingerprint in an open-addressing
// table. Nothing a model checker does per transition can be cheaper.
//
//	go test -run '^$' -bench . ./bench/floor
//
// BenchmarkFloor is the floor per state; BenchmarkExplorer runs the real
// explorer on v5.4 and reports its ns/transition and the ratio to the
// floor measured in the same process; BenchmarkFingerprint compares the
// hand-written canonical encoding hashed with XXH3 (the hot path) against
// github.com/mitchellh/hashstructure/v2 on the same states.
package floor

import (
	"context"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mitchellh/hashstructure/v2"
	"github.com/zeebo/xxh3"

	"anoncheck/check"
	"anoncheck/specs"
	"anoncheck/state"
	"anoncheck/transitions"
)

// pool returns reachable canonical states of the v5.4 model at the default
// scope, so that the floor copies and hashes states of the real size and
// content.
func pool(tb testing.TB, n int) []state.State {
	tb.Helper()
	m := &specs.Model{Variant: specs.V54, Scope: transitions.DefaultScope()}
	w := m.NewWorker()
	r := rand.New(rand.NewPCG(7, 8))
	out := make([]state.State, 0, n)
	s := m.Init()
	var next state.State
	var buf []uint32
	for len(out) < n {
		buf = w.Actions(&s, false, buf[:0])
		if len(buf) == 0 || s.Faulted() || r.IntN(10) == 0 {
			s = m.Init()
			continue
		}
		if w.Next(&s, buf[r.IntN(len(buf))], &next) {
			s = next
			out = append(out, s)
		}
	}
	return out
}

// table is the least a visited set can be: linear probing over uint64
// fingerprints, grown at 3/4 load.
type table struct {
	slots []uint64
	n     int
}

func (t *table) insert(fp uint64) bool {
	if (t.n+1)*4 > len(t.slots)*3 {
		old := t.slots
		t.slots = make([]uint64, max(1024, 2*len(old)))
		t.n = 0
		for _, f := range old {
			if f != 0 {
				t.insert(f)
			}
		}
	}
	mask := uint64(len(t.slots) - 1)
	for i := (fp * 0x9e3779b97f4a7c15) >> 20 & mask; ; i = (i + 1) & mask {
		switch t.slots[i] {
		case 0:
			t.slots[i] = fp
			t.n++
			return true
		case fp:
			return false
		}
	}
}

// floorLoop copies, hashes and inserts n states from p; the fingerprint
// is salted with the iteration so every insert adds a new entry, as in a
// search that keeps finding states.
func floorLoop(p []state.State, n int) {
	var t table
	var s state.State
	for i := 0; i < n; i++ {
		s = p[i%len(p)]
		s.Pages[0].Index ^= uint8(i >> 8) // the copy must be used
		fp := xxh3.Hash(s.Bytes()) ^ uint64(i)*0x9e3779b97f4a7c15
		t.insert(fp | 1)
	}
}

// BenchmarkFloor: one copy, hash and insert per op.
func BenchmarkFloor(b *testing.B) {
	p := pool(b, 4096)
	b.ReportAllocs()
	b.ResetTimer()
	floorLoop(p, b.N)
}

// BenchmarkExplorer runs the explorer on v5.4 at the default scope to
// bound 4 with one worker and reports ns/transition and its ratio to the
// floor, measured right after over as many states.
func BenchmarkExplorer(b *testing.B) {
	m := &specs.Model{Variant: specs.V54, Scope: transitions.DefaultScope()}
	p := pool(b, 4096)
	var res check.Result
	for b.Loop() {
		res = check.Run[state.State](context.Background(), m, check.Config[state.State]{
			Bound: 4, Properties: m.CheckProperties(specs.Properties()), Workers: 1})
	}
	perTransition := float64(b.Elapsed().Nanoseconds()) / float64(b.N) / float64(res.Stats.Transitions)
	b.StopTimer()
	t0 := time.Now()
	floorLoop(p, res.Stats.Transitions)
	floor := float64(time.Since(t0).Nanoseconds()) / float64(res.Stats.Transitions)
	b.ReportMetric(perTransition, "ns/transition")
	b.ReportMetric(floor, "floor-ns/state")
	b.ReportMetric(perTransition/floor, "x-floor")
	b.ReportMetric(float64(res.Stats.States), "states")
}

// BenchmarkFingerprint compares the per-state fingerprint on the hot path
// (the canonical encoding is the state's own bytes, hashed with XXH3)
// with hashstructure/v2 walking the same struct by reflection.
func BenchmarkFingerprint(b *testing.B) {
	p := pool(b, 1024)
	b.Run("xxh3-canonical-bytes", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			_ = xxh3.Hash(p[i%len(p)].Bytes())
			i++
		}
	})
	b.Run("hashstructure-v2", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if _, err := hashstructure.Hash(p[i%len(p)], hashstructure.FormatV2, nil); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}

// The two fingerprints must agree on which states are equal, or the
// comparison is not of like with like.
func TestFingerprintsAgree(t *testing.T) {
	p := pool(t, 512)
	hOf, xOf := map[uint64]uint64{}, map[uint64]uint64{}
	for i := range p {
		h, err := hashstructure.Hash(p[i], hashstructure.FormatV2, nil)
		if err != nil {
			t.Fatal(err)
		}
		x := xxh3.Hash(p[i].Bytes())
		if old, ok := hOf[x]; ok && old != h {
			t.Fatalf("state %d: equal XXH3 fingerprints, different hashstructure ones", i)
		}
		if old, ok := xOf[h]; ok && old != x {
			t.Fatalf("state %d: equal hashstructure fingerprints, different XXH3 ones", i)
		}
		hOf[x], xOf[h] = h, x
	}
	if len(hOf) < 100 {
		t.Fatalf("only %d distinct states in the pool", len(hOf))
	}
}

// BenchmarkScaling measures what a second core adds on this machine, with
// nothing shared: the same total work done by one goroutine and split
// over two, for a pure arithmetic loop (alu), the floor loop (floor) and
// the model's transition (copy, apply, canonicalise, fingerprint) with a
// private worker per goroutine (transition). The speedup metric is the
// one-goroutine time over the two-goroutine time: the ceiling for the
// explorer's two workers, which also share a visited set and a frontier.
func BenchmarkScaling(b *testing.B) {
	p := pool(b, 4096)
	m := &specs.Model{Variant: specs.V54, Scope: transitions.DefaultScope()}
	acts := make([][]uint32, len(p))
	for i := range p {
		acts[i] = m.NewWorker().Actions(&p[i], false, nil)
	}
	loads := []struct {
		name string
		n    int // units of work per op
		run  func(from, n int)
	}{
		{"alu", 1 << 24, func(from, n int) {
			x := uint64(from) | 1
			for i := 0; i < n; i++ {
				x ^= x << 13
				x ^= x >> 7
				x ^= x << 17
			}
			sink.Add(x)
		}},
		{"floor", 1 << 20, func(from, n int) { floorLoop(p[from%len(p):], n) }},
		{"transition", 1 << 18, func(from, n int) {
			w := m.NewWorker()
			var out state.State
			for i := from; i < from+n; i++ {
				s := &p[i%len(p)]
				a := acts[i%len(p)]
				if len(a) > 0 && w.Next(s, a[(i/len(p))%len(a)], &out) {
					sink.Add(w.Fingerprint(&out))
				}
			}
		}},
	}
	for _, l := range loads {
		b.Run(l.name, func(b *testing.B) {
			var one, two time.Duration
			for b.Loop() {
				t0 := time.Now()
				l.run(0, l.n)
				one += time.Since(t0)
				t0 = time.Now()
				done := make(chan struct{})
				go func() { l.run(l.n/2, l.n/2); close(done) }()
				l.run(0, l.n/2)
				<-done
				two += time.Since(t0)
			}
			b.ReportMetric(float64(one)/float64(two), "speedup")
		})
	}
}

var sink atomic.Uint64
