package run

import (
	"context"
	"errors"
	"fmt"
	"time"

	"anoncheck/check"
	"anoncheck/specs"
	"anoncheck/state"
	"anoncheck/traces"
	"anoncheck/transitions"
)

// Stop says why a run ended before its bound.
type Stop int

// The reasons a run stops early.
const (
	Finished      Stop = iota // it did not: every state within the bound was explored
	StopMaxStates             // Limits.MaxStates
	StopMaxMemory             // Limits.MaxMemory
	StopTimeout               // Limits.Timeout
	StopSignal                // SIGINT or SIGTERM
	StopCollision             // a fingerprint collision (VerifyStates)
	StopFailed                // the run could not go on (Result.Err)
)

// Run is one variant's exploration.
type Run struct {
	Variant *specs.Variant
	Model   *specs.Model
	Props   []*specs.Property
	Result  check.Result
	Stop    Stop
	cfg     *Config
}

// Bound is the bound the run was made with.
func (r *Run) Bound() int { return r.cfg.Bound }

// Capacity reports whether a state outgrew the model's capacities (a
// limit property was violated): the states beyond it were not explored.
func (r *Run) Capacity() bool {
	for i, p := range r.Props {
		if p.Limit && r.Result.Violated(i) {
			return true
		}
	}
	return false
}

// Incomplete reports whether the run certifies nothing about what it did
// not reach: it stopped before its bound, a state outgrew the model, or
// its operations never reached the anon_vma code (Vacuous). It is the one
// place that decides; every report asks it.
func (r *Run) Incomplete() bool { return len(r.IncompleteBecause()) > 0 }

// IncompleteBecause says why the run is incomplete, none if it is not:
// "stopped" (a limit, a signal, a collision or a failure ended it; Stop
// says which), "capacity" (a state outgrew the model), "vacuous"
// (Vacuous).
func (r *Run) IncompleteBecause() []string {
	var why []string
	for _, c := range []struct {
		why string
		is  bool
	}{{"stopped", !r.Result.Complete}, {"capacity", r.Capacity()}, {"vacuous", r.Vacuous()}} {
		if c.is {
			why = append(why, c.why)
		}
	}
	return why
}

// Coverage is what the run's transitions reached.
func (r *Run) Coverage() *transitions.Coverage { return coverageOf(r.Result.Counts) }

// Vacuous reports whether no transition of a run that explored all it
// was to allocated an anon_vma: the operations never reached the code the
// properties are about (with --ops fork, say, nothing is ever written),
// so that every property holds for want of anything to check. A run a
// limit stopped before any anon_vma was allocated is not vacuous but cut
// short: its operations may well reach the code further on. Nor is a
// resumed run judged: its counts are of what it did after the checkpoint.
func (r *Run) Vacuous() bool {
	return r.Result.Complete && r.cfg.Resume == "" && r.Result.Counts != nil && Vacuous(r.Coverage())
}

// Vacuous reports whether coverage c never reached the anon_vma code: no
// anon_vma was allocated.
func Vacuous(c *transitions.Coverage) bool { return !c.Reached(transitions.FnAnonVMAAlloc) }

// Modelled lists the kernel functions v's table has and the cases of
// them: what its coverage is counted against.
func Modelled(v *specs.Variant, sc *transitions.Scope) (fns []transitions.Fn, cases []transitions.Case) {
	f := v.Funcs()
	for _, fn := range transitions.Fns() {
		if f.Has(fn) && sc.Explores(fn) {
			fns = append(fns, fn)
		}
	}
	for _, c := range transitions.Cases() {
		if f.Has(c.Fn()) && sc.Explores(c.Fn()) {
			cases = append(cases, c)
		}
	}
	return fns, cases
}

// coverageOf reads a check result's counts as the model's coverage.
func coverageOf(counts []uint64) *transitions.Coverage {
	var c transitions.Coverage
	copy(c[:], counts)
	return &c
}

// Violated reports whether a safety property (not advisory, not a limit)
// was violated.
func (r *Run) Violated() bool {
	for i, p := range r.Props {
		if r.Result.Violated(i) && !p.Limit && !p.Advisory {
			return true
		}
	}
	return false
}

