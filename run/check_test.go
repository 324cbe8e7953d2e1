package run

import (
	"context"
	"testing"
	"time"

	"anoncheck/check"
	"anoncheck/specs"
	"anoncheck/state"
	"anoncheck/transitions"
)

// TestBudgetShares checks that each variant gets an equal share of the
// time left when it starts, and that without a limit there is no deadline.
func TestBudgetShares(t *testing.T) {
	b := &budget{deadline: time.Now().Add(9 * time.Second)}
	ctx, cancel := b.share(context.Background(), 3)
	defer cancel()
	d, ok := ctx.Deadline()
	if left := time.Until(d); !ok || left > 3*time.Second || left < 2900*time.Millisecond {
		t.Errorf("the first of 3 variants gets %v of 9s, want 3s", left)
	}
	ctx, cancel = b.share(context.Background(), 1)
	defer cancel()
	if d, _ := ctx.Deadline(); d.Sub(b.deadline).Abs() > time.Millisecond {
		t.Errorf("the last variant's deadline is %v, want the command's %v", d, b.deadline)
	}
	ctx, cancel = (&Config{}).budget().share(context.Background(), 2)
	defer cancel()
	if _, ok := ctx.Deadline(); ok {
		t.Error("a deadline without --timeout")
	}
}

// recorder is a Progress that keeps what the runs were expected to end by
// at their first update.
type recorder struct {
	totals  []float64
	updates int
}

func (p *recorder) Start(name string, expected func(check.Stats) float64) (func(check.Stats), time.Duration) {
	p.totals = append(p.totals, -1)
	i := len(p.totals) - 1
	return func(st check.Stats) {
		if p.updates++; p.totals[i] < 0 {
			p.totals[i] = expected(st)
		}
	}, time.Millisecond
}

func (p *recorder) Done() {}

// TestProgressGetsTheEstimate checks that a run whose size was estimated
// by a pilot tells its progress the estimate, and a later variant of the
// scope, which skips the pilot, the same; and that a run's own levels
// refine it.
func TestProgressGetsTheEstimate(t *testing.T) {
	defer func(n int) { pilotStates = n }(pilotStates)
	pilotStates = 3000
	v54, _ := specs.Lookup("v5.4")
	v7, _ := specs.Lookup("v5.7")
	rec := &recorder{}
	cfg := &Config{Variants: []*specs.Variant{v54, v7}, Scope: transitions.DefaultScope(), Symmetry: state.SymFull, Bound: 2,
		Workers: 1, Progress: rec}
	out, err := Check(context.Background(), cfg)
	if err != nil || out.Code() != ExitOK {
		t.Fatalf("%v, exit %d", err, out.Code())
	}
	states := float64(out.Runs[0].Result.Stats.States)
	if len(rec.totals) != 2 || rec.totals[0] < states/10 || rec.totals[0] > states*100 || rec.totals[1] != rec.totals[0] || rec.updates == 0 {
		t.Errorf("progress told %v (%d updates) for runs of %.0f states", rec.totals, rec.updates, states)
	}
	m := cfg.Model(v54)
	exp := cfg.expected(m, 1e9)
	if got := exp(check.Stats{Depth: 2, PerDepth: []int{10, 20}}); got != 1e9 {
		t.Errorf("with two complete levels: %v, want the pilot's 1e9", got)
	}
	if got := exp(check.Stats{Depth: 3, PerDepth: []int{10, 20, 40, 5}}); got != 10+20+40 {
		t.Errorf("bound 2 with three complete levels: %v, want 70", got)
	}
	cfg.Bound = 4
	if got := exp(check.Stats{Depth: 3, PerDepth: []int{10, 20, 40}}); got != 10+20+40+80+160 {
		t.Errorf("bound 4 from levels 10 20 40: %v, want 310", got)
	}
	cfg.Limits.MaxStates = 100
	if got := exp(check.Stats{Depth: 3, PerDepth: []int{10, 20, 40}}); got != 100 {
		t.Errorf("with --max-states 100: %v", got)
	}
}
