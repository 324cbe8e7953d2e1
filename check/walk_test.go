package check_test

import (
	"context"
	"fmt"
	"testing"

	"anoncheck/check"
)

// The walks find a deep violation the grid hides at y = n-1, stop there,
// and give the same result for the same seed and workers.
func TestWalkFindsAndRepeats(t *testing.T) {
	const n = 12
	prop := check.Property[pt]{Name: "y<n-1", Holds: func(s *pt) bool { return s.Y < n-1 }}
	cfg := check.WalkConfig[pt]{Properties: []check.Property[pt]{prop}, Seed: 7, Steps: 200_000, MaxDepth: 400}
	setup := check.NewSetup[pt](grid{n})
	if len(setup.States) != n {
		t.Fatalf("setup closure has %d states, want %d", len(setup.States), n)
	}
	for _, workers := range []int{1, 2, 3} {
		cfg.Workers = workers
		first := check.Walk[pt](context.Background(), grid{n}, setup, cfg)
		if first.Violation == nil {
			t.Fatalf("workers=%d: no violation found in %d steps", workers, first.Steps)
		}
		again := check.Walk[pt](context.Background(), grid{n}, setup, cfg)
		if fmt.Sprint(first.Violation) != fmt.Sprint(again.Violation) || first.Steps != again.Steps {
			t.Fatalf("workers=%d: two runs differ: %v after %d steps, %v after %d", workers,
				first.Violation, first.Steps, again.Violation, again.Steps)
		}
		// The path replays to a violating state, through no state twice.
		s := grid{n}.Init()
		w := grid{n}.NewWorker()
		seen := map[pt]bool{s: true}
		for _, st := range first.Violation.Path {
			var next pt
			if !w.Next(&s, st.Action, &next) {
				t.Fatalf("workers=%d: step %v not enabled in %v", workers, st, s)
			}
			s = next
			if seen[s] {
				t.Fatalf("workers=%d: the path returns to %v", workers, s)
			}
			seen[s] = true
		}
		if prop.Holds(&s) {
			t.Fatalf("workers=%d: the path ends in %v, which does not violate", workers, s)
		}
		if first.Violation.Depth != n-1 {
			t.Errorf("workers=%d: depth %d, want %d (the loops of a walk are cut)", workers, first.Violation.Depth, n-1)
		}
	}
}

// A walk run that finds nothing takes exactly its steps and estimates the
// distinct states it met.
func TestWalkCoversAndCounts(t *testing.T) {
	const n = 8
	setup := check.NewSetup[pt](grid{n})
	res := check.Walk[pt](context.Background(), grid{n}, setup, check.WalkConfig[pt]{Seed: 1, Workers: 2, Steps: 100_000, MaxDepth: 50})
	if res.Violation != nil || res.Steps != 100_000 {
		t.Fatalf("violation %v, %d steps; want none, 100000", res.Violation, res.Steps)
	}
	if res.Distinct < 0.9*n*n || res.Distinct > 1.1*n*n {
		t.Errorf("estimated %.0f distinct states, want about %d", res.Distinct, n*n)
	}
	if res.MaxDepth != 50 {
		t.Errorf("longest walk %d, want 50", res.MaxDepth)
	}
}

// classGrid weights its actions: class 0 is y+1, class 1 is y=0.
type classGrid struct{ gridWorker }

func (classGrid) Class(a check.Action) int { return int(a) - 2 }

type classModel struct{ grid }

func (m classModel) NewWorker() check.Worker[pt] { return classGrid{gridWorker{m.n}} }

// Weights choose between classes: with y=0 never drawn, a walk climbs
// straight to the top; with it drawn nine times in ten, it rarely does.
func TestWalkWeights(t *testing.T) {
	const n = 30
	prop := check.Property[pt]{Name: "y<n-1", Holds: func(s *pt) bool { return s.Y < n-1 }}
	m := classModel{grid{n}}
	setup := check.NewSetup[pt](m)
	up := check.Walk[pt](context.Background(), m, setup, check.WalkConfig[pt]{Properties: []check.Property[pt]{prop},
		Seed: 3, Steps: 10_000, MaxDepth: 100, Weights: []float64{1, 0}})
	if up.Violation == nil || up.Steps != n-1 {
		t.Fatalf("weights 1,0: %v after %d steps; want the violation after %d", up.Violation, up.Steps, n-1)
	}
	down := check.Walk[pt](context.Background(), m, setup, check.WalkConfig[pt]{Properties: []check.Property[pt]{prop},
		Seed: 3, Steps: 10_000, MaxDepth: 100, Weights: []float64{0.1, 0.9}})
	if down.Violation != nil {
		t.Fatalf("weights 0.1,0.9: found %v; a walk that resets nine times in ten should not climb %d", down.Violation, n-1)
	}
}

// StopWhenViolated ends a breadth-first run at the first violation.
func TestStopWhenViolated(t *testing.T) {
	a := check.Property[pt]{Name: "y<3", Holds: func(s *pt) bool { return s.Y < 3 }}
	b := check.Property[pt]{Name: "y<9", Holds: func(s *pt) bool { return s.Y < 9 }}
	res := check.Run[pt](context.Background(), grid{50}, check.Config[pt]{Properties: []check.Property[pt]{a, b}, StopWhenViolated: true})
	if res.Stop != check.Violated || !res.Violated(0) || res.Violated(1) || res.Violations[0].Depth != 3 {
		t.Fatalf("stop %v, violations %v; want a stop at the violation of y<3 at depth 3", res.Stop, res.Violations)
	}
}

// A setup closure cut at its limit holds its first levels; walks from it
// extend their start with random setup actions and so still reach the
// layouts it did not enumerate (here x = 6, three setup actions past the
// deepest state held), with a path that replays from the initial state.
func TestWalkFromPartialSetup(t *testing.T) {
	const n = 12
	if full := check.NewSetupLimit[pt](context.Background(), grid{n}, n); !full.Complete || len(full.States) != n || full.Levels != n-1 {
		t.Fatalf("a limit the closure fits in: complete %v, %d states, %d levels; want true, %d, %d",
			full.Complete, len(full.States), full.Levels, n, n-1)
	}
	setup := check.NewSetupLimit[pt](context.Background(), grid{n}, 4)
	if setup.Complete || len(setup.States) != 4 || setup.Levels != 3 {
		t.Fatalf("limit 4: complete %v, %d states, %d levels; want false, 4, 3", setup.Complete, len(setup.States), setup.Levels)
	}
	prop := check.Property[pt]{Name: "x<6", Holds: func(s *pt) bool { return s.X < 6 }}
	res := check.Walk[pt](context.Background(), grid{n}, setup, check.WalkConfig[pt]{Properties: []check.Property[pt]{prop},
		Seed: 5, Workers: 2, Steps: 10_000, MaxDepth: 10})
	if res.Violation == nil {
		t.Fatalf("no walk reached x=6 in %d steps", res.Steps)
	}
	s := grid{n}.Init()
	w := grid{n}.NewWorker()
	for _, st := range res.Violation.Path {
		var next pt
		if !st.Setup && st.Action == 1 || st.Setup && st.Action != 1 || !w.Next(&s, st.Action, &next) {
			t.Fatalf("step %+v does not replay from %v", st, s)
		}
		s = next
	}
	if prop.Holds(&s) {
		t.Fatalf("the path ends in %v, which does not violate", s)
	}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	if st := check.NewSetupLimit[pt](cancelled, grid{n}, 0); st.Complete {
		t.Errorf("a cancelled closure says it is complete")
	}
}
