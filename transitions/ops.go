package transitions

import (
	"fmt"
	"strings"

	"anoncheck/state"
)

// EFAULT stands for the SIGSEGV a write to an unmapped or read-only
// address gets; the state does not change.
const EFAULT = -14

// Prot is an mmap/mprotect protection (PROT_READ, PROT_WRITE, PROT_EXEC).
type Prot uint8

// The protection bits.
const (
	ProtRead  Prot = 1
	ProtWrite Prot = 2
	ProtExec  Prot = 4
)

// Flags returns calc_vm_prot_bits(prot).
func (p Prot) Flags() state.Flags {
	var f state.Flags
	if p&ProtRead != 0 {
		f |= state.VMRead
	}
	if p&ProtWrite != 0 {
		f |= state.VMWrite
	}
	if p&ProtExec != 0 {
		f |= state.VMExec
	}
	return f
}

// String renders a prot as scope flags spell it: "r", "rw", "none", ...
func (p Prot) String() string {
	if p == 0 {
		return "none"
	}
	var b strings.Builder
	if p&ProtRead != 0 {
		b.WriteByte('r')
	}
	if p&ProtWrite != 0 {
		b.WriteByte('w')
	}
	if p&ProtExec != 0 {
		b.WriteByte('x')
	}
	return b.String()
}

// C renders a prot as C source: "PROT_READ|PROT_WRITE".
func (p Prot) C() string {
	if p == 0 {
		return "PROT_NONE"
	}
	var parts []string
	if p&ProtRead != 0 {
		parts = append(parts, "PROT_READ")
	}
	if p&ProtWrite != 0 {
		parts = append(parts, "PROT_WRITE")
	}
	if p&ProtExec != 0 {
		parts = append(parts, "PROT_EXEC")
	}
	return strings.Join(parts, "|")
}

// ParseProt parses "none", "r", "rw", "rx", "rwx", "w", "x", "wx".
func ParseProt(s string) (Prot, error) {
	if s == "none" {
		return 0, nil
	}
	var p Prot
	for _, c := range s {
		var bit Prot
		switch c {
		case 'r':
			bit = ProtRead
		case 'w':
			bit = ProtWrite
		case 'x':
			bit = ProtExec
		default:
			return 0, fmt.Errorf("bad protection %q: use none or letters from r, w, x (e.g. r, rw, rx)", s)
		}
		if p&bit != 0 {
			return 0, fmt.Errorf("bad protection %q: %c given twice", s, c)
		}
		p |= bit
	}
	if p == 0 {
		return 0, fmt.Errorf("empty protection: use none, r, rw, ...")
	}
	return p, nil
}

// Advice is a madvise() advice: one of the four that change VMA flags for
// fork, or MADV_DONTNEED, which zaps the pages of the range.
type Advice uint8

// The modelled advices.
const (
	MadvDontFork   Advice = iota // MADV_DONTFORK
	MadvDoFork                   // MADV_DOFORK
	MadvWipeOnFork               // MADV_WIPEONFORK
	MadvKeepOnFork               // MADV_KEEPONFORK
	MadvDontNeed                 // MADV_DONTNEED (opt-in: --advices)
	numAdvices
)

var adviceNames = [numAdvices]string{"MADV_DONTFORK", "MADV_DOFORK", "MADV_WIPEONFORK", "MADV_KEEPONFORK", "MADV_DONTNEED"}

// Advices lists every modelled advice in order.
func Advices() []Advice { return upTo(numAdvices) }

func (a Advice) String() string {
	if a < numAdvices {
		return adviceNames[a]
	}
	return fmt.Sprintf("MADV_%d", a)
}

// OpKind is a user-level operation: one system call or fault.
type OpKind uint8

// The user-level operations.
const (
	OpMmap     OpKind = iota + 1 // mmap(MAP_FIXED|MAP_PRIVATE|MAP_ANONYMOUS)
	OpWrite                      // a write to one page: a write fault when the PTE is absent or read-only
	OpMprotect                   // mprotect
	OpMadvise                    // madvise with a fork-related advice
	OpMunmap                     // munmap
	OpFork                       // fork
	OpExit                       // exit of the process
	OpMremap                     // mremap (opt-in: --ops +mremap)
	numOpKinds
)

// ArgKind says which arguments an operation kind takes besides its
// process.
type ArgKind uint8

// The argument shapes.
const (
	ArgNone        ArgKind = iota // fork, exit
	ArgPage                       // write: one page slot, in Start
	ArgRange                      // munmap: [Start, End)
	ArgRangeProt                  // mmap, mprotect: [Start, End) and a Prot in Arg
	ArgRangeAdvice                // madvise: [Start, End) and an Advice in Arg
	ArgRemap                      // mremap: [Start, End) to [To, ToEnd) with MremapFlags in Arg
)

