package specs

import (
	"bytes"
	"fmt"

	"github.com/mitchellh/hashstructure/v2"

	"anoncheck/check"
	"anoncheck/state"
	"anoncheck/transitions"
)

// Model is a variant at a scope: what check.Run explores.
type Model struct {
	Variant *Variant
	Scope   transitions.Scope
	// Symmetry is the renaming the canonical form applies; the zero value
	// is state.SymFull. Paths found at one level must be turned into
	// traces at the same level (traces.FromPathSym).
	Symmetry state.Symmetry
}

// Init is the canonical initial state: P1 with an empty address space.
func (m *Model) Init() state.State {
	s := transitions.Initial()
	var c state.State
	m.Symmetry.Canonical(&c, &s)
	return c
}

// NewWorker returns a worker with its own kernel and scratch state.
func (m *Model) NewWorker() check.Worker[state.State] {
	w := &worker{k: m.Variant.Kernel(), sc: &m.Scope, sym: m.Symmetry}
	w.k.Cov = &w.cov
	return w
}

// Env is the environment the properties see.
func (m *Model) Env() Env { return m.Variant.Env(m.Scope.Procs) }

// CheckProperties turns the properties into the explorer's predicates.
func (m *Model) CheckProperties(props []*Property) []check.Property[state.State] {
	env := m.Env()
	out := make([]check.Property[state.State], len(props))
	for i, p := range props {
		out[i] = check.Property[state.State]{Name: p.Name, Holds: func(s *state.State) bool { return p.Judge(s, env) }}
	}
	return out
}

type worker struct {
	cov transitions.Coverage
	k   *transitions.Kernel
	sc  *transitions.Scope
	sym state.Symmetry
	tmp state.State

	// With --fail-alloc, Actions runs each operation to count its
	// allocations; the successors it computed are kept here, with the
	// state they are successors of, for Next to take instead of running
	// the operation again.
	dry    []dryRun
	drySrc state.State
	dryOK  bool
}

// dryRun is an operation Actions ran: its action, whether Apply took it,
// and the state after it.
type dryRun struct {
	a     check.Action
	ok    bool
	after state.State
}

// Actions are the operations the scope enables and, with --fail-alloc,
// after setup and while the trace's budget lasts, each of them again with
// each of its allocations failing: transitions.Kernel.Actions, computed
// here so that the successors the counting runs compute are kept for
// Next.
func (w *worker) Actions(s *state.State, setup bool, buf []check.Action) []check.Action {
	w.dryOK = false
	buf = w.sc.Actions(s, setup, buf)
	if setup || int(s.FailedAllocs) >= w.sc.FailAlloc {
		return buf
	}
	n := len(buf)
	if cap(w.dry) < n {
		w.dry = make([]dryRun, n)
	}
	w.dry = w.dry[:n]
	for i := 0; i < n; i++ {
		d := &w.dry[i]
		d.a, d.after = buf[i], *s
		w.k.S = &d.after
		op := transitions.DecodeOp(d.a)
		_, err := w.k.Apply(op, w.sc)
		d.ok = err == nil
		if !d.ok {
			continue
		}
		for f, m := 1, min(w.k.LastAllocations(), transitions.MaxFail(op.Kind)); f <= m; f++ {
			buf = append(buf, op.WithFail(uint8(f)).Encode())
		}
	}
	w.drySrc, w.dryOK = *s, true
	return buf
}

// dryNext returns the successor Actions computed for action a from s, if
// it kept one.
func (w *worker) dryNext(s *state.State, a check.Action) (*dryRun, bool) {
	if !w.dryOK || transitions.DecodeOp(a).Fail != 0 || !bytes.Equal(s.Bytes(), w.drySrc.Bytes()) {
		return nil, false
	}
	for i := range w.dry {
		if w.dry[i].a == a {
			return &w.dry[i], true
		}
	}
	return nil, false
}

