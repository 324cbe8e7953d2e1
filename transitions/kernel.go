package transitions

import (
	"fmt"
	"strconv"
	"strings"

	"anoncheck/state"
)

// Kernel runs modelled kernel functions on one state. Every modelled kernel
// function is an entry of F, so a patch variant replaces an entry and every
// caller, through the dispatch methods below, runs the replacement. A
// Kernel is reused across transitions: set S, call Apply.
type Kernel struct {
	S *state.State
	F Funcs

	// Rec, when not nil, receives the kernel call path of each operation.
	Rec *Recorder

	// Counters selects which anon_vma counters the code maintains; the
	// accounting property reads the same setting.
	Counters Counters

	// Cov, when not nil, counts the points of the model each operation
	// reaches.
	Cov *Coverage

	// failAt, when not 0, is the allocation of the current operation that
	// fails (Op.Fail); allocs counts the operation's allocations so far
	// (allocFails), and injected is the one that failed, or AllocNone.
	failAt   uint8
	allocs   uint8
	injected AllocSite
	// cacheAllocs counts the allocations from each cache (anon_vma,
	// anon_vma_chain, vm_area_struct, maple_node) and injectedNth is the
	// failing one's number among its cache's: what failslab must be told.
	cacheAllocs [numCaches]uint8
	injectedNth uint8
	// scratch is where Allocations runs an operation to count its
	// allocations.
	scratch *state.State
}

// Counters names the anon_vma reuse accounting scheme of a kernel version.
type Counters uint8

const (
	// CountDegree is anon_vma->degree (7a3ef208e662, Linux v3.19 .. v5.19).
	CountDegree Counters = iota
	// CountChildrenActive is anon_vma->num_children and ->num_active_vmas
	// (2555283eb40d, in the v6.0-rc cycle, and the stable trees it went to).
	CountChildrenActive
)

// New returns a kernel running the given function table.
func New(f Funcs) *Kernel { return &Kernel{F: f} }

// oopsPanic unwinds an operation that hit a BUG, a NULL dereference, a
// use-after-free or a capacity limit. The cause is already in the state.
type oopsPanic struct{}

// Bug records a BUG-class assertion (the kernel would oops here) and ends
// the operation.
func (k *Kernel) Bug(a Assertion) {
	if k.S.Bug == 0 {
		k.S.Bug = uint8(a)
	}
	k.coverAssertion(a)
	if k.Rec != nil {
		k.Rec.Event(a.String())
	}
	panic(oopsPanic{})
}

// BugOn is BUG_ON/VM_BUG_ON: with CONFIG_DEBUG_VM the kernel oopses.
func (k *Kernel) BugOn(cond bool, a Assertion) {
	if cond {
		k.Bug(a)
	}
}

// WarnOn is WARN_ON/VM_WARN_ON: the kernel prints a warning and goes on.
// It returns cond, as the kernel macro does.
func (k *Kernel) WarnOn(cond bool, a Assertion) bool {
	if cond {
		if k.S.Warn == 0 {
			k.S.Warn = uint8(a)
		}
		k.coverAssertion(a)
		if k.Rec != nil {
			k.Rec.Event(a.String())
		}
	}
	return cond
}

// overflow ends the operation because the flat state has no room left.
func (k *Kernel) overflow(c uint8) {
	if k.S.Overflow == 0 {
		k.S.Overflow = c
	}
	panic(oopsPanic{})
}

// VMA dereferences a VMA pointer: NULL oopses, and so does a VMA that was
// freed (KASAN reports a use-after-free).
func (k *Kernel) VMA(id state.VMAID) *state.VMA {
	if id == state.NoVMA {
		k.Bug(BugNullDeref)
	}
	v := k.S.VMA(id)
	if v.MM == 0 {
		k.Bug(BugUseAfterFree)
	}
	return v
}

// AV dereferences an anon_vma pointer; NULL oopses, and so does a freed
// anon_vma (KASAN reports a use-after-free).
func (k *Kernel) AV(id state.AVID) *state.AnonVMA {
	if id == state.NoAV {
		k.Bug(BugNullDeref)
	}
	a := k.S.AV(id)
	if a.Status != state.AVLive {
		k.Bug(BugUseAfterFree)
	}
	return a
}

// run executes f as one user-level operation: it catches the oops of a BUG,
// then drops the slots of freed anon_vmas nothing points at any more.
func (k *Kernel) run(f func() int) (errno int) {
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(oopsPanic); !ok {
				panic(r)
			}
			errno = EOOPS
		}
		if !k.S.Faulted() {
			k.collectFreed()
		}
	}()
	return f()
}