// OpInfo describes an operation kind: the one place its name (in --ops,
// traces and trace files), its arguments and its C spelling are written.
type OpInfo struct {
	Name string  // "mprotect"
	Args ArgKind // the arguments it takes
	C    string  // the operation code in the C reproducer: "OP_MPROTECT"
}

var opInfo = [numOpKinds]OpInfo{
	OpMmap:     {"mmap", ArgRangeProt, "OP_MMAP"},
	OpWrite:    {"write", ArgPage, "OP_WRITE"},
	OpMprotect: {"mprotect", ArgRangeProt, "OP_MPROTECT"},
	OpMadvise:  {"madvise", ArgRangeAdvice, "OP_MADVISE"},
	OpMunmap:   {"munmap", ArgRange, "OP_MUNMAP"},
	OpFork:     {"fork", ArgNone, "OP_FORK"},
	OpExit:     {"exit", ArgNone, "OP_EXIT"},
	OpMremap:   {"mremap", ArgRemap, "OP_MREMAP"},
}

// OpKinds lists the operation kinds in order.
func OpKinds() []OpKind {
	out := make([]OpKind, 0, numOpKinds-1)
	for k := OpMmap; k < numOpKinds; k++ {
		out = append(out, k)
	}
	return out
}

// Info describes the kind; an unknown kind has an empty name.
func (k OpKind) Info() OpInfo {
	if k < numOpKinds {
		return opInfo[k]
	}
	return OpInfo{}
}

// String is the kind's name: "mprotect".
func (k OpKind) String() string {
	if n := k.Info().Name; n != "" {
		return n
	}
	return fmt.Sprintf("op%d", uint8(k))
}

// ParseOpKind finds an operation kind by name.
func ParseOpKind(name string) (OpKind, bool) {
	for k := OpMmap; k < numOpKinds; k++ {
		if opInfo[k].Name == name {
			return k, true
		}
	}
	return 0, false
}

// Op is one user-level operation of process Proc on pages [Start, End)
// (Start alone for OpWrite), with a Prot, an Advice or MremapFlags in Arg.
// An mremap moves or resizes [Start, End) to [To, ToEnd); the other kinds
// leave To and ToEnd zero. Fail, when not 0, makes the operation's
// Fail-th allocation of an anon_vma, anon_vma_chain or vm_area_struct
// (or, in 6.x, of maple-tree nodes) fail, counted in the order the kernel code allocates (--fail-alloc): the
// kernel takes its own unwind path from there.
type Op struct {
	Kind       OpKind
	Proc       uint8
	Start, End uint8
	Arg        uint8
	To, ToEnd  uint8
	Fail       uint8
}

// Encode packs an Op into the opaque action id the explorer stores: kind
// in bits 0-3, process 4-5, start 8-11, end 16-23 and the argument (below
// 16) 24-27; an mremap packs its four addresses into a nibble each (page
// slots are at most state.MaxSlots, 8): start 8-11, end 12-15, to 16-19,
// to_end 20-23. Fail takes bits 28-31 (its low four bits) and 6-7 (the
// next two), and, but for an mremap, 12-13 (the top two): MaxFail(kind).
// Every field but Fail is where it was before Fail existed, and Fail's
// bits are 0 without an injected failure, so every other action keeps
// its id.
func (o Op) Encode() uint32 {
	f := uint32(o.Fail)
	a := uint32(o.Kind)&0xf | uint32(o.Proc&0x3)<<4 | uint32(o.Arg&0xf)<<24 | (f&0xf)<<28 | (f>>4&0x3)<<6
	if o.Kind == OpMremap {
		return a | uint32(o.Start&0xf)<<8 | uint32(o.End&0xf)<<12 | uint32(o.To&0xf)<<16 | uint32(o.ToEnd&0xf)<<20
	}
	return a | uint32(o.Start&0xf)<<8 | (f>>6&0x3)<<12 | uint32(o.End)<<16
}

// DecodeOp unpacks an action id.
func DecodeOp(a uint32) Op {
	o := Op{Kind: OpKind(a & 0xf), Proc: uint8(a>>4) & 0x3, Start: uint8(a>>8) & 0xf, Arg: uint8(a>>24) & 0xf,
		Fail: uint8(a>>28) | uint8(a>>6)&0x3<<4}
	if o.Kind == OpMremap {
		o.End, o.To, o.ToEnd = uint8(a>>12)&0xf, uint8(a>>16)&0xf, uint8(a>>20)&0xf
		return o
	}
	o.End = uint8(a >> 16)
	o.Fail |= uint8(a>>12) & 0x3 << 6
	return o
}

