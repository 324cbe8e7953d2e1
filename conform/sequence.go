package conform

import (
	"fmt"
	"math/rand/v2"

	"anoncheck/specs"
	"anoncheck/state"
	"anoncheck/transitions"
)

// Sequence is one run of operations as the model performed it: each
// operation, what it returned (with a fork's child slot, which the
// executor gives the real child too), and the raw state after it, the
// slots as the kernel functions left them, so that a page keeps its
// identity from step to step.
type Sequence struct {
	Mode    string // "random", "bound" or "replay"
	Index   int    // the run's number (random: from 0; bound: the sequence's rank)
	Ops     []transitions.Op
	Results []transitions.Result
	States  []state.State
	// Cut is set when the model ran out of room (a capacity of the flat
	// state) at the operation after the last one kept: the run ends there.
	Cut bool
}

// marker is the value the write of step i stores: unique within the run
// and never 0, which stands for a page no write reached.
func (s *Sequence) marker(i int) uint64 {
	return 0xc0f0<<48 | uint64(s.Index&0xffffffff)<<16 | uint64(i+1)
}

// before returns the state before step i.
func (s *Sequence) before(i int) *state.State {
	if i == 0 {
		in := transitions.Initial()
		return &in
	}
	return &s.States[i-1]
}

// model runs operations on a variant's kernel, one sequence at a time.
type model struct {
	v  *specs.Variant
	k  *transitions.Kernel
	sc *transitions.Scope
	s  state.State
}

func newModel(v *specs.Variant, sc *transitions.Scope) *model {
	return &model{v: v, k: v.Kernel(), sc: sc}
}

func (m *model) reset() {
	m.s = transitions.Initial()
	m.k.S = &m.s
}

// apply performs op on the current state and appends it to seq. It
// reports false when the model cannot go on: it ran out of room (the
// operation is dropped and seq is cut), or it oopsed (the operation is
// kept, and a kernel that did not oops differs from it).
func (m *model) apply(seq *Sequence, op transitions.Op) (bool, error) {
	saved := m.s
	res, err := m.k.Apply(op, m.sc)
	if err != nil {
		return false, err
	}
	if m.s.Overflow != 0 {
		m.s = saved
		seq.Cut = true
		return false, nil
	}
	seq.Ops = append(seq.Ops, op)
	seq.Results = append(seq.Results, res)
	seq.States = append(seq.States, m.s)
	return m.s.Bug == 0, nil
}

// Enabled appends to buf the operations conform draws from in s: those the
// explorer enables (Scope.Actions, which leaves out operations whose only
// effect is an error return), and the writes to a page whose PTE is
// already writable, which take no fault and change nothing in the model:
// the executor checks that the kernel takes none either, which tests the
// model's PTE write bits.
func Enabled(sc *transitions.Scope, s *state.State, buf []transitions.Op) []transitions.Op {
	var acts []uint32
	acts = sc.Actions(s, false, acts)
	for _, a := range acts {
		buf = append(buf, transitions.DecodeOp(a))
	}
	if !sc.Ops.Has(transitions.OpWrite) {
		return buf
	}
	for p := 0; p < sc.Procs && p < state.MaxProcs; p++ {
		if s.MMs[p].Live == 0 {
			continue
		}
		for a := uint8(0); int(a) < sc.Pages; a++ {
			v := s.FindVMA(p, a)
			if v == state.NoVMA || s.VMA(v).Flags&state.VMWrite == 0 {
				continue
			}
			if pte := s.PT[p][a]; pte.Page() != state.NoPage && pte.Writable() {
				buf = append(buf, transitions.Op{Kind: transitions.OpWrite, Proc: uint8(p), Start: a})
			}
		}
	}
	return buf
}

// kindWeight is how often a random run picks each kind, among the kinds
// with an enabled operation: exit half as often as the rest, so that runs
// keep processes to work on.
func kindWeight(k transitions.OpKind) float64 {
	if k == transitions.OpExit {
		return 0.5
	}
	return 1
}

