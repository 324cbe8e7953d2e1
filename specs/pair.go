package specs

import (
	"unsafe"

	"github.com/zeebo/xxh3"

	"anoncheck/check"
	"anoncheck/state"
	"anoncheck/transitions"
)

// Pair is the state of two variants that have taken the same operations.
type Pair struct {
	A, B state.State
}

// PairModel runs two variants side by side on the same operations, so that
// check.Run finds the shortest sequence on which they disagree: their
// kernel states differ, or a property holds in one and not the other.
// The anon_vma reuse counters are left out of the state comparison (a
// variant with num_children/num_active_vmas would otherwise differ from
// one with degree at the first fault); the counter-accounting property
// still compares what each counter scheme means.
//
// Both sides keep processes in their slots (state.SymObjects): renaming
// processes on each side separately would let one action name different
// processes in A and B. Paths are turned into traces with
// traces.FromPathSym at that level.
type PairModel struct {
	A, B  *Variant
	Scope transitions.Scope
}

// Init is both variants' initial state.
func (m *PairModel) Init() Pair {
	s := (&Model{Variant: m.A, Scope: m.Scope, Symmetry: state.SymObjects}).Init()
	return Pair{A: s, B: s}
}

// NewWorker returns a worker holding a kernel for each variant.
func (m *PairModel) NewWorker() check.Worker[Pair] {
	return &pairWorker{
		a: (&Model{Variant: m.A, Scope: m.Scope, Symmetry: state.SymObjects}).NewWorker(),
		b: (&Model{Variant: m.B, Scope: m.Scope, Symmetry: state.SymObjects}).NewWorker(),
	}
}

// Agree is the property whose violation is a disagreement.
func (m *PairModel) Agree(props []*Property) check.Property[Pair] {
	ea := m.A.Env(m.Scope.Procs)
	eb := m.B.Env(m.Scope.Procs)
	return check.Property[Pair]{Name: "agree", Holds: func(p *Pair) bool {
		if !SameKernelState(&p.A, &p.B) {
			return false
		}
		for _, pr := range props {
			if pr.Judge(&p.A, ea) != pr.Judge(&p.B, eb) {
				return false
			}
		}
		return true
	}}
}

// SameKernelState compares two canonical states, ignoring the anon_vma
// reuse counters.
func SameKernelState(a, b *state.State) bool {
	x, y := *a, *b
	for i := range x.AnonVMAs {
		x.AnonVMAs[i].Degree, x.AnonVMAs[i].NumChildren, x.AnonVMAs[i].NumActiveVMAs = 0, 0, 0
		y.AnonVMAs[i].Degree, y.AnonVMAs[i].NumChildren, y.AnonVMAs[i].NumActiveVMAs = 0, 0, 0
	}
	return x == y
}

type pairWorker struct {
	a, b check.Worker[state.State]
}

func (w *pairWorker) Actions(p *Pair, setup bool, buf []check.Action) []check.Action {
	return w.a.Actions(&p.A, setup, buf)
}

func (w *pairWorker) Next(p *Pair, a check.Action, out *Pair) bool {
	return w.a.Next(&p.A, a, &out.A) && w.b.Next(&p.B, a, &out.B)
}

func (w *pairWorker) Fingerprint(p *Pair) uint64 {
	return xxh3.Hash(unsafe.Slice((*byte)(unsafe.Pointer(p)), unsafe.Sizeof(*p)))
}

func (w *pairWorker) Terminal(p *Pair) bool { return p.A.Faulted() || p.B.Faulted() }
