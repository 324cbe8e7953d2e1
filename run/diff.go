package run

import (
	"context"
	"fmt"
	"time"

	"anoncheck/check"
	"anoncheck/specs"
	"anoncheck/state"
	"anoncheck/traces"
)

// DiffOutcome is what Diff found.
type DiffOutcome struct {
	A, B   *specs.Variant
	Result check.Result // of the paired run; its one property is "agree"
	Stop   Stop
	// With a difference: the shortest path as a trace under each variant,
	// whether their kernel states differ, and the properties that hold
	// under one and not the other.
	TA, TB       *traces.Trace
	StatesDiffer bool
	Disagree     []Disagreement
	// Fields names the fields of the objects whose drawn lines differ
	// after the last step (traces.Trace.FieldDiffs, A's value first); TB
	// is marked against TA step by step.
	Fields []string
}

// Disagreement is a property judged differently under A and B.
type Disagreement struct {
	Property       *specs.Property
	HoldsA, HoldsB bool
}

// Differ reports whether a difference was found.
func (d *DiffOutcome) Differ() bool { return d.Result.Violated(0) }

// Code is the exit status the diff calls for: 1 for a difference, 3 for
// none in a run that stopped early, 0 for none.
func (d *DiffOutcome) Code() int {
	switch {
	case d.Differ():
		return ExitViolation
	case !d.Result.Complete:
		return ExitIncomplete
	}
	return ExitOK
}

// Diff runs a and b side by side on the same operations (specs.PairModel)
// and returns the shortest sequence after which they differ.
func Diff(ctx context.Context, cfg *Config, a, b *specs.Variant) (*DiffOutcome, error) {
	ctx, cancel := cfg.withTimeout(ctx)
	defer cancel()
	props := specs.Properties()
	m := &specs.PairModel{A: a, B: b, Scope: cfg.Scope}
	ccfg := check.Config[specs.Pair]{Bound: cfg.Bound, MaxStates: cfg.Limits.MaxStates, MaxMemory: cfg.Limits.MaxMemory,
		Workers: cfg.Workers, StopWhenAllViolated: true, Properties: []check.Property[specs.Pair]{m.Agree(props)}}
	done := cfg.progress(a.Name+" vs "+b.Name, func(update func(check.Stats), every time.Duration) {
		ccfg.Progress, ccfg.ProgressEvery = update, every
	})
	d := &DiffOutcome{A: a, B: b, Result: check.Run[specs.Pair](ctx, m, ccfg)}
	done()
	d.Stop = stopOf(ctx, d.Result)
	if !d.Differ() {
		return d, nil
	}
	path := d.Result.Violations[0].Path
	var err error
	if d.TA, err = traces.FromPathSym(a, cfg.Scope, state.SymObjects, nil, path); err != nil {
		return nil, fmt.Errorf("replaying under %s: %v", a.Name, err)
	}
	if d.TB, err = traces.FromPathSym(b, cfg.Scope, state.SymObjects, nil, path); err != nil {
		return nil, fmt.Errorf("replaying under %s: %v", b.Name, err)
	}
	ta := *d.TA
	ta.Against = d.TB
	d.Fields = ta.FieldDiffs()
	d.TB.Against = d.TA
	fa, fb := d.TA.Final(), d.TB.Final()
	d.StatesDiffer = !specs.SameKernelState(&fa, &fb)
	ea, eb := a.Env(cfg.Scope.Procs), b.Env(cfg.Scope.Procs)
	for _, p := range props {
		ha, hb := p.Judge(&fa, ea), p.Judge(&fb, eb)
		if ha == hb {
			continue
		}
		d.Disagree = append(d.Disagree, Disagreement{Property: p, HoldsA: ha, HoldsB: hb})
		if !ha {
			d.TA.Property = p
		} else {
			d.TB.Property = p
		}
	}
	return d, nil
}