func (w *worker) Next(s *state.State, a check.Action, out *state.State) bool {
	op := transitions.DecodeOp(a)
	if d, ok := w.dryNext(s, a); ok {
		if !d.ok {
			return false
		}
		w.tmp = d.after
	} else {
		w.tmp = *s
		w.k.S = &w.tmp
		if _, err := w.k.Apply(op, w.sc); err != nil {
			return false
		}
	}
	if bytes.Equal(w.tmp.Bytes(), s.Bytes()) { // w.tmp == *s, a third of the cost: State has no padding
		// A self-loop (a write to a page already written, an mprotect to
		// the prot the range has, a munmap of a gap, ...): s is canonical,
		// so its successor is s itself, already visited and judged. About
		// a quarter of all transitions; skipping them spares the canonical
		// form, the fingerprint and the visited-set probe.
		return false
	}
	if op.Fail != 0 && bytes.Equal(w.tmp.Bytes()[:state.BaseSize], s.Bytes()[:state.BaseSize]) {
		// The injected failure was undone without a trace (an mprotect
		// whose first split failed, a fork whose first vm_area_dup()
		// did): the kernel state is s's, with less of the budget left.
		// Everything reachable from it is reachable from s, at fewer
		// operations, so it is not explored.
		return false
	}
	w.sym.Canonical(out, &w.tmp)
	return true
}

func (w *worker) Fingerprint(s *state.State) uint64 { return s.Fingerprint() }

func (w *worker) Terminal(s *state.State) bool { return s.Faulted() }

// runConfig is what identifies a run's configuration.
type runConfig struct {
	Variant  string
	Follows  string
	Pages    int
	Procs    int
	Prots    []uint8
	Advices  []uint8
	Ops      uint8
	Symmetry uint8
	Bound    int
}

// runConfigExt identifies a run whose scope has opt-in operation kinds
// (mremap: the kinds past the first eight bits) or lets allocations fail
// (--fail-alloc): runConfig's fields and those. A run with neither is
// hashed as runConfig alone, so that its digest is the one it had before
// either existed. runConfig is a named field: hashstructure skips an
// embedded one, whose field name is unexported, and would hash OpsHigh and
// FailAlloc alone.
type runConfigExt struct {
	Run       runConfig
	OpsHigh   uint8
	FailAlloc int
}

// ConfigDigest identifies the variant, scope and bound of a run, so that
// two reports (or, later, a trace and a checkpoint) can be matched to the
// configuration that produced them. It is computed once per run with
// hashstructure, off the hot path; see docs/ARCHITECTURE.md.
func (m *Model) ConfigDigest(bound int) string {
	c := runConfig{Variant: m.Variant.Name, Follows: m.Variant.Follows, Pages: m.Scope.Pages, Procs: m.Scope.Procs, Bound: bound,
		Ops: uint8(m.Scope.Ops), Symmetry: uint8(m.Symmetry)}
	for _, p := range m.Scope.Prots {
		c.Prots = append(c.Prots, uint8(p))
	}
	for _, a := range m.Scope.Advices {
		c.Advices = append(c.Advices, uint8(a))
	}
	var v any = c
	if high := uint8(m.Scope.Ops >> 8); high != 0 || m.Scope.FailAlloc != 0 {
		v = runConfigExt{Run: c, OpsHigh: high, FailAlloc: m.Scope.FailAlloc}
	}
	h, err := hashstructure.Hash(v, hashstructure.FormatV2, nil)
	if err != nil {
		panic("specs: hashing the run configuration: " + err.Error())
	}
	return fmt.Sprintf("%016x", h)
}

// Pack and Unpack make the worker a check.Packer: the explorer keeps its
// frontier packed.
func (w *worker) Pack(dst []byte, s *state.State) []byte { return s.AppendPacked(dst) }

// Unpack decodes a packed state.
func (w *worker) Unpack(src []byte, s *state.State) { s.Unpack(src) }

// Counts makes the worker a check.Counter: the kernel's coverage.
func (w *worker) Counts() []uint64 { return w.cov[:] }

// Class makes the worker a check.Classifier: an action's class is its
// operation kind, which the weights of a hunt's walks choose between.
func (w *worker) Class(a check.Action) int { return int(transitions.DecodeOp(a).Kind) }
