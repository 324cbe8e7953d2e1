package traces

import (
	"fmt"
	"math/bits"

	"anoncheck/specs"
	"anoncheck/state"
	"anoncheck/transitions"
)

// Shrinking. The explorer returns a shortest violating path by operation
// count, but among the many paths of that length it returns the first in
// its breadth-first order, which may map more pages, write more, fork more
// or use wider protections than the violation needs. Shrink searches the
// neighbourhood of a trace for a simpler one that violates the same
// property, and repeats until nothing simpler is found.
//
// A shrunk trace is still a path the explorer could have taken:
//
//   - setup steps are P1's and come first, each one of the setup actions
//     Scope.Actions enables in the state before it; every later operation
//     is one of the actions it enables for any live process;
//   - Kernel.Apply accepts every operation, and no operation follows a
//     state where the kernel oopsed or the model overflowed (the explorer
//     does not expand such a state);
//   - no canonical state repeats along the path (the explorer keeps each
//     state once, so its paths have no cycles);
//   - the property is violated in the final state and in no state before
//     it, the initial state included. The explorer reports the first state
//     on a path that violates, so a candidate that violates earlier is cut
//     back to that state: the ending a trace shows is always where the
//     violation first appears.
//
// The search is steepest descent on Cost: each round evaluates every
// candidate (see candidates) and moves to the cheapest one if it costs
// less than the current trace; it stops at a fixpoint, where no candidate
// is cheaper. Every move lowers the cost strictly and the number of steps
// never grows, so the search ends, and it depends on nothing but the trace:
// shrinking a shrunk trace returns it unchanged.

// Cost is how complex a trace is. Costs compare lexicographically in field
// order (Compare); a trace is simpler than another when it costs less.
// Shrink breaks ties between traces of equal cost by their operations
// (compareOps), so that its result is one trace, not one of several.
type Cost struct {
	Ops      int // operations after setup (the explorer's depth); never grows
	Procs    int // processes that ever exist: P1 and one per fork
	Others   int // other properties the final state violates as well
	Fails    int // injected allocation failures (--fail-alloc)
	VMAs     int // VMAs of all live processes in the final state
	Pages    int // distinct page slots any operation names
	Width    int // page slots named, summed over operations (a write names one)
	Writes   int // write operations (pages written)
	Setup    int // setup steps
	ProtBits int // protection bits of mmap and mprotect, summed (none 0, r 1, rw 2, rwx 3)
	Advice   int // madvise operations
	Slots    int // start+end of ranges and the page of writes, summed: lower slots first
}

// Compare returns -1, 0 or +1 as c is less than, equal to or greater than d
// in the lexicographic order of the fields.
func (c Cost) Compare(d Cost) int {
	return compareInts(
		[]int{c.Ops, c.Procs, c.Others, c.Fails, c.VMAs, c.Pages, c.Width, c.Writes, c.Setup, c.ProtBits, c.Advice, c.Slots},
		[]int{d.Ops, d.Procs, d.Others, d.Fails, d.VMAs, d.Pages, d.Width, d.Writes, d.Setup, d.ProtBits, d.Advice, d.Slots})
}

// compareInts compares two sequences lexicographically, a prefix first.
func compareInts(a, b []int) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			if a[i] < b[i] {
				return -1
			}
			return 1
		}
	}
	switch {
	case len(a) < len(b):
		return -1
	case len(a) > len(b):
		return 1
	}
	return 0
}

// String renders the cost for test failures and diagnostics.
func (c Cost) String() string {
	return fmt.Sprintf("ops=%d procs=%d others=%d fails=%d vmas=%d pages=%d width=%d writes=%d setup=%d prot-bits=%d advice=%d slots=%d",
		c.Ops, c.Procs, c.Others, c.Fails, c.VMAs, c.Pages, c.Width, c.Writes, c.Setup, c.ProtBits, c.Advice, c.Slots)
}

// TraceCost returns the cost of a trace as Shrink measures it.
func TraceCost(t *Trace) Cost {
	ops := make([]transitions.Op, len(t.Steps))
	setup := make([]bool, len(t.Steps))
	for i, st := range t.Steps {
		ops[i], setup[i] = st.Op, st.Setup
	}
	f := t.Final()
	return costOf(ops, setup, &f, t.Property, t.Variant.Env(t.Scope.Procs))
}