// collectFreed releases the slot of each freed anon_vma that no live VMA,
// live anon_vma or allocated page points at. Until then the slot stays
// marked AVFreed, so a dangling pointer is visible in the state.
func (k *Kernel) collectFreed() {
	s := k.S
	var referenced uint32
	any := false
	for i := range s.AnonVMAs {
		if s.AnonVMAs[i].Status == state.AVFreed {
			any = true
		}
	}
	if !any {
		return
	}
	for i := range s.VMAs {
		v := &s.VMAs[i]
		if v.MM == 0 {
			continue
		}
		if v.AnonVMA != state.NoAV {
			referenced |= 1 << (v.AnonVMA - 1)
		}
		for j := uint8(0); j < v.NChain; j++ {
			referenced |= 1 << (v.Chain[j] - 1)
		}
	}
	for i := range s.AnonVMAs {
		a := &s.AnonVMAs[i]
		if a.Status != state.AVLive {
			continue
		}
		if a.Parent != state.NoAV {
			referenced |= 1 << (a.Parent - 1)
		}
		if a.Root != state.NoAV {
			referenced |= 1 << (a.Root - 1)
		}
	}
	for i := range s.Pages {
		if s.Pages[i].Used != 0 && s.Pages[i].Mapping != state.NoAV {
			referenced |= 1 << (s.Pages[i].Mapping - 1)
		}
	}
	for i := range s.AnonVMAs {
		if s.AnonVMAs[i].Status == state.AVFreed && referenced&(1<<i) == 0 {
			s.AnonVMAs[i] = state.AnonVMA{}
		}
	}
}

// Errno values the modelled syscalls return (negated, as in the kernel).
const (
	EOK    = 0
	ENOMEM = -12
	EINVAL = -22
	EAGAIN = -11
	// EOOPS is not an errno: the operation ended in a kernel oops.
	EOOPS = -1000
	// VMFaultOOM is not an errno either: a fault handler returned
	// VM_FAULT_OOM (anon_vma_prepare() failed). The kernel's
	// pagefault_out_of_memory() then lets the task retry the access (a
	// later write step) unless the OOM killer ends a process (an exit
	// step).
	VMFaultOOM = -1001
)

// ErrnoName renders an errno for traces.
func ErrnoName(e int) string {
	switch e {
	case EOK:
		return "0"
	case ENOMEM:
		return "-ENOMEM"
	case EINVAL:
		return "-EINVAL"
	case EAGAIN:
		return "-EAGAIN"
	case EFAULT:
		return "-EFAULT"
	case EOOPS:
		return "oops"
	case VMFaultOOM:
		return "VM_FAULT_OOM"
	}
	return fmt.Sprint(e)
}

// Recorder collects the kernel functions an operation called, as a tree
// flattened into (depth, text) events, plus the assertions that fired. A
// call's text names the objects it was called on ("unlink_anon_vmas(C)",
// "anon_vma_clone(dst=D, src=B) reuses av2") as the traces' drawings name
// them: the kernel functions run on the state the traces draw (each step's
// raw state), so a VMA, anon_vma, page or process has the same slot, and
// the same name, in both.
type Recorder struct {
	Calls []Call
	depth int
}

// Call is one recorded kernel function call or assertion.
type Call struct {
	Depth int
	Name  string // the call with its arguments and what it did, or "!! " and an assertion
}

// Enter records a call of the named kernel function.
func (r *Recorder) Enter(name string) {
	r.Calls = append(r.Calls, Call{Depth: r.depth, Name: name})
	r.depth++
}

// Leave ends the innermost call.
func (r *Recorder) Leave() { r.depth-- }

// Event records an assertion hit inside the current call.
func (r *Recorder) Event(what string) {
	r.Calls = append(r.Calls, Call{Depth: r.depth, Name: "!! " + what})
}

// Args adds the arguments to the call Enter recorded last, which must be
// the innermost and have recorded nothing inside it yet, and returns that
// call's index for Result.
func (r *Recorder) Args(args ...string) int {
	i := len(r.Calls) - 1
	r.Calls[i].Name += "(" + strings.Join(args, ", ") + ")"
	return i
}

// Result adds what call i returned or did: "-> av2", "reuses av2".
func (r *Recorder) Result(i int, what string) { r.Calls[i].Name += " " + what }

// Reset empties the recorder for the next operation.
func (r *Recorder) Reset() { r.Calls = r.Calls[:0]; r.depth = 0 }

// Enter records a call of kernel function f when a Recorder is attached,
// under the name the generation's kernel gives it (Funcs.Names), and
// counts it when coverage is. The dispatch methods call it and then, only
// when a Recorder is attached, name the arguments (Recorder.Args), so that
// a transition without one formats nothing; a variant calls it for a
// kernel function whose signature the table does not have (a patch that
// adds a parameter), with a deferred Leave.
func (k *Kernel) Enter(f Fn) {
	k.Cover(f)
	if k.Rec != nil {
		k.Rec.Enter(k.F.Name(f))
	}
}

// Leave ends the call Enter recorded.
func (k *Kernel) Leave() {
	if k.Rec != nil {
		k.Rec.Leave()
	}
}

// Arguments of recorded calls. VMAs and anon_vmas are named by
// state.VMAID.Name and state.AVID.Name; these name the rest as the traces'
// drawings do.

// argRange renders a range of page slots: "[0,2)".
func argRange(start, end uint8) string {
	return "[" + strconv.Itoa(int(start)) + "," + strconv.Itoa(int(end)) + ")"
}

// argSlot renders a page slot (an address): "1".
func argSlot(a uint8) string { return strconv.Itoa(int(a)) }

// argPage renders a page: "pg1".
func argPage(pg state.PageID) string { return "pg" + strconv.Itoa(int(pg)) }

// argMM renders a process's mm: "P1".
func argMM(mm int) string { return ProcName(uint8(mm)) }

// argFlags renders vm_flags by their protection: "rw-".
func argFlags(fl state.Flags) string { return strings.Fields(fl.String())[0] }
