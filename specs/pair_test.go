package specs_test

import (
	"context"
	"math/rand/v2"
	"testing"

	"anoncheck/check"
	"anoncheck/specs"
	"anoncheck/transitions"
)

// pairPacker is what the pair model's worker must be for the explorer to
// keep its frontier packed.
type pairPacker interface {
	check.Worker[specs.Pair]
	check.Packer[specs.Pair]
}

// The pair model's worker packs pairs, each side as a single state packs,
// and unpacks them to what they were: pairs that agree (B equal to A) and
// pairs that differ, here v5.4 against v6.1, whose counters differ from
// the first write.
func TestPairPackRoundTrip(t *testing.T) {
	m := &specs.PairModel{A: specs.V54, B: specs.V61, Scope: transitions.DefaultScope()}
	w, ok := m.NewWorker().(pairPacker)
	if !ok {
		t.Fatal("the pair model's worker is not a check.Packer")
	}
	r := rand.New(rand.NewPCG(3, 4))
	same, differ := 0, 0
	p := m.Init()
	for i := 0; i < 3000; i++ {
		buf := w.Pack(nil, &p)
		var back specs.Pair
		back.B.MMs[1].Live = 9 // Unpack must overwrite every byte
		w.Unpack(buf, &back)
		if back != p {
			t.Fatalf("pair %d: unpacked pair differs from the packed one", i)
		}
		single := len(p.A.AppendPacked(nil))
		if p.A == p.B {
			same++
			if len(buf) != single+1 {
				t.Fatalf("pair %d: an agreeing pair packs to %d bytes, want %d (A) + 1", i, len(buf), single)
			}
		} else {
			differ++
		}
		acts := w.Actions(&p, false, nil)
		var next specs.Pair
		if len(acts) == 0 || w.Terminal(&p) || r.IntN(6) == 0 || !w.Next(&p, acts[r.IntN(len(acts))], &next) {
			p = m.Init()
			continue
		}
		p = next
	}
	if same == 0 || differ == 0 {
		t.Fatalf("%d agreeing and %d differing pairs: the walk did not cover both", same, differ)
	}
}

// An operation that leaves one variant's state as it was and changes the
// other's is a difference. Here one variant's madvise does nothing: the
// pair whose other side took the madvise must not be dropped as a
// self-loop, whichever side the no-op variant is on.
func TestPairKeepsOneSidedChanges(t *testing.T) {
	noMadvise := &specs.Variant{Name: "test-no-madvise", Follows: "test mutation of v5.4", Base: "v5.4",
		Patch: func(f *transitions.Funcs) {
			f.Sys.Madvise = func(*transitions.Kernel, int, uint8, uint8, transitions.Advice) int { return 0 }
		}}
	sc := transitions.DefaultScope()
	sc.Pages, sc.Procs = 1, 1
	for _, m := range []*specs.PairModel{{A: noMadvise, B: specs.V54, Scope: sc}, {A: specs.V54, B: noMadvise, Scope: sc}} {
		res := check.Run[specs.Pair](context.Background(), m, check.Config[specs.Pair]{Bound: 1, StopWhenAllViolated: true,
			Properties: []check.Property[specs.Pair]{m.Agree(nil)}})
		if !res.Violated(0) {
			t.Errorf("%s against %s: no difference found; madvise changes the flags under v5.4 only", m.A.Name, m.B.Name)
			continue
		}
		path := res.Violations[0].Path
		if last := transitions.DecodeOp(path[len(path)-1].Action); last.Kind != transitions.OpMadvise {
			t.Errorf("%s against %s: the difference ends with %s, want a madvise", m.A.Name, m.B.Name, last)
		}
	}
}