// costOf computes the cost of a path whose final (canonical) state is
// final, for property p.
func costOf(ops []transitions.Op, setup []bool, final *state.State, p *specs.Property, env specs.Env) Cost {
	c := Cost{Procs: 1, Others: countOthers(final, p, env), VMAs: countVMAs(final)}
	var pages uint32
	for i, op := range ops {
		if setup[i] {
			c.Setup++
		} else {
			c.Ops++
		}
		if op.Fail != 0 {
			c.Fails++
		}
		switch op.Kind {
		case transitions.OpFork:
			c.Procs++
		case transitions.OpWrite:
			c.Writes++
			c.Width++
			c.Slots += int(op.Start)
			pages |= 1 << op.Start
		case transitions.OpMmap, transitions.OpMprotect, transitions.OpMadvise, transitions.OpMunmap:
			c.Width += int(op.End) - int(op.Start)
			c.Slots += int(op.Start) + int(op.End)
			pages |= (1<<op.End - 1) &^ (1<<op.Start - 1)
			switch op.Kind {
			case transitions.OpMmap, transitions.OpMprotect:
				c.ProtBits += bits.OnesCount8(op.Arg)
			case transitions.OpMadvise:
				c.Advice++
			}
		}
	}
	c.Pages = bits.OnesCount32(pages)
	return c
}

// countOthers counts the properties other than p, limits aside, that s
// violates: a shrunk trace should show its own failure, not bring in
// another one, such as an oops on the way to a warning.
func countOthers(s *state.State, p *specs.Property, env specs.Env) int {
	n := 0
	for _, q := range specs.Properties() {
		if !q.Limit && (p == nil || q.Name != p.Name) && !q.Judge(s, env) {
			n++
		}
	}
	return n
}

// countVMAs counts the VMAs of every live process of s.
func countVMAs(s *state.State) int {
	n := 0
	for p := range s.MMs {
		if s.MMs[p].Live != 0 {
			s.ForEachVMA(p, func(state.VMAID) bool { n++; return true })
		}
	}
	return n
}

// compareOps orders two operation sequences of equal cost: step by step, by
// setup (setup steps first), kind, process, start, end, argument and the
// allocation that fails; a prefix first. It is the final tie-break that
// makes the shrunk trace unique.
func compareOps(a, b []transitions.Op, sa, sb []bool) int {
	return compareInts(opKey(a, sa), opKey(b, sb))
}

// opKey lists each step's setup flag (setup first), kind, process, start,
// end, argument and failing allocation.
func opKey(ops []transitions.Op, setup []bool) []int {
	key := make([]int, 0, 7*len(ops))
	for i, op := range ops {
		phase := 1
		if setup[i] {
			phase = 0
		}
		key = append(key, phase, int(op.Kind), int(op.Proc), int(op.Start), int(op.End), int(op.Arg), int(op.Fail))
	}
	return key
}

// Shrink returns the simplest trace its search reaches from t that violates
// t's property under t's variant and scope (Cost says what simplest means),
// replayed with its kernel call paths. The result ends at the first state
// on it that violates the property and never has more operations after
// setup than t; when nothing simpler violates, it is t cut at that state.
// Shrink is deterministic, and a fixpoint: shrinking its result returns
// the same trace.
//
// It is an error for t to have no property, to contain a step the explorer
// could not have taken (an operation Scope.Actions does not enable in the
// state before it, a setup step after an operation, a step after an oops,
// a return to a state already visited), or to hold in every state along
// it; the error names the step.
func Shrink(t *Trace) (*Trace, error) {
	sh, err := newShrinker(t)
	if err != nil {
		return nil, err
	}
	return sh.run(t)
}

// shrinker holds what one Shrink call reuses across candidates.
type shrinker struct {
	v    *specs.Variant
	sc   transitions.Scope
	p    *specs.Property
	env  specs.Env
	k    *transitions.Kernel
	acts []uint32
	// violates is the acceptance predicate on canonical states. It is the
	// property's negation; tests replace it to check that Shrink's final
	// verification catches a search that accepts a trace that holds.
	violates func(s *state.State) bool
}

