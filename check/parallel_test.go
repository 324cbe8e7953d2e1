package check

import (
	"context"
	"fmt"
	"testing"
)

// sq is a state of a toy model with many duplicate successors: moves of
// +1 and +2 on either coordinate of a square.
type sq struct{ X, Y uint16 }

type sqModel struct{ n uint16 }

func (m sqModel) Init() sq                 { return sq{} }
func (m sqModel) NewWorker() Worker[sq]    { return m }
func (m sqModel) Fingerprint(s *sq) uint64 { return uint64(s.X)<<16 | uint64(s.Y) }
func (m sqModel) Terminal(s *sq) bool      { return s.X == 7 && s.Y == 7 }
func (m sqModel) Actions(s *sq, setup bool, buf []Action) []Action {
	if setup {
		return buf
	}
	return append(buf, 0, 1, 2, 3)
}
func (m sqModel) Next(s *sq, a Action, out *sq) bool {
	*out = *s
	d := uint16(1 + a/2)
	if a%2 == 0 {
		out.X += d
	} else {
		out.Y += d
	}
	return out.X < m.n && out.Y < m.n
}

// With batches and units far smaller than a level, so that every level
// takes many pipelined batches, any number of workers finds the same
// states, counts, depths and violating paths as one, also when a limit
// or the last violation stops the run in the middle of a batch.
func TestPipelinedBatchesMatchOneWorker(t *testing.T) {
	oldB, oldU := batchStates, unitStates
	batchStates, unitStates = 24, 5
	defer func() { batchStates, unitStates = oldB, oldU }()
	props := []Property[sq]{
		{Name: "x+y != 30", Holds: func(s *sq) bool { return s.X+s.Y != 30 }},
		{Name: "x != 55", Holds: func(s *sq) bool { return s.X != 55 }},
		{Name: "y*x != 1200", Holds: func(s *sq) bool { return int(s.X)*int(s.Y) != 1200 }},
	}
	for _, cfg := range []Config[sq]{
		{Properties: props},
		{Properties: props, MaxStates: 1234},
		{Properties: props, StopWhenAllViolated: true},
		{Properties: props, Bound: 17},
	} {
		var first Result
		for _, w := range []int{1, 2, 3, 5} {
			c := cfg
			c.Workers = w
			res := Run[sq](context.Background(), sqModel{80}, c)
			if w == 1 {
				first = res
				continue
			}
			if res.Stats.States != first.Stats.States || res.Stop != first.Stop || res.Complete != first.Complete ||
				fmt.Sprint(res.Stats.PerDepth) != fmt.Sprint(first.Stats.PerDepth) ||
				fmt.Sprint(res.Violations) != fmt.Sprint(first.Violations) {
				t.Fatalf("max-states %d, stop-all %v, bound %d, workers=%d: %v %+v / %v differ from one worker's %v %+v / %v",
					cfg.MaxStates, cfg.StopWhenAllViolated, cfg.Bound, w, res.Stop, res.Stats, res.Violations, first.Stop, first.Stats, first.Violations)
			}
			if res.Complete && res.Stats.Transitions != first.Stats.Transitions {
				t.Fatalf("workers=%d: %d transitions, one worker %d", w, res.Stats.Transitions, first.Stats.Transitions)
			}
		}
	}
}