// randomSequence draws run index of length n: at each step an operation
// kind, weighted by kindWeight, among those with an enabled operation (and
// not left out of this run), then one of that kind's enabled operations
// uniformly; the last live process never exits, so the run keeps going. The same seed and index always
// give the same sequence.
func (m *model) randomSequence(seed uint64, index, n int) (*Sequence, error) {
	r := rand.New(rand.NewPCG(seed, uint64(index)))
	seq := &Sequence{Mode: "random", Index: index}
	m.reset()
	// Swarm testing (Groce et al., ISSTA 2012): half the runs leave out
	// each kind but mmap with probability 1/3, so that some runs go deep
	// into what the remaining kinds do together.
	var omit [16]bool
	if r.IntN(2) == 0 {
		for k := range omit {
			omit[k] = transitions.OpKind(k) != transitions.OpMmap && r.IntN(3) == 0
		}
	}
	var buf []transitions.Op
	var byKind [16][]transitions.Op
	for len(seq.Ops) < n {
		buf = Enabled(m.sc, &m.s, buf[:0])
		for k := range byKind {
			byKind[k] = byKind[k][:0]
		}
		live := m.s.LiveProcs()
		for _, op := range buf {
			if omit[op.Kind] || op.Kind == transitions.OpExit && live <= 1 {
				continue
			}
			byKind[op.Kind] = append(byKind[op.Kind], op)
		}
		total := 0.0
		for k := range byKind {
			if len(byKind[k]) > 0 {
				total += kindWeight(transitions.OpKind(k))
			}
		}
		if total == 0 {
			break
		}
		x := r.Float64() * total
		kind := -1
		for k := range byKind {
			if len(byKind[k]) == 0 {
				continue
			}
			kind = k
			if x -= kindWeight(transitions.OpKind(k)); x < 0 {
				break
			}
		}
		ops := byKind[kind]
		ok, err := m.apply(seq, ops[r.IntN(len(ops))])
		if err != nil {
			return nil, fmt.Errorf("random run %d: %v", index, err)
		}
		if !ok {
			break
		}
	}
	return seq, nil
}

// replaySequence runs ops as they are.
func (m *model) replaySequence(ops []transitions.Op) (*Sequence, error) {
	seq := &Sequence{Mode: "replay"}
	m.reset()
	for i, op := range ops {
		ok, err := m.apply(seq, op)
		if err != nil {
			return nil, fmt.Errorf("step %d: %v", i+1, err)
		}
		if !ok && i < len(ops)-1 {
			if seq.Cut {
				return seq, fmt.Errorf("step %d (%s): the model ran out of room", i+1, op)
			}
			return seq, nil
		}
	}
	return seq, nil
}

// boundSequences calls yield with every sequence of bound operations from
// P1 with an empty address space (and every shorter one after which
// nothing is enabled, or the model cannot go on), in a fixed order, until
// yield returns false. Each sequence's prefixes are its steps: a sequence
// that is a prefix of another is not run on its own.
func (m *model) boundSequences(bound int, yield func(*Sequence) bool) error {
	m.reset()
	n := 0
	var walk func(seq *Sequence) (bool, error)
	walk = func(seq *Sequence) (bool, error) {
		if len(seq.Ops) == bound {
			seq.Index = n
			n++
			return yield(seq), nil
		}
		s := m.s
		ops := Enabled(m.sc, &s, nil)
		if len(ops) == 0 {
			seq.Index = n
			n++
			return yield(seq), nil
		}
		for _, op := range ops {
			m.s = s
			m.k.S = &m.s
			next := &Sequence{Mode: "bound", Ops: append([]transitions.Op(nil), seq.Ops...),
				Results: append([]transitions.Result(nil), seq.Results...), States: append([]state.State(nil), seq.States...)}
			ok, err := m.apply(next, op)
			if err != nil {
				return false, err
			}
			if !ok {
				next.Index = n
				n++
				if !yield(next) {
					return false, nil
				}
				continue
			}
			if more, err := walk(next); err != nil || !more {
				return more, err
			}
		}
		m.s = s
		return true, nil
	}
	_, err := walk(&Sequence{Mode: "bound"})
	return err
}