// MaxFail is the largest allocation number Op.Fail can name for an
// operation of kind k: 255, or 63 for an mremap, whose addresses leave
// fewer bits. No modelled operation makes as many allocations within the
// state's capacities (a fork at most MaxSlots*(MaxChain+3), an mremap a
// copy_vma() and four splits of at most MaxChain+1 each); Kernel.Actions
// enumerates no more than these.
func MaxFail(k OpKind) int {
	if k == OpMremap {
		return 63
	}
	return 255
}

// WithFail returns the operation with its n-th allocation failing (0: none).
func (o Op) WithFail(n uint8) Op { o.Fail = n; return o }

// ProcName is the process name of slot p in traces: P1, P2, ...
func ProcName(p uint8) string { return fmt.Sprintf("P%d", p+1) }

// args renders the operation's arguments after its process: "[1,2), r",
// "0", or "" for none.
func (o Op) args() string {
	switch o.Kind.Info().Args {
	case ArgPage:
		return fmt.Sprint(o.Start)
	case ArgRange:
		return fmt.Sprintf("[%d,%d)", o.Start, o.End)
	case ArgRangeProt:
		return fmt.Sprintf("[%d,%d), %s", o.Start, o.End, Prot(o.Arg))
	case ArgRangeAdvice:
		return fmt.Sprintf("[%d,%d), %s", o.Start, o.End, Advice(o.Arg))
	case ArgRemap:
		s := fmt.Sprintf("[%d,%d) -> [%d,%d)", o.Start, o.End, o.To, o.ToEnd)
		if o.Arg != 0 {
			s += ", " + MremapFlags(o.Arg).String()
		}
		return s
	}
	return ""
}

// String renders the operation as a system call: "mprotect(P2, [1,2), r)";
// one with an injected allocation failure says which: "fork(P1) with
// allocation 3 failing".
func (o Op) String() string {
	s := o.Syscall()
	if o.Fail != 0 {
		s += fmt.Sprintf(" with allocation %d failing", o.Fail)
	}
	return s
}

// Syscall renders the operation as a system call without its injected
// failure: "mprotect(P2, [1,2), r)".
func (o Op) Syscall() string {
	if a := o.args(); a != "" {
		return fmt.Sprintf("%s(%s, %s)", o.Kind, ProcName(o.Proc), a)
	}
	return fmt.Sprintf("%s(%s)", o.Kind, ProcName(o.Proc))
}

// Call renders the operation as a call without its process:
// "mprotect([0,1), r)", "fork()".
func (o Op) Call() string { return fmt.Sprintf("%s(%s)", o.Kind, o.args()) }

// CArg renders the operation's argument as C: a PROT_ or MADV_ constant,
// or 0.
func (o Op) CArg() string {
	switch o.Kind.Info().Args {
	case ArgRangeProt:
		return Prot(o.Arg).C()
	case ArgRangeAdvice:
		return Advice(o.Arg).String()
	case ArgRemap:
		return MremapFlags(o.Arg).C()
	}
	return "0"
}

// Result is what applying an operation did: its return value, the
// process a fork created, and the allocation that failed by injection.
type Result struct {
	Errno int
	Child int // the new process slot of a fork, -1 otherwise (a fork that failed)
	// Injected is the allocation Op.Fail made fail (AllocNone without),
	// and InjectedNth its number among the operation's allocations from
	// the same slab cache (AllocSite.Cache).
	Injected    AllocSite
	InjectedNth int
}