// Code is the exit status the run calls for: a violation, whatever else
// went wrong (a violation found is real however far the run got), else
// incomplete, else none. A part of a sharded run that explored all its
// states calls for none: its verdict comes from the merge.
func (r *Run) Code() int {
	if r.Violated() {
		return ExitViolation
	}
	incomplete := r.Incomplete()
	if r.IsPart() {
		incomplete = !r.Result.Complete
	}
	if r.Result.Err != nil || incomplete {
		return ExitIncomplete
	}
	return ExitOK
}

// Trace replays the explorer's shortest path to the violation of property
// i and, with Config.Shrink, shrinks it (traces.Shrink).
func (r *Run) Trace(i int) (*traces.Trace, error) {
	return r.cfg.trace(r.Variant, r.Props[i], r.Result.Violations[i].Path)
}

// CapacityCause names the capacity a state outgrew.
func (r *Run) CapacityCause() string {
	for i, p := range r.Props {
		if p.Limit && r.Result.Violated(i) {
			t, err := traces.FromPathSym(r.Variant, r.Model.Scope, r.Model.Symmetry, p, r.Result.Violations[i].Path)
			if err == nil {
				s := t.Final()
				return state.CapName(s.Overflow)
			}
		}
	}
	return "unknown"
}

// Outcome is what Check found.
type Outcome struct {
	Runs []*Run
	// NotChecked counts the variants left unchecked after an interrupt or
	// the time limit.
	NotChecked int
}

// Code is the exit status the outcome calls for: a violation if any run
// found one, whatever the other runs did; else incomplete if any run was,
// or a variant was left unchecked; else none.
func (o *Outcome) Code() int {
	code := ExitOK
	if o.NotChecked > 0 {
		code = ExitIncomplete
	}
	for _, r := range o.Runs {
		c := r.Code()
		if c == ExitViolation {
			return ExitViolation
		}
		code = max(code, c)
	}
	return code
}

// IncompleteRuns are the runs that certify nothing beyond what they
// found (Run.Incomplete), in order.
func (o *Outcome) IncompleteRuns() []*Run {
	var out []*Run
	for _, r := range o.Runs {
		if r.Incomplete() {
			out = append(out, r)
		}
	}
	return out
}

// ResumeError is returned when a checkpoint cannot be resumed.
type ResumeError struct{ Err error }

func (e *ResumeError) Error() string { return "cannot resume: " + e.Err.Error() }

// Check explores each variant of cfg in turn, each within its share of
// the time limit (see budget). It stops at an interrupt; the variants
// left are not checked.
func Check(ctx context.Context, cfg *Config) (*Outcome, error) {
	if err := cfg.checkMemory(); err != nil {
		return nil, err
	}
	out := &Outcome{}
	var sz sizing
	b := cfg.budget()
	for vi, v := range cfg.Variants {
		vctx, cancel := b.share(ctx, len(cfg.Variants)-vi)
		r, err := cfg.explore(vctx, v, cfg.Properties(), &sz)
		cancel()
		if err != nil {
			return nil, err
		}
		out.Runs = append(out.Runs, r)
		if ctx.Err() != nil {
			out.NotChecked = len(cfg.Variants) - vi - 1
			break
		}
	}
	return out, nil
}

// withTimeout applies Limits.Timeout to ctx.
func (c *Config) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if c.Limits.Timeout == 0 {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, c.Limits.Timeout)
}

// budget is Limits.Timeout shared among the variants a command runs one
// after another. It is the whole command's time: a CI job has one time
// limit, and the user sets --timeout to fit within it. A variant gets an
// equal share of the time left when it starts, so that every variant is
// reached (a broken one last in the list, too) and the time a variant did
// not need goes to those after it.
type budget struct {
	deadline time.Time // zero: no limit
}

func (c *Config) budget() *budget {
	if c.Limits.Timeout == 0 {
		return &budget{}
	}
	return &budget{deadline: time.Now().Add(c.Limits.Timeout)}
}

// share returns the context of the next variant's run, with left
// variants still to run, this one included.
func (b *budget) share(ctx context.Context, left int) (context.Context, context.CancelFunc) {
	if b.deadline.IsZero() {
		return context.WithCancel(ctx)
	}
	rest := time.Until(b.deadline)
	return context.WithTimeout(ctx, rest/time.Duration(max(left, 1)))
}