func newShrinker(t *Trace) (*shrinker, error) {
	if t.Property == nil {
		return nil, fmt.Errorf("shrink: the trace names no property to preserve")
	}
	if t.Variant == nil {
		return nil, fmt.Errorf("shrink: the trace names no variant")
	}
	if err := t.Scope.Validate(); err != nil {
		return nil, fmt.Errorf("shrink: %v", err)
	}
	sh := &shrinker{v: t.Variant, sc: t.Scope, p: t.Property, k: t.Variant.Kernel(),
		env: t.Variant.Env(t.Scope.Procs)}
	sh.violates = func(s *state.State) bool { return !sh.p.Judge(s, sh.env) }
	return sh, nil
}

// shrinkStep is one operation of a candidate. Processes are named by
// identity, not slot: P1 is identity 0 and the child of a fork is the fork
// step's id. Removing a fork therefore removes a process without renaming
// the others; replay gives each identity the slot fork gives it.
type shrinkStep struct {
	op    transitions.Op // op.Proc is resolved from who at replay
	who   int            // the process's identity
	id    int            // this step's stable id, from 1
	setup bool
}

// shrinkOutcome is a candidate that passed: its steps cut at the first
// violating state, the operations with their process slots, and its cost.
type shrinkOutcome struct {
	steps []shrinkStep
	ops   []transitions.Op
	setup []bool
	cost  Cost
}

// less reports whether o is simpler than b.
func (o *shrinkOutcome) less(b *shrinkOutcome) bool {
	if c := o.cost.Compare(b.cost); c != 0 {
		return c < 0
	}
	return compareOps(o.ops, b.ops, o.setup, b.setup) < 0
}

// shrinkRejection says why a candidate is not a valid violating path.
type shrinkRejection struct {
	step int // 1-based, 0 when the whole path is at fault
	op   transitions.Op
	why  string
}

func (r *shrinkRejection) Error() string {
	if r.step == 0 {
		return r.why
	}
	return fmt.Sprintf("step %d (%s): %s", r.step, r.op, r.why)
}

// run shrinks t to a fixpoint, replays the result and verifies it.
func (sh *shrinker) run(t *Trace) (*Trace, error) {
	start, err := sh.identify(t)
	if err != nil {
		return nil, err
	}
	best, err := sh.search(start)
	if err != nil {
		return nil, err
	}
	return sh.verify(best)
}

// search is the steepest descent from start: each round moves to the
// cheapest candidate if it is cheaper than the current path.
func (sh *shrinker) search(start []shrinkStep) (*shrinkOutcome, error) {
	cur, rej := sh.eval(start)
	if rej != nil {
		return nil, fmt.Errorf("shrink: %s under %s: %v", sh.p.Name, sh.v.Name, rej)
	}
	for {
		var best *shrinkOutcome
		for _, c := range sh.candidates(cur.steps) {
			o, rej := sh.eval(c)
			if rej != nil {
				continue
			}
			if best == nil || o.less(best) {
				best = o
			}
		}
		if best == nil || !best.less(cur) {
			return cur, nil
		}
		cur = best
	}
}

// verify replays the outcome of the search into a trace and checks, apart
// from the search's own predicate, that the property fails at its end.
func (sh *shrinker) verify(o *shrinkOutcome) (*Trace, error) {
	out, err := Replay(sh.v, sh.sc, sh.p, o.ops, o.setup)
	if err != nil {
		return nil, fmt.Errorf("shrink: replaying the shrunk trace of %s under %s: %v", sh.p.Name, sh.v.Name, err)
	}
	if out.Skipped != 0 || out.Holds() {
		return nil, fmt.Errorf("shrink: the shrunk trace of %s under %s (%d steps) does not violate it", sh.p.Name, sh.v.Name, len(out.Steps))
	}
	return out, nil
}

// identify turns t's operations into steps naming processes by identity,
// following the slots fork and exit give and free.
func (sh *shrinker) identify(t *Trace) ([]shrinkStep, error) {
	s := transitions.Initial()
	sh.k.S = &s
	var slotWho [state.MaxProcs]int
	for i := range slotWho {
		slotWho[i] = -1
	}
	slotWho[0] = 0
	steps := make([]shrinkStep, 0, len(t.Steps))
	for i, st := range t.Steps {
		op := st.Op
		if int(op.Proc) >= state.MaxProcs || slotWho[op.Proc] < 0 {
			return nil, fmt.Errorf("shrink: %s under %s: step %d (%s): process %s does not exist",
				sh.p.Name, sh.v.Name, i+1, op, transitions.ProcName(op.Proc))
		}
		who := slotWho[op.Proc]
		if s.Faulted() {
			return nil, fmt.Errorf("shrink: %s under %s: step %d (%s): follows an oops or overflow",
				sh.p.Name, sh.v.Name, i+1, op)
		}
		res, err := sh.k.Apply(op, &sh.sc)
		if err != nil {
			return nil, fmt.Errorf("shrink: %s under %s: step %d: %v", sh.p.Name, sh.v.Name, i+1, err)
		}
		steps = append(steps, shrinkStep{op: op, who: who, id: i + 1, setup: st.Setup})
		switch op.Kind {
		case transitions.OpFork:
			slotWho[res.Child] = i + 1
		case transitions.OpExit:
			slotWho[op.Proc] = -1
		}
	}
	return steps, nil
}

