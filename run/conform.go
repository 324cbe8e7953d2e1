package run

import (
	"context"
	"fmt"

	"anoncheck/conform"
	"anoncheck/specs"
	"anoncheck/transitions"
)

// ConformOutcome is what anoncheck conform found: the run's result, and
// why it could not run where it could not.
type ConformOutcome struct {
	*conform.Result
}

// Code is the exit status: 1 when a difference was not a known one, 3
// when a signal stopped the run before every sequence ran (and none was
// found), else 0. Known differences do not change it: they are listed,
// with their kernel reason, in the report and in docs/CONFORM.md.
func (o *ConformOutcome) Code() int {
	switch {
	case o.Unexplained > 0:
		return ExitViolation
	case o.Stopped:
		return ExitIncomplete
	}
	return ExitOK
}

// Conform runs cfg's sequences on the model and on this machine's kernel.
func Conform(ctx context.Context, cfg *conform.Config) (*ConformOutcome, error) {
	res, err := conform.Run(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return &ConformOutcome{Result: res}, nil
}

// ConformReplayOutcome is a replay of one conform file.
type ConformReplayOutcome struct {
	*conform.ReplayResult
	File    *conform.File
	Variant *specs.Variant
	Scope   transitions.Scope
}

// Code is 1 when a repetition differed in a way the known differences do
// not explain, else 0.
func (o *ConformReplayOutcome) Code() int {
	if o.Unexplained > 0 {
		return ExitViolation
	}
	return ExitOK
}

// ConformReplay reads a file anoncheck conform wrote and runs its sequence
// again, repeat times, on the model and the kernel (pin: the executor
// pinned to a CPU). Every error (a file
// that cannot be read or replayed, a machine conform cannot run on) is
// exit 2.
func ConformReplay(ctx context.Context, path string, repeat int, markers, pin bool) (*ConformReplayOutcome, error) {
	f, v, sc, ops, err := conform.ReadFile(path)
	if err != nil {
		return nil, err
	}
	rr, err := conform.Replay(ctx, v, sc, ops, f, repeat, markers || f.Markers, pin)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &ConformReplayOutcome{ReplayResult: rr, File: f, Variant: v, Scope: sc}, nil
}
