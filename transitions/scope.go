package transitions

import (
	"fmt"
	"strings"

	"anoncheck/state"
)

// Scope bounds the model: how many page slots each address space has, how
// many processes may exist at once, and which protections and advices the
// operations use.
type Scope struct {
	Pages   int      // page slots per address space (--pages)
	Procs   int      // processes alive at once (--procs)
	Prots   []Prot   // protections mmap and mprotect use (--prots)
	Advices []Advice // madvise advices (--advices; default the four fork-related ones)
	Ops     OpSet    // operation kinds enabled (--ops); the zero set enables all
	// FailAlloc is how many allocations of anon_vma, anon_vma_chain or
	// vm_area_struct (and in 6.x maple nodes) one trace may make fail (--fail-alloc), each at any
	// allocation point of an operation after setup (Kernel.Actions); 0,
	// the default, lets none fail.
	FailAlloc int
}

// OpSet is a set of operation kinds. The zero value stands for the
// default kinds (DefaultOps: every kind but the opt-in mremap), so a Scope
// written without it explores what `anoncheck` explores by default.
type OpSet uint16

// DefaultOps are the kinds the zero OpSet and --ops all stand for: mmap,
// write, mprotect, madvise, munmap, fork and exit. mremap is opt-in
// (--ops +mremap), so that the default scope explores the same states as
// before it was modelled.
const DefaultOps OpSet = 1<<OpMmap | 1<<OpWrite | 1<<OpMprotect | 1<<OpMadvise | 1<<OpMunmap | 1<<OpFork | 1<<OpExit

// Has reports whether kind k is in the set.
func (o OpSet) Has(k OpKind) bool {
	if o == 0 {
		o = DefaultOps
	}
	return o&(1<<k) != 0
}

// ParseOps parses --ops: "all" for the default kinds, a comma-separated
// list of kinds, or a list whose entries start with "+" to add opt-in
// kinds to the default ("+mremap").
func ParseOps(s string) (OpSet, error) {
	if s == "all" || s == "" {
		return 0, nil
	}
	var o OpSet
	for i, name := range strings.Split(s, ",") {
		name = strings.TrimSpace(name)
		if strings.HasPrefix(name, "+") {
			if i == 0 {
				o |= DefaultOps
			}
			name = name[1:]
		}
		if name == "all" {
			o |= DefaultOps
			continue
		}
		k, ok := ParseOpKind(name)
		if !ok {
			var names []string
			for _, k := range OpKinds() {
				names = append(names, k.String())
			}
			return 0, fmt.Errorf("unknown operation %q: use all, a comma-separated list of %s, or +mremap to add mremap to all", name, strings.Join(names, ", "))
		}
		o |= 1 << k
	}
	return o, nil
}

// Kinds lists the operation kinds reports show for a scope with this set:
// every default kind, explored or not, and the opt-in kinds the set has.
// Reports of the default scope therefore read as before mremap was
// modelled.
func (o OpSet) Kinds() []OpKind {
	var out []OpKind
	for _, k := range OpKinds() {
		if DefaultOps&(1<<k) != 0 || o&(1<<k) != 0 {
			out = append(out, k)
		}
	}
	return out
}

// String renders the set as --ops takes it: "all", "+mremap", or a list.
func (o OpSet) String() string {
	if o == 0 {
		return "all"
	}
	var parts []string
	plus := ""
	if o&DefaultOps == DefaultOps && o != DefaultOps {
		o &^= DefaultOps
		plus = "+"
	}
	for _, k := range OpKinds() {
		if o&(1<<k) != 0 {
			parts = append(parts, plus+k.String())
		}
	}
	return strings.Join(parts, ",")
}

// DefaultScope is the scope of `anoncheck` with no scope flags.
func DefaultScope() Scope {
	return Scope{Pages: 2, Procs: 2, Prots: []Prot{ProtRead, ProtRead | ProtWrite},
		Advices: ForkAdvices()}
}

// Validate checks the scope against the capacities of the flat state.
func (sc *Scope) Validate() error {
	if sc.Pages < 1 || sc.Pages > state.MaxSlots {
		return fmt.Errorf("--pages %d: must be between 1 and %d", sc.Pages, state.MaxSlots)
	}
	if sc.Procs < 1 || sc.Procs > state.MaxProcs {
		return fmt.Errorf("--procs %d: must be between 1 and %d", sc.Procs, state.MaxProcs)
	}
	if sc.Pages*sc.Procs > state.MaxVMAs {
		return fmt.Errorf("--pages %d with --procs %d: up to %d VMAs, more than the %d the state holds; lower one of them",
			sc.Pages, sc.Procs, sc.Pages*sc.Procs, state.MaxVMAs)
	}
	if len(sc.Prots) == 0 {
		return fmt.Errorf("--prots: at least one protection is needed")
	}
	if sc.FailAlloc < 0 || sc.FailAlloc > MaxFailAlloc {
		return fmt.Errorf("--fail-alloc %d: must be between 0 and %d", sc.FailAlloc, MaxFailAlloc)
	}
	return nil
}

// MaxFailAlloc is the largest --fail-alloc: the state counts a trace's
// failed allocations in a byte, and every failure multiplies the space.
const MaxFailAlloc = 8

// String renders the scope as reports print it: "pages=2 procs=2
// prots=r,rw", with " ops=..." when the operation kinds are not the
// default, " advices=..." when the advices are not, and " fail-alloc=N"
// when allocations may fail.
func (sc *Scope) String() string {
	s := fmt.Sprintf("pages=%d procs=%d prots=%s", sc.Pages, sc.Procs, sc.ProtsString())
	if sc.Ops != 0 {
		s += " ops=" + sc.Ops.String()
	}
	if a := AdvicesString(sc.Advices); a != "fork" {
		s += " advices=" + a
	}
	if sc.FailAlloc != 0 {
		s += fmt.Sprintf(" fail-alloc=%d", sc.FailAlloc)
	}
	return s
}