// eval replays steps from the initial state and checks that they form a
// path the explorer could have taken (see the comment at the top of this
// file). It cuts the path at its first violating state and returns it with
// its cost, or says why the steps are rejected.
func (sh *shrinker) eval(steps []shrinkStep) (*shrinkOutcome, *shrinkRejection) {
	s := transitions.Initial()
	sh.k.S = &s
	var c state.State
	state.Canonical(&c, &s)
	o := &shrinkOutcome{}
	if sh.violates(&c) {
		o.cost = costOf(nil, nil, &c, sh.p, sh.env)
		return o, nil
	}
	seen := make([]uint64, 0, len(steps)+1)
	seen = append(seen, c.Fingerprint())
	maxID := 0
	for _, st := range steps {
		maxID = max(maxID, st.id)
	}
	slotOf := make([]int, maxID+1) // identity -> slot+1; 0 means not live
	slotOf[0] = 1
	for i, st := range steps {
		op := st.op
		reject := func(why string) (*shrinkOutcome, *shrinkRejection) {
			return nil, &shrinkRejection{step: i + 1, op: op, why: why}
		}
		if st.setup && i > 0 && !steps[i-1].setup {
			return reject("a setup step after an operation")
		}
		if st.setup && st.who != 0 {
			return reject("a setup step of a process other than P1")
		}
		if st.who > maxID || slotOf[st.who] == 0 {
			return reject("its process does not exist")
		}
		op.Proc = uint8(slotOf[st.who] - 1)
		if s.Faulted() {
			return reject("follows an oops or overflow, which has no successors")
		}
		sh.acts = sh.sc.Actions(&s, st.setup, sh.acts[:0])
		if !sh.k.Enabled(&sh.sc, &s, st.setup, op, sh.acts) {
			if st.setup {
				return reject("not a setup action the scope enables in that state")
			}
			return reject("not an action the scope enables in that state")
		}
		res, err := sh.k.Apply(op, &sh.sc)
		if err != nil {
			return reject(err.Error())
		}
		switch op.Kind {
		case transitions.OpFork:
			slotOf[st.id] = res.Child + 1
		case transitions.OpExit:
			slotOf[st.who] = 0
		}
		o.steps = append(o.steps, st)
		o.ops = append(o.ops, op)
		o.setup = append(o.setup, st.setup)
		state.Canonical(&c, &s)
		fp := c.Fingerprint()
		for _, f := range seen {
			if f == fp {
				return reject("returns to a state the path already visited")
			}
		}
		seen = append(seen, fp)
		if sh.violates(&c) {
			o.cost = costOf(o.ops, o.setup, &c, sh.p, sh.env)
			return o, nil
		}
	}
	return nil, &shrinkRejection{why: fmt.Sprintf("the property holds after all %d steps", len(steps))}
}

// candidates returns the neighbours of a path, in a fixed order: deleting
// each contiguous block of steps; deleting each forked process with
// everything it and its descendants do; merging two like operations on
// adjacent or overlapping ranges into one; moving the first operation into
// setup; and for each step, every other range or page, protection and
// advice within the scope, every other process, and swapping it with the
// next step. Invalid candidates are left for eval to reject.
func (sh *shrinker) candidates(steps []shrinkStep) [][]shrinkStep {
	var out [][]shrinkStep
	n := len(steps)
	for i := 0; i < n; i++ {
		for j := i + 1; j <= n; j++ {
			out = append(out, concatSteps(steps[:i], steps[j:]))
		}
	}
	for _, st := range steps {
		if st.op.Kind == transitions.OpFork {
			out = append(out, withoutProcess(steps, st.id))
		}
	}
	out = append(out, mergeCandidates(steps)...)
	for i, st := range steps {
		if !st.setup {
			if st.who == 0 {
				c := cloneSteps(steps)
				c[i].setup = true
				out = append(out, c)
			}
			break
		}
	}
	for i := range steps {
		out = append(out, sh.variations(steps, i)...)
	}
	return out
}