// Apply performs op on k.S through the modelled kernel functions. An op
// that the state cannot take (a dead process, a fork with no free process
// slot, an address outside the address space) returns an error and leaves
// the state unchanged; replay reports it.
func (k *Kernel) Apply(op Op, sc *Scope) (Result, error) {
	res := Result{Child: -1}
	p := int(op.Proc)
	if p >= sc.Procs || p >= state.MaxProcs {
		return res, fmt.Errorf("%s: process %s is outside the scope (%d processes)", op, ProcName(op.Proc), sc.Procs)
	}
	if k.S.MMs[p].Live == 0 {
		return res, fmt.Errorf("%s: process %s does not exist", op, ProcName(op.Proc))
	}
	if op.Kind == 0 || op.Kind >= numOpKinds {
		return res, fmt.Errorf("unknown operation kind %d", op.Kind)
	}
	switch op.Kind {
	case OpMmap, OpMprotect, OpMadvise, OpMunmap, OpMremap:
		if op.Start >= op.End || int(op.End) > sc.Pages {
			return res, fmt.Errorf("%s: range outside the address space [0,%d)", op, sc.Pages)
		}
	case OpWrite:
		if int(op.Start) >= sc.Pages {
			return res, fmt.Errorf("%s: page outside the address space [0,%d)", op, sc.Pages)
		}
	}
	if op.Kind == OpMadvise && Advice(op.Arg) >= numAdvices {
		return res, fmt.Errorf("%s: unknown advice", op)
	}
	if op.Kind == OpMremap {
		if err := op.checkRemap(sc); err != nil {
			return res, err
		}
	}
	if op.Kind == OpMmap || op.Kind == OpMprotect {
		if op.Arg > uint8(ProtRead|ProtWrite|ProtExec) {
			return res, fmt.Errorf("%s: bad protection %d", op, op.Arg)
		}
	}
	if !k.F.Sys.Supports(op.Kind) {
		return res, fmt.Errorf("%s: this kernel has no such operation", op)
	}
	var before state.State
	if op.Fail != 0 {
		if int(k.S.FailedAllocs) >= sc.FailAlloc {
			return res, fmt.Errorf("%s: the trace has made %d allocation(s) fail, all that the scope allows (fail-alloc %d)",
				op, k.S.FailedAllocs, sc.FailAlloc)
		}
		before = *k.S
	}
	if k.Rec != nil {
		k.Rec.Reset()
	}
	k.failAt, k.allocs, k.injected, k.cacheAllocs = op.Fail, 0, AllocNone, [numCaches]uint8{}
	k.coverOp(op.Kind)
	sys := &k.F.Sys
	switch op.Kind {
	case OpMmap:
		res.Errno = k.run(func() int { return sys.Mmap(k, p, op.Start, op.End, Prot(op.Arg)) })
	case OpWrite:
		res.Errno = k.run(func() int { return sys.Write(k, p, op.Start) })
	case OpMprotect:
		res.Errno = k.run(func() int { return sys.Mprotect(k, p, op.Start, op.End, Prot(op.Arg)) })
	case OpMadvise:
		res.Errno = k.run(func() int { return sys.Madvise(k, p, op.Start, op.End, Advice(op.Arg)) })
	case OpMunmap:
		res.Errno = k.run(func() int { return sys.Munmap(k, p, op.Start, op.End) })
	case OpFork:
		c := freeProc(k.S, sc)
		if c < 0 {
			return res, fmt.Errorf("%s: no free process slot (scope has %d processes)", op, sc.Procs)
		}
		res.Child = c
		res.Errno = k.run(func() int { return sys.Fork(k, p, c) })
	case OpExit:
		res.Errno = k.run(func() int { sys.Exit(k, p); return 0 })
	case OpMremap:
		res.Errno = k.run(func() int { return sys.Mremap(k, p, op.Start, op.End, op.To, op.ToEnd, MremapFlags(op.Arg)) })
	}
	k.failAt = 0 // kernel functions called outside Apply (tests) allocate normally
	if op.Fail != 0 && k.injected == AllocNone {
		// The operation made fewer allocations than op.Fail: nothing
		// failed, and the operation is not one the explorer takes.
		n := k.allocs
		*k.S = before
		return Result{Child: -1}, fmt.Errorf("%s: the operation makes %d allocation(s) of anon_vma, anon_vma_chain, vm_area_struct or maple nodes in this state, so allocation %d cannot fail",
			op, n, op.Fail)
	}
	res.Injected, res.InjectedNth = k.injected, int(k.injectedNth)
	if op.Kind == OpFork && res.Errno != 0 && res.Errno != EOOPS {
		res.Child = -1 // copy_process() failed: no child
	}
	return res, nil
}

// LastAllocations returns how many allocations of anon_vma,
// anon_vma_chain and vm_area_struct the last operation Apply ran made,
// each of which Op.Fail may make fail.
func (k *Kernel) LastAllocations() int { return int(k.allocs) }

// Allocations returns how many allocations of anon_vma, anon_vma_chain
// and vm_area_struct op makes in state s, each of which Op.Fail may make
// fail, counted on a scratch copy of s: s, the recorder and coverage are
// untouched. It returns 0 for an operation Apply refuses.
func (k *Kernel) Allocations(op Op, s *state.State, sc *Scope) int {
	if k.scratch == nil {
		k.scratch = new(state.State)
	}
	saveS, saveRec, saveCov := k.S, k.Rec, k.Cov
	*k.scratch = *s
	k.S, k.Rec, k.Cov = k.scratch, nil, nil
	op.Fail = 0
	_, err := k.Apply(op, sc)
	n := int(k.allocs)
	k.S, k.Rec, k.Cov = saveS, saveRec, saveCov
	if err != nil {
		return 0
	}
	return n
}

// freeProc returns the lowest free process slot within the scope, or -1.
func freeProc(s *state.State, sc *Scope) int {
	for c := 0; c < sc.Procs && c < state.MaxProcs; c++ {
		if s.MMs[c].Live == 0 {
			return c
		}
	}
	return -1
}
