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
	Child int  // the process a fork created; -1 for other operations (and a fork that failed)
	// Injected is the allocation Op.Fail made fail (--fail-alloc), or
	// AllocNone; InjectedNth is its number among the step's allocations
	// from the same slab cache.
	Injected    transitions.AllocSite
	InjectedNth int
	Calls       []transitions.Call
	// After is the canonical state after the step (state.Canonical): what
	// digests, properties and comparisons between runs use.
	After state.State
	// Raw is the same state as the kernel functions left it: every object
	// keeps the slot it was allocated in, as a kernel object keeps its
	// address, so av2 or VMA B names one object from its allocation until
	// it is freed, and a freed slot is reused lowest first, as allocAV,
	// allocVMA and allocPage take them. Renderings draw Raw, so that names
	// do not move between steps and the marks show what a step changed.
	Raw state.State
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
	// Against, when not nil, is another run of the same operations (the
	// recorded run of a trace replayed under another variant, the other
	// side of a diff); the renderings mark where this one departs from it.
	Against *Trace
}

// PropertyName names the trace's property in titles, marking an advisory
// one: it reports a shape worth a look, not a kernel failure.
func (t *Trace) PropertyName() string {
	if t.Property.Advisory {
		return t.Property.Name + " (advisory)"
	}
	return t.Property.Name
}

// Why names what breaks the trace's property in its last state, in the
// names the drawings use (specs.Property.Why); "" if nothing to add.
func (t *Trace) Why() string {
	if t.Property == nil || len(t.Steps) == 0 {
		return ""
	}
	return t.Property.Why(&t.Steps[len(t.Steps)-1].Raw, t.Variant.Env(t.Scope.Procs))
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
	return t.Property.Judge(&s, t.Variant.Env(t.Scope.Procs))
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

// Syscall renders the step's operation and, if not 0, what it returned; a
// fork names its child ("fork(P2) -> P3", as the reproducer's plan does),
// since process slots are reused after an exit. A use-after-free is named
// as such: the model ends the operation at KASAN's report, where a kernel
// without KASAN would carry on. A step with an injected allocation
// failure ends with which allocation failed: "fork(P1) = -ENOMEM
// [allocation 3 failed: anon_vma_chain_alloc()]".
func (st *Step) Syscall() string {
	var s string
	call := st.Op.Syscall()
	switch {
	case st.Errno == transitions.EOOPS && transitions.Assertion(st.After.Bug) == transitions.BugUseAfterFree:
		s = call + " = use-after-free (KASAN; the model stops here)"
	case st.Errno != 0:
		s = call + " = " + transitions.ErrnoName(st.Errno)
	case st.Child >= 0:
		s = call + " -> " + transitions.ProcName(uint8(st.Child))
	default:
		s = call
	}
	if st.Op.Fail != 0 {
		s += " " + st.InjectedNote()
	}
	return s
}

// InjectedNote says which allocation of the step was made to fail:
// "[allocation 3 failed: anon_vma_chain_alloc()]"; "" without one.
func (st *Step) InjectedNote() string {
	if st.Op.Fail == 0 {
		return ""
	}
	return fmt.Sprintf("[allocation %d failed: %s()]", st.Op.Fail, st.Injected)
}

// FromPath replays a path found by an explorer run at full symmetry (the
// default of specs.Model).
func FromPath(v *specs.Variant, sc transitions.Scope, p *specs.Property, path []check.Step) (*Trace, error) {
	return FromPathSym(v, sc, state.SymFull, p, path)
}

// FromPathSym replays a path found by an explorer run at symmetry level
// sym. The explorer's actions name processes as the canonical state before
// each action numbers them; under full symmetry that numbering moves as
// processes are sorted. The replay runs on the state as the kernel would
// have it, with processes in the slots fork gave them, and renames each
// action's process back through the permutation the canonical form
// applied, so the trace reads as one run of real processes.
func FromPathSym(v *specs.Variant, sc transitions.Scope, sym state.Symmetry, p *specs.Property, path []check.Step) (*Trace, error) {
	ops := make([]transitions.Op, len(path))
	setup := make([]bool, len(path))
	k := v.Kernel()
	s := transitions.Initial()
	k.S = &s
	var c state.State
	for i, st := range path {
		inv := sym.Canonical(&c, &s).Inverse()
		op := transitions.DecodeOp(st.Action)
		if int(op.Proc) < state.MaxProcs {
			op.Proc = inv[op.Proc]
		}
		ops[i], setup[i] = op, st.Setup
		if s.Faulted() {
			continue
		}
		if _, err := k.Apply(op, &sc); err != nil {
			return nil, fmt.Errorf("step %d: %v", i+1, err)
		}
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
		st := Step{Op: op, Setup: setup != nil && setup[i], Errno: res.Errno, Child: res.Child, Injected: res.Injected, InjectedNth: res.InjectedNth,
			Calls: append([]transitions.Call(nil), k.Rec.Calls...)}
		state.Canonical(&st.After, &s)
		st.Raw = s
		t.Steps = append(t.Steps, st)
	}
	return t, nil
}