// ProtsString renders the protections as --prots takes them.
func (sc *Scope) ProtsString() string {
	var parts []string
	for _, p := range sc.Prots {
		parts = append(parts, p.String())
	}
	return strings.Join(parts, ",")
}

// Initial is the state before setup: process P1 with an empty address
// space.
func Initial() state.State {
	var s state.State
	s.MMs[0].Live = 1
	return s
}

// Actions appends to buf the operations enabled in s, as encoded action
// ids. With setup, only process P1's mmap, write, mprotect, madvise and
// munmap: the operations that build one-process layouts (mremap is
// not one of them: its moves are explored as operations, after setup). Only the kinds in
// sc.Ops are enabled, except that setup may always mmap. Operations whose
// only effect is an error return (a write that would be SIGSEGV or takes no
// fault, mprotect/madvise/munmap of a range with nothing mapped) are left
// out; they do not change the state.
func (sc *Scope) Actions(s *state.State, setup bool, buf []uint32) []uint32 {
	procs := sc.Procs
	if setup {
		procs = 1
	}
	n := uint8(sc.Pages)
	mmap := setup || sc.Ops.Has(OpMmap)
	write, mprotect, madvise, munmap := sc.Ops.Has(OpWrite), sc.Ops.Has(OpMprotect), sc.Ops.Has(OpMadvise), sc.Ops.Has(OpMunmap)
	mremap := !setup && sc.Ops.Has(OpMremap)
	for pi := 0; pi < procs; pi++ {
		if s.MMs[pi].Live == 0 {
			continue
		}
		p := uint8(pi)
		var mapped [state.MaxSlots]bool
		for a := uint8(0); a < n; a++ {
			v := s.FindVMA(pi, a)
			if v == state.NoVMA {
				continue
			}
			mapped[a] = true
			vv := s.VMA(v)
			pte := s.PT[pi][a]
			if write && vv.Flags&state.VMWrite != 0 && (pte.Page() == state.NoPage || !pte.Writable()) {
				buf = append(buf, Op{Kind: OpWrite, Proc: p, Start: a}.Encode())
			}
		}
		for a := uint8(0); a < n; a++ {
			any := false
			for b := a + 1; b <= n; b++ {
				any = any || mapped[b-1]
				if mmap {
					for _, pr := range sc.Prots {
						buf = append(buf, Op{Kind: OpMmap, Proc: p, Start: a, End: b, Arg: uint8(pr)}.Encode())
					}
				}
				if mprotect && mapped[a] {
					for _, pr := range sc.Prots {
						buf = append(buf, Op{Kind: OpMprotect, Proc: p, Start: a, End: b, Arg: uint8(pr)}.Encode())
					}
				}
				if any && madvise {
					for _, ad := range sc.Advices {
						buf = append(buf, Op{Kind: OpMadvise, Proc: p, Start: a, End: b, Arg: uint8(ad)}.Encode())
					}
				}
				if any && munmap {
					buf = append(buf, Op{Kind: OpMunmap, Proc: p, Start: a, End: b}.Encode())
				}
				if mremap && mapped[a] {
					buf = remapActions(buf, p, a, b, n)
				}
			}
		}
		if !setup {
			if sc.Ops.Has(OpFork) && freeProc(s, sc) >= 0 {
				buf = append(buf, Op{Kind: OpFork, Proc: p}.Encode())
			}
			if sc.Ops.Has(OpExit) {
				buf = append(buf, Op{Kind: OpExit, Proc: p}.Encode())
			}
		}
	}
	return buf
}

// Actions appends to buf the operations sc enables in s (Scope.Actions)
// and, after setup, while the trace may still make an allocation fail
// (s.FailedAllocs below sc.FailAlloc), each of them once more for every
// allocation of an anon_vma, anon_vma_chain, vm_area_struct or maple nodes it makes
// in s (Allocations), with that allocation failing (Op.Fail 1, 2, ...):
// the failure is a choice of the explorer's like any other, taken at
// every allocation point. Setup never fails: the initial layouts are
// those of a run without --fail-alloc.
func (k *Kernel) Actions(sc *Scope, s *state.State, setup bool, buf []uint32) []uint32 {
	buf = sc.Actions(s, setup, buf)
	if setup || int(s.FailedAllocs) >= sc.FailAlloc {
		return buf
	}
	n := len(buf)
	for i := 0; i < n; i++ {
		op := DecodeOp(buf[i])
		for f, m := 1, min(k.Allocations(op, s, sc), MaxFail(op.Kind)); f <= m; f++ {
			buf = append(buf, op.WithFail(uint8(f)).Encode())
		}
	}
	return buf
}

// Enabled reports whether op is an action Kernel.Actions enables in s,
// given acts, what sc.Actions(s, setup) returns: one of acts, and, with an
// injected failure, after setup, while the budget lasts and when op makes
// at least op.Fail allocations in s. It counts that operation's
// allocations alone, not every enabled operation's.
func (k *Kernel) Enabled(sc *Scope, s *state.State, setup bool, op Op, acts []uint32) bool {
	base := op.WithFail(0)
	a := base.Encode()
	found := false
	for _, x := range acts {
		if x == a {
			found = true
			break
		}
	}
	if !found || op.Fail == 0 {
		return found
	}
	return !setup && int(s.FailedAllocs) < sc.FailAlloc && k.Allocations(base, s, sc) >= int(op.Fail)
}
