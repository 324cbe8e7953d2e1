// Package run is the layer between the command line and the explorer: it
// takes one run configuration, checks variants, gates a candidate against
// a baseline, diffs two variants and estimates a run's size, and returns
// an outcome for the command line to print. It decides, in one place each,
// when a run is incomplete (Run.Incomplete) and which exit status an
// outcome calls for (the Code methods). It never sees a flag name: the
// command line builds the Config and names the flags in its messages.
package run

import (
	"time"

	"anoncheck/check"
	"anoncheck/specs"
	"anoncheck/state"
	"anoncheck/transitions"
)

// Exit statuses of the anoncheck command and its subcommands.
const (
	ExitOK         = 0 // no violation, and the run finished
	ExitViolation  = 1 // a violation was found (replay: the property still fails)
	ExitUsage      = 2 // bad usage or input
	ExitIncomplete = 3 // a limit, an interrupt or a collision stopped a run before the bound
)

// Config is one run's configuration, built by the command line from its
// flags and validated there.
type Config struct {
	Variants []*specs.Variant
	Scope    transitions.Scope
	Symmetry state.Symmetry
	// Bound is the largest number of operations after setup; 0 explores
	// to the fixpoint.
	Bound int
	// SelfCheck adds the model's own consistency check to the properties.
	SelfCheck bool
	// Shrink simplifies each shortest trace (traces.Shrink).
	Shrink bool

	Limits Limits
	// Workers is the number of goroutines computing successors.
	Workers int
	// VerifyStates keeps every state to detect fingerprint collisions.
	VerifyStates bool
	// Checkpoint, CheckpointEvery and Resume are check.Config's; they
	// need exactly one variant.
	Checkpoint      string
	CheckpointEvery time.Duration
	Resume          string
	// Force skips the size estimate.
	Force bool
	// SpillDir, if set, keeps the frontiers' states and the parent links
	// on disk there (check.Config.SpillDir).
	SpillDir string
	// Shard makes each variant's run one part of a sharded run (see
	// check.Shard and Merge).
	Shard check.Shard

	// Progress, if set, is told how each run is going.
	Progress Progress
}

// Limits stop a run before its bound; a run they stop is incomplete.
type Limits struct {
	MaxStates int // states per variant's run; 0: none
	// Timeout is the whole command's time; 0: none. Check and Gate run
	// the variants one after another, each with an equal share of the
	// time left when it starts (budget). A hunt gives it to each variant.
	Timeout   time.Duration
	MaxMemory uint64 // Go heap in bytes, at any moment of any run; 0: none
}

// Progress reports how a run goes; the command line prints it.
type Progress interface {
	// Start returns the function check.Run calls about every interval
	// with the statistics of the run named name. expected gives, from
	// those, the states the run is expected to end by: extrapolated from
	// the size estimate's pilot or the run's own levels (rough, and high
	// more often than low, as growth slows when a space saturates), or
	// the state limit; 0 if nothing is known.
	Start(name string, expected func(check.Stats) float64) (update func(check.Stats), every time.Duration)
	// Done ends the reports of the run started last.
	Done()
}

// Properties are the properties a run checks: all of them, and the
// model's self-check when asked for.
func (c *Config) Properties() []*specs.Property {
	props := specs.Properties()
	if c.SelfCheck {
		props = append(append([]*specs.Property(nil), props...), specs.SelfCheck)
	}
	return props
}

// Model binds variant v to the configuration's scope and symmetry.
func (c *Config) Model(v *specs.Variant) *specs.Model {
	return &specs.Model{Variant: v, Scope: c.Scope, Symmetry: c.Symmetry}
}

// progress wraps Config.Progress for one run of check.Run, of unknown
// size.
func (c *Config) progress(name string, cfg func(update func(check.Stats), every time.Duration)) (done func()) {
	return c.progressOf(name, func(check.Stats) float64 { return 0 }, cfg)
}

// progressOf wraps Config.Progress for one run of check.Run expected to
// end by expected(stats) states.
func (c *Config) progressOf(name string, expected func(check.Stats) float64, cfg func(update func(check.Stats), every time.Duration)) (done func()) {
	if c.Progress == nil {
		return func() {}
	}
	cfg(c.Progress.Start(name, expected))
	return c.Progress.Done
}
