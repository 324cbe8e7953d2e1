package specs

import (
	"math/bits"
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
		a:  (&Model{Variant: m.A, Scope: m.Scope, Symmetry: state.SymObjects}).NewWorker(),
		ka: m.A.Kernel(), kb: m.B.Kernel(), sc: &m.Scope,
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
	a      check.Worker[state.State] // A's worker, for the actions
	ka, kb *transitions.Kernel
	sc     *transitions.Scope
	tmp    state.State
}

func (w *pairWorker) Actions(p *Pair, setup bool, buf []check.Action) []check.Action {
	return w.a.Actions(&p.A, setup, buf)
}

// Next applies the action under both variants. The pair is a successor
// when either side changed: an operation that leaves one variant's state
// as it was (a self-loop, which a single variant's worker drops) may
// change the other's, and that is a difference.
func (w *pairWorker) Next(p *Pair, a check.Action, out *Pair) bool {
	op := transitions.DecodeOp(a)
	changedA, okA := w.advance(w.ka, &p.A, op, &out.A)
	if !okA {
		return false
	}
	changedB, okB := w.advance(w.kb, &p.B, op, &out.B)
	return okB && (changedA || changedB)
}

// advance applies op to s with kernel k and writes the canonical result
// to out: ok is false when op cannot be applied, changed false when op
// left s as it was (out is then s, which is canonical).
func (w *pairWorker) advance(k *transitions.Kernel, s *state.State, op transitions.Op, out *state.State) (changed, ok bool) {
	w.tmp = *s
	k.S = &w.tmp
	if _, err := k.Apply(op, w.sc); err != nil {
		return false, false
	}
	if w.tmp == *s {
		*out = *s
		return false, true
	}
	state.SymObjects.Canonical(out, &w.tmp)
	return true, true
}

func (w *pairWorker) Fingerprint(p *Pair) uint64 {
	return xxh3.Hash(unsafe.Slice((*byte)(unsafe.Pointer(p)), unsafe.Sizeof(*p)))
}

func (w *pairWorker) Terminal(p *Pair) bool { return p.A.Faulted() || p.B.Faulted() }

// Pack and Unpack make the worker a check.Packer, so that the explorer
// keeps its frontier packed as a single variant's is: A as
// state.State.AppendPacked writes it, then one byte, 0 when B equals A
// (two variants mostly agree, and the search stops at the first level
// where they do not), or 1 and B packed likewise.
func (w *pairWorker) Pack(dst []byte, p *Pair) []byte {
	dst = p.A.AppendPacked(dst)
	if p.B == p.A {
		return append(dst, 0)
	}
	return p.B.AppendPacked(append(dst, 1))
}

// Unpack decodes what Pack wrote.
func (w *pairWorker) Unpack(src []byte, p *Pair) {
	p.A.Unpack(src)
	n := packedLen(src)
	if src[n] == 0 {
		p.B = p.A
		return
	}
	p.B.Unpack(src[n+1:])
}

// packedLen is the length of the state state.State.AppendPacked wrote at
// the start of src: a mask byte for each 8 bytes of the state, followed
// by as many bytes as the mask has bits set.
func packedLen(src []byte) int {
	n := 0
	for i := 0; i < int(unsafe.Sizeof(state.State{})); i += 8 {
		n += 1 + bits.OnesCount8(src[n])
	}
	return n
}