// sizing is what the size estimate learned of a scope, for the variants
// of the command after the first.
type sizing struct {
	done   bool    // a pilot was cut and its run accepted
	states float64 // the run's estimated states; 0 if unknown
}

// explore runs one variant within the bound and limits. Unless Force, a
// run that may be large starts with a pilot (see estimate); a pilot that
// finishes is the result. A pilot that is cut is work thrown away, so once
// one variant's pilot was cut and its run accepted (sz.done), later
// variants of the same scope skip the pilot: variants of one scope differ
// in size far less than the estimate's margin, and MaxMemory still stops a
// run that outgrows the limit. The estimate (sz.states) is what the
// progress reports measure the run against.
func (c *Config) explore(ctx context.Context, v *specs.Variant, props []*specs.Property, sz *sizing) (*Run, error) {
	m := c.Model(v)
	r := &Run{Variant: v, Model: m, Props: props, cfg: c}
	if c.Resume != "" {
		if err := c.checkResume(m, props); err != nil {
			return nil, err
		}
	}
	cfg := check.Config[state.State]{Bound: c.Bound, Properties: m.CheckProperties(props), MaxStates: c.Limits.MaxStates,
		MaxMemory: c.Limits.MaxMemory, Workers: c.Workers, VerifyStates: c.VerifyStates, Identity: identity(m, props),
		Checkpoint: c.Checkpoint, CheckpointEvery: c.CheckpointEvery, Resume: c.Resume, Shard: c.Shard, SpillDir: c.SpillDir}
	var pilot *check.Result // a pilot cut short, before a run from the start
	if !c.Force && !sz.done && c.Resume == "" && c.Checkpoint == "" {
		res, done, states, err := c.estimate(ctx, m, cfg)
		if err != nil {
			return nil, err
		}
		if done {
			r.Result = res
			r.Stop = stopOf(ctx, res)
			return r, nil
		}
		sz.done, sz.states = true, states
		pilot = &res
	}
	done := c.progressOf(v.Name, c.expected(m, sz.states), func(update func(check.Stats), every time.Duration) {
		cfg.Progress, cfg.ProgressEvery = update, every
	})
	r.Result = check.Run[state.State](ctx, m, cfg)
	done()
	if r.Result.Stop == check.Failed {
		return nil, &ResumeError{r.Result.Err}
	}
	r.Stop = stopOf(ctx, r.Result)
	if (r.Stop == StopTimeout || r.Stop == StopSignal) && pilot != nil && pilot.Stats.States > r.Result.Stats.States {
		// The time ran out before the run got as far as its pilot, which
		// explored the same states in the same order (the search is
		// deterministic) and stopped at its own cap: keep the pilot,
		// which found all the run has and more. It was stopped, as the
		// run was, by the time, after the time of both.
		elapsed := r.Result.Stats.Elapsed
		r.Result = *pilot
		r.Result.Stats.Elapsed += elapsed
	}
	return r, nil
}

// stopOf says why res ended before its bound, telling the time limit from
// a signal by ctx, which carries the deadline.
func stopOf(ctx context.Context, res check.Result) Stop {
	switch res.Stop {
	case check.MaxStates:
		return StopMaxStates
	case check.MaxMemory:
		return StopMaxMemory
	case check.Collision:
		return StopCollision
	case check.Cancelled:
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return StopTimeout
		}
		return StopSignal
	case check.Failed, check.SpillFailed:
		return StopFailed
	}
	return Finished
}

// trace replays path, the explorer's shortest path to a violation of p
// under v, and shrinks it unless told not to.
func (c *Config) trace(v *specs.Variant, p *specs.Property, path []check.Step) (*traces.Trace, error) {
	t, err := traces.FromPathSym(v, c.Scope, c.Symmetry, p, path)
	if err != nil {
		return nil, fmt.Errorf("replaying the trace of %s under %s: %v", p.Name, v.Name, err)
	}
	if c.Shrink {
		if t, err = traces.Shrink(t); err != nil {
			return nil, fmt.Errorf("shrinking the trace of %s under %s: %v", p.Name, v.Name, err)
		}
	}
	return t, nil
}
