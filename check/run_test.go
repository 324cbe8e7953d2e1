package check_test

import (
	"context"
	"fmt"
	"testing"

	"anoncheck/check"
)

// grid is a toy model: a point (x, y) in [0,n)x[0,n). Setup actions move
// x; ordinary actions move y, or reset y to 0. Its state counts are known
// in closed form.
type grid struct{ n int }

type pt struct{ X, Y int }

func (g grid) Init() pt                       { return pt{} }
func (g grid) NewWorker() check.Worker[pt]    { return gridWorker{g.n} }
func (g gridWorker) Fingerprint(s *pt) uint64 { return uint64(s.X)<<32 | uint64(s.Y) }
func (g gridWorker) Terminal(s *pt) bool      { return false }
func (g gridWorker) Actions(s *pt, setup bool, buf []check.Action) []check.Action {
	if setup {
		return append(buf, 1) // x+1
	}
	return append(buf, 2, 3) // y+1, y=0
}
func (g gridWorker) Next(s *pt, a check.Action, out *pt) bool {
	*out = *s
	switch a {
	case 1:
		if s.X+1 >= g.n {
			return false
		}
		out.X++
	case 2:
		if s.Y+1 >= g.n {
			return false
		}
		out.Y++
	case 3:
		out.Y = 0
	}
	return true
}

type gridWorker struct{ n int }

func run(t *testing.T, n, bound int, props ...check.Property[pt]) check.Result {
	t.Helper()
	return check.Run[pt](context.Background(), grid{n}, check.Config[pt]{Bound: bound, Properties: props})
}

func TestGridCounts(t *testing.T) {
	const n = 5
	res := run(t, n, 0)
	if !res.Complete || res.Stop != check.Exhausted {
		t.Fatalf("run not complete: %v", res.Stop)
	}
	if res.Stats.States != n*n {
		t.Fatalf("states = %d, want %d", res.Stats.States, n*n)
	}
	if res.Stats.Setup != n {
		t.Fatalf("setup states = %d, want %d (x = 0..%d, y = 0)", res.Stats.Setup, n, n-1)
	}
	want := []int{n, n, n, n, n}
	for d, c := range res.Stats.PerDepth {
		if c != want[d] {
			t.Fatalf("depth %d: %d states, want %d (per depth %v)", d, c, want[d], res.Stats.PerDepth)
		}
	}
	if res.Stats.Depth != n-1 {
		t.Fatalf("depth = %d, want %d", res.Stats.Depth, n-1)
	}
	// Every state tries three actions; enabled ones are counted.
	// setup: x+1 enabled for x < n-1 from the n setup states: n-1.
	// levels: from each of the n*n states, y+1 if y < n-1, y=0 always.
	if want := (n - 1) + n*(n-1) + n*n; res.Stats.Transitions != want {
		t.Fatalf("transitions = %d, want %d", res.Stats.Transitions, want)
	}
}

func TestBoundLimitsDepth(t *testing.T) {
	res := run(t, 6, 2)
	if res.Stats.States != 6*3 || res.Stats.Depth != 2 || !res.Complete {
		t.Fatalf("bound 2: %d states to depth %d (complete %v), want 18 to depth 2", res.Stats.States, res.Stats.Depth, res.Complete)
	}
}

// The first violation found is a shortest one, and its path replays to a
// violating state, setup steps first.
func TestShortestViolation(t *testing.T) {
	prop := check.Property[pt]{Name: "y<3 or x>0", Holds: func(s *pt) bool { return s.Y < 3 || s.X > 0 }}
	always := check.Property[pt]{Name: "true", Holds: func(s *pt) bool { return true }}
	res := run(t, 6, 0, prop, always)
	if !res.Violated(0) || res.Violated(1) {
		t.Fatalf("violated = %v, %v; want true, false", res.Violated(0), res.Violated(1))
	}
	v := res.Violations[0]
	if v.Depth != 3 || len(v.Path) != 3 {
		t.Fatalf("violation at depth %d with %d steps, want 3 and 3", v.Depth, len(v.Path))
	}
	s := pt{}
	w := grid{6}.NewWorker()
	for _, st := range v.Path {
		if st.Setup {
			t.Fatalf("path %v has a setup step; the shortest needs none", v.Path)
		}
		var next pt
		if !w.Next(&s, st.Action, &next) {
			t.Fatal("path step not enabled")
		}
		s = next
	}
	if prop.Holds(&s) {
		t.Fatalf("path ends in %v, where the property holds", s)
	}
}

func TestViolationInSetupIsAllSetup(t *testing.T) {
	prop := check.Property[pt]{Name: "x<2", Holds: func(s *pt) bool { return s.X < 2 }}
	res := run(t, 4, 3, prop)
	v := res.Violations[0]
	if v.Depth != 0 || len(v.Path) != 2 || !v.Path[0].Setup || !v.Path[1].Setup {
		t.Fatalf("violation %+v: want depth 0 with two setup steps", v)
	}
}

func TestMaxStatesStopsIncomplete(t *testing.T) {
	res := check.Run[pt](context.Background(), grid{10}, check.Config[pt]{MaxStates: 30})
	if res.Complete || res.Stop != check.MaxStates {
		t.Fatalf("stop = %v complete = %v, want state limit, incomplete", res.Stop, res.Complete)
	}
}

func TestCancelledStopsIncomplete(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res := check.Run[pt](ctx, grid{10}, check.Config[pt]{})
	if res.Complete || res.Stop != check.Cancelled {
		t.Fatalf("stop = %v complete = %v, want cancelled, incomplete", res.Stop, res.Complete)
	}
}

func TestStopWhenAllViolated(t *testing.T) {
	prop := check.Property[pt]{Name: "y<1", Holds: func(s *pt) bool { return s.Y < 1 }}
	res := check.Run[pt](context.Background(), grid{50}, check.Config[pt]{Properties: []check.Property[pt]{prop}, StopWhenAllViolated: true})
	if res.Stop != check.AllViolated || res.Stats.States >= 50*50 {
		t.Fatalf("stop = %v after %d states; want an early stop", res.Stop, res.Stats.States)
	}
}

// Results do not depend on the number of workers.
func TestWorkersGiveIdenticalResults(t *testing.T) {
	prop := check.Property[pt]{Name: "y<7 or x>2", Holds: func(s *pt) bool { return s.Y < 7 || s.X > 2 }}
	var first check.Result
	for _, w := range []int{1, 2, 3} {
		res := check.Run[pt](context.Background(), grid{40}, check.Config[pt]{Properties: []check.Property[pt]{prop}, Workers: w})
		if w == 1 {
			first = res
			continue
		}
		if res.Stats.States != first.Stats.States || res.Stats.Transitions != first.Stats.Transitions ||
			fmt.Sprint(res.Stats.PerDepth) != fmt.Sprint(first.Stats.PerDepth) ||
			fmt.Sprint(res.Violations) != fmt.Sprint(first.Violations) {
			t.Fatalf("workers=%d: %+v / %v differ from one worker's %+v / %v", w, res.Stats, res.Violations, first.Stats, first.Violations)
		}
	}
}