// variations returns the candidates that change step i alone: its range or
// page, its protection, its advice, its process, an earlier allocation to
// fail or none; and the swap of step i with step i+1.
func (sh *shrinker) variations(steps []shrinkStep, i int) [][]shrinkStep {
	var out [][]shrinkStep
	st := steps[i]
	with := func(f func(*shrinkStep)) {
		c := cloneSteps(steps)
		f(&c[i])
		out = append(out, c)
	}
	pages := uint8(sh.sc.Pages)
	switch st.op.Kind {
	case transitions.OpMmap, transitions.OpMprotect, transitions.OpMadvise, transitions.OpMunmap:
		for a := uint8(0); a < pages; a++ {
			for b := a + 1; b <= pages; b++ {
				if a != st.op.Start || b != st.op.End {
					with(func(s *shrinkStep) { s.op.Start, s.op.End = a, b })
				}
			}
		}
	case transitions.OpWrite:
		for a := uint8(0); a < pages; a++ {
			if a != st.op.Start {
				with(func(s *shrinkStep) { s.op.Start = a })
			}
		}
	}
	switch st.op.Kind {
	case transitions.OpMmap, transitions.OpMprotect:
		for _, pr := range sh.sc.Prots {
			if uint8(pr) != st.op.Arg {
				with(func(s *shrinkStep) { s.op.Arg = uint8(pr) })
			}
		}
	case transitions.OpMadvise:
		for _, ad := range sh.sc.Advices {
			if uint8(ad) != st.op.Arg {
				with(func(s *shrinkStep) { s.op.Arg = uint8(ad) })
			}
		}
	}
	for f := uint8(0); f < st.op.Fail; f++ {
		with(func(s *shrinkStep) { s.op.Fail = f })
	}
	if !st.setup {
		whos := []int{0}
		for _, p := range steps[:i] {
			if p.op.Kind == transitions.OpFork {
				whos = append(whos, p.id)
			}
		}
		for _, w := range whos {
			if w != st.who {
				with(func(s *shrinkStep) { s.who = w })
			}
		}
	}
	if i+1 < len(steps) && steps[i+1].setup == st.setup {
		c := cloneSteps(steps)
		c[i], c[i+1] = c[i+1], c[i]
		out = append(out, c)
	}
	return out
}

// withoutProcess removes the fork with id fork, and every step of the
// process it created and of that process's descendants.
func withoutProcess(steps []shrinkStep, fork int) []shrinkStep {
	gone := map[int]bool{fork: true}
	var out []shrinkStep
	for _, st := range steps {
		if st.id == fork || gone[st.who] {
			if st.op.Kind == transitions.OpFork {
				gone[st.id] = true
			}
			continue
		}
		out = append(out, st)
	}
	return out
}

// mergeCandidates returns, for each pair of steps of one process and one phase with
// the same kind and argument on adjacent or overlapping ranges, the path
// where the first covers both ranges and the second is gone.
func mergeCandidates(steps []shrinkStep) [][]shrinkStep {
	var out [][]shrinkStep
	for i, a := range steps {
		switch a.op.Kind {
		case transitions.OpMmap, transitions.OpMprotect, transitions.OpMadvise, transitions.OpMunmap:
		default:
			continue
		}
		for j := i + 1; j < len(steps); j++ {
			b := steps[j]
			if b.op.Kind != a.op.Kind || b.op.Arg != a.op.Arg || b.who != a.who || b.setup != a.setup ||
				b.op.Start > a.op.End || a.op.Start > b.op.End {
				continue
			}
			c := concatSteps(steps[:j], steps[j+1:])
			c[i].op.Start, c[i].op.End = min(a.op.Start, b.op.Start), max(a.op.End, b.op.End)
			out = append(out, c)
		}
	}
	return out
}

func cloneSteps(steps []shrinkStep) []shrinkStep { return append([]shrinkStep(nil), steps...) }

func concatSteps(a, b []shrinkStep) []shrinkStep {
	out := make([]shrinkStep, 0, len(a)+len(b))
	return append(append(out, a...), b...)
}
