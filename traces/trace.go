// Package traces turns the explorer's violating paths into traces a kernel
// developer can read and rerun: it replays a path through a variant's
// kernel functions, recording the kernel call path and the state after
// each step, and renders the result.
package traces

import (
	"fmt"

	"anoncheck/check"
	"anoncheck/specs"
	"anoncheck/state"
	"anoncheck/transitions"
)

// Step is one replayed operation.
type Step struct {
	Op    transitions.Op
	Setup bool // part of the setup that built the initial layout
	Errno int  // what the system call returned
	Calls []transitions.Call
	After state.State // canonical state after the step
}

// Trace is a replayed path.
type Trace struct {
	Variant  *specs.Variant
	Scope    transitions.Scope
	Property *specs.Property // the property the trace violates; nil if none
	Steps    []Step
	// Skipped counts the operations not run because the kernel oopsed
	// (or the model overflowed) before them.
	Skipped int
}

// Depth is the number of operations after setup.
func (t *Trace) Depth() int {
	n := 0
	for _, s := range t.Steps {
		if !s.Setup {
			n++
		}
	}
	return n
}

// Final returns the state after the last step (the initial state if none).
func (t *Trace) Final() state.State {
	if len(t.Steps) == 0 {
		s := transitions.Initial()
		var c state.State
		state.Canonical(&c, &s)
		return c
	}
	return t.Steps[len(t.Steps)-1].After
}

// Holds reports whether the trace's property holds in its final state.
func (t *Trace) Holds() bool {
	if t.Property == nil {
		return true
	}
	s := t.Final()
	return t.Property.Judge(&s, specs.Env{Counters: t.Variant.Counters, Procs: t.Scope.Procs})
}

// Number returns step i's number within its group: setup steps and
// operations are each numbered from 1.
func (t *Trace) Number(i int) int {
	n := 0
	for j := 0; j <= i; j++ {
		if t.Steps[j].Setup == t.Steps[i].Setup {
			n++
		}
	}
	return n
}

// ShowsState reports whether renderings draw the state after step i:
// after every operation, and after the last setup step.
func (t *Trace) ShowsState(i int) bool {
	return !t.Steps[i].Setup || i+1 == len(t.Steps) || !t.Steps[i+1].Setup
}

// Syscall renders the step's operation and, if not 0, what it returned.
func (st *Step) Syscall() string {
	if st.Errno != 0 {
		return st.Op.String() + " = " + transitions.ErrnoName(st.Errno)
	}
	return st.Op.String()
}

// FromPath replays an explorer path.
func FromPath(v *specs.Variant, sc transitions.Scope, p *specs.Property, path []check.Step) (*Trace, error) {
	ops := make([]transitions.Op, len(path))
	setup := make([]bool, len(path))
	for i, st := range path {
		ops[i] = transitions.DecodeOp(st.Action)
		setup[i] = st.Setup
	}
	return Replay(v, sc, p, ops, setup)
}

// Replay runs ops from the initial state under variant v and records what
// each step did. An operation the state cannot take is an error naming the
// step.
func Replay(v *specs.Variant, sc transitions.Scope, p *specs.Property, ops []transitions.Op, setup []bool) (*Trace, error) {
	k := v.Kernel()
	k.Rec = &transitions.Recorder{}
	s := transitions.Initial()
	k.S = &s
	t := &Trace{Variant: v, Scope: sc, Property: p}
	for i, op := range ops {
		if s.Faulted() {
			t.Skipped = len(ops) - i
			break
		}
		res, err := k.Apply(op, &sc)
		if err != nil {
			return t, fmt.Errorf("step %d: %v", i+1, err)
		}
		st := Step{Op: op, Setup: setup != nil && setup[i], Errno: res.Errno,
			Calls: append([]transitions.Call(nil), k.Rec.Calls...)}
		state.Canonical(&st.After, &s)
		t.Steps = append(t.Steps, st)
	}
	return t, nil
}
