// Package scenariotest drives a generation's function table through
// Kernel.Apply one user-level operation at a time, for the scenario tests
// of transitions/v5 and transitions/v6: after each operation it requires
// the return value asked for, no BUG, WARN or capacity overflow, and the
// invariants the kernel relies on (kernel-reference.md section 9),
// checked from scratch; its Want methods compare VMAs, chains, anon_vmas,
// PTEs and pages with what a test expects, and Layout draws an address
// space as tools/testing/vma does.
package scenariotest

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"anoncheck/state"
	"anoncheck/traces"
	"anoncheck/transitions"
)

// Protections for mmap/mprotect.
const (
	PR   = transitions.ProtRead
	PRW  = transitions.ProtRead | transitions.ProtWrite
	PRWX = transitions.ProtRead | transitions.ProtWrite | transitions.ProtExec
)

// The vm_flags the operations leave on a VMA. mmap of a writable private
// mapping charges it (VM_ACCOUNT, accountable_mapping()); mprotect keeps
// the charge when write is taken away (in v6.18 only once the VMA has an
// anon_vma).
const (
	FRW  = state.VMRead | state.VMWrite | state.VMAccount
	FRWX = FRW | state.VMExec
	FRA  = state.VMRead | state.VMAccount // r, after an mprotect from rw
)

// Env drives a function table through Kernel.Apply, one user-level
// operation at a time, and checks after each that no kernel assertion
// fired and the structural invariants the kernel relies on still hold.
// The kernel records the calls of each operation (Called).
type Env struct {
	T   *testing.T
	K   *transitions.Kernel
	S   *state.State
	Sc  transitions.Scope
	ops []string
	// moved: an mremap ran, after which a VMA keeps the page offset of
	// the address it came from (I9 no longer holds).
	moved bool
}

// New returns an Env running table f, which keeps the given counters, on
// pages page slots and procs processes, with P1's address space empty.
func New(t *testing.T, f transitions.Funcs, counters transitions.Counters, pages, procs int) *Env {
	t.Helper()
	k := transitions.New(f)
	k.Counters = counters
	k.Rec = &transitions.Recorder{}
	s := transitions.Initial()
	k.S = &s
	sc := transitions.DefaultScope()
	sc.Pages, sc.Procs = pages, procs
	sc.Prots = []transitions.Prot{PR, PRW, PRWX}
	if err := sc.Validate(); err != nil {
		t.Fatal(err)
	}
	e := &Env{T: t, K: k, S: &s, Sc: sc}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("operations:\n  %s", strings.Join(e.ops, "\n  "))
			t.Logf("state (VMA letters in this dump are slot ids: A = VMA 1):\n  %s",
				strings.Join(traces.StateLines(e.S, e.K.Counters), "\n  "))
		}
	})
	return e
}

// Called reports whether the last operation called the named kernel
// function (by the name its generation gives it, whatever its arguments).
func (e *Env) Called(name string) bool {
	for _, c := range e.K.Rec.Calls {
		if fn, _, _ := strings.Cut(c.Name, "("); fn == name {
			return true
		}
	}
	return false
}

// WantCalled requires that the last operation called each named kernel
// function.
func (e *Env) WantCalled(names ...string) {
	e.T.Helper()
	for _, n := range names {
		if !e.Called(n) {
			var calls []string
			for _, c := range e.K.Rec.Calls {
				calls = append(calls, strings.Repeat("  ", c.Depth)+c.Name)
			}
			e.T.Errorf("the last operation did not call %s; it called:\n%s", n, strings.Join(calls, "\n"))
		}
	}
}

// Apply performs op and requires the given return value, no BUG, no WARN,
// no capacity overflow, and the invariants of checkInvariants.
func (e *Env) Apply(op transitions.Op, wantErrno int) transitions.Result {
	e.T.Helper()
	res, err := e.K.Apply(op, &e.Sc)
	e.ops = append(e.ops, fmt.Sprintf("%s = %s", op, transitions.ErrnoName(res.Errno)))
	if err != nil {
		e.T.Fatalf("%s: %v", op, err)
	}
	if res.Errno != wantErrno {
		e.T.Fatalf("%s returned %s, want %s", op, transitions.ErrnoName(res.Errno), transitions.ErrnoName(wantErrno))
	}
	e.CheckClean(op.String())
	e.CheckInvariants(op.String())
	return res
}

// Mmap maps [start, end) in process p with prot (MAP_FIXED|MAP_PRIVATE|MAP_ANONYMOUS).
func (e *Env) Mmap(p, start, end int, prot transitions.Prot) {
	e.T.Helper()
	e.Apply(transitions.Op{Kind: transitions.OpMmap, Proc: uint8(p), Start: uint8(start), End: uint8(end), Arg: uint8(prot)}, 0)
}

// Write writes to page slot addr of process p.
func (e *Env) Write(p, addr int) {
	e.T.Helper()
	e.Apply(transitions.Op{Kind: transitions.OpWrite, Proc: uint8(p), Start: uint8(addr)}, 0)
}

// Mprotect changes the protection of [start, end) in process p.
func (e *Env) Mprotect(p, start, end int, prot transitions.Prot) {
	e.T.Helper()
	e.Apply(transitions.Op{Kind: transitions.OpMprotect, Proc: uint8(p), Start: uint8(start), End: uint8(end), Arg: uint8(prot)}, 0)
}

// Madvise applies a fork advice to [start, end) in process p.
func (e *Env) Madvise(p, start, end int, adv transitions.Advice) {
	e.T.Helper()
	e.Apply(transitions.Op{Kind: transitions.OpMadvise, Proc: uint8(p), Start: uint8(start), End: uint8(end), Arg: uint8(adv)}, 0)
}

// Munmap unmaps [start, end) in process p.
func (e *Env) Munmap(p, start, end int) {
	e.T.Helper()
	e.Apply(transitions.Op{Kind: transitions.OpMunmap, Proc: uint8(p), Start: uint8(start), End: uint8(end)}, 0)
}

// Fork forks process p and returns the child's slot.
func (e *Env) Fork(p int) int {
	e.T.Helper()
	res := e.Apply(transitions.Op{Kind: transitions.OpFork, Proc: uint8(p)}, 0)
	if res.Child < 0 {
		e.T.Fatalf("fork(%s) created no child", transitions.ProcName(uint8(p)))
	}
	return res.Child
}

// Exit ends process p.
func (e *Env) Exit(p int) {
	e.T.Helper()
	e.Apply(transitions.Op{Kind: transitions.OpExit, Proc: uint8(p)}, 0)
}

// The operations as values, for Fail and Allocations.

// MmapOp is mmap of [start, end) in process p with prot.
func MmapOp(p, start, end int, prot transitions.Prot) transitions.Op {
	return transitions.Op{Kind: transitions.OpMmap, Proc: uint8(p), Start: uint8(start), End: uint8(end), Arg: uint8(prot)}
}

// WriteOp is a write to page slot addr of process p.
func WriteOp(p, addr int) transitions.Op {
	return transitions.Op{Kind: transitions.OpWrite, Proc: uint8(p), Start: uint8(addr)}
}

// MprotectOp is mprotect of [start, end) in process p to prot.
func MprotectOp(p, start, end int, prot transitions.Prot) transitions.Op {
	return transitions.Op{Kind: transitions.OpMprotect, Proc: uint8(p), Start: uint8(start), End: uint8(end), Arg: uint8(prot)}
}

// MadviseOp is madvise of [start, end) in process p with a fork advice.
func MadviseOp(p, start, end int, adv transitions.Advice) transitions.Op {
	return transitions.Op{Kind: transitions.OpMadvise, Proc: uint8(p), Start: uint8(start), End: uint8(end), Arg: uint8(adv)}
}

// MunmapOp is munmap of [start, end) in process p.
func MunmapOp(p, start, end int) transitions.Op {
	return transitions.Op{Kind: transitions.OpMunmap, Proc: uint8(p), Start: uint8(start), End: uint8(end)}
}

// ForkOp is a fork of process p.
func ForkOp(p int) transitions.Op { return transitions.Op{Kind: transitions.OpFork, Proc: uint8(p)} }

// MremapOp is mremap() of [start, end) of process p to [to, toEnd) with
// the given flags.
func MremapOp(p, start, end, to, toEnd int, fl transitions.MremapFlags) transitions.Op {
	return transitions.Op{Kind: transitions.OpMremap, Proc: uint8(p), Start: uint8(start), End: uint8(end),
		To: uint8(to), ToEnd: uint8(toEnd), Arg: uint8(fl)}
}

// Allocations returns how many allocations of anon_vma, anon_vma_chain
// and vm_area_struct op makes in the current state, the numbers Fail can
// make fail; the state is not changed.
func (e *Env) Allocations(op transitions.Op) int {
	e.T.Helper()
	return e.K.Allocations(op, e.S, &e.Sc)
}

// Fail performs op with its n-th allocation failing (Op.Fail, as
// --fail-alloc explores it) and requires that that allocation was made by
// site, the return value wantErrno, no BUG, WARN or capacity overflow, and
// the invariants of CheckInvariants: every unwind must leave the kernel's
// structures consistent. The scope's budget is raised as needed.
func (e *Env) Fail(op transitions.Op, n int, site transitions.AllocSite, wantErrno int) transitions.Result {
	e.T.Helper()
	op.Fail = uint8(n)
	e.Sc.FailAlloc = max(e.Sc.FailAlloc, int(e.S.FailedAllocs)+1)
	if op.Kind == transitions.OpMremap {
		e.moved = true
	}
	res := e.Apply(op, wantErrno)
	if res.Injected != site {
		e.T.Fatalf("%s: allocation %d is %s(), want %s()", op, n, res.Injected, site)
	}
	e.WantCalled(site.String())
	return res
}

// WantFailRefused requires that op cannot have its n-th allocation fail:
// it makes fewer allocations than n in this state, and Apply refuses it
// without changing the state.
func (e *Env) WantFailRefused(op transitions.Op, n int) {
	e.T.Helper()
	op.Fail = uint8(n)
	e.Sc.FailAlloc = max(e.Sc.FailAlloc, int(e.S.FailedAllocs)+1)
	before := *e.S
	if _, err := e.K.Apply(op, &e.Sc); err == nil {
		e.T.Fatalf("%s: applied, want refused (the operation makes %d allocation(s))", op, e.Allocations(op.WithFail(0)))
	}
	if *e.S != before {
		e.T.Errorf("%s: refused, but the state changed", op)
	}
}

// WantUnchanged requires the state to equal before but for the budget
// spent (FailedAllocs): an unwind that left no trace.
func (e *Env) WantUnchanged(before state.State, what string) {
	e.T.Helper()
	after := *e.S
	after.FailedAllocs = before.FailedAllocs
	if after != before {
		e.T.Errorf("%s changed the state:\n  before %s\n  after  %s", what,
			strings.Join(traces.StateLines(&before, e.K.Counters), "\n         "),
			strings.Join(traces.StateLines(e.S, e.K.Counters), "\n         "))
	}
}

// CheckClean requires that no BUG/WARN fired and no capacity overflowed.
func (e *Env) CheckClean(after string) {
	e.T.Helper()
	if e.S.Bug != 0 {
		e.T.Fatalf("after %s: kernel BUG: %s", after, transitions.Assertion(e.S.Bug))
	}
	if e.S.Warn != 0 {
		e.T.Fatalf("after %s: kernel WARN: %s", after, transitions.Assertion(e.S.Warn))
	}
	if e.S.Overflow != 0 {
		e.T.Fatalf("after %s: model capacity overflow: %s", after, state.CapName(e.S.Overflow))
	}
}

// CheckInvariants checks, from scratch, what the kernel code relies on
// (kernel-reference.md section 9) and the bookkeeping the model keeps:
// the vm_next/vm_prev lists and map_count; pgoff = start for every private
// anonymous VMA (I9); own anon_vma on own chain (I1); one root per chain,
// the root oldest (I2, I6); the interval trees and the chains agree;
// within an mm the same anon_vma means the same chain (I3); every PTE's
// page is reachable by rmap with the right index, and is mapped
// writable only when it is mapped once (I4); mapcounts count the PTEs; the
// degree (or num_active_vmas and num_children) counts the VMAs using the
// anon_vma and its children with a non-empty tree, the self-parent link of
// a root included (I7); the
// refcount is one plus the anon_vmas it is the root of (I8); no anon_vma
// is freed but still pointed at; nothing leaks.
func (e *Env) CheckInvariants(after string) {
	e.T.Helper()
	s := e.S
	var errs []string
	bad := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	liveAV := func(a state.AVID) bool { return a != state.NoAV && s.AV(a).Status == state.AVLive }

	seen := map[state.VMAID]bool{}
	var ptes [state.MaxPages + 1]int
	for p := 0; p < state.MaxProcs; p++ {
		mm := &s.MMs[p]
		if mm.Live == 0 {
			if mm.Mmap != state.NoVMA || mm.MapCount != 0 {
				bad("dead P%d has an mm", p+1)
			}
			for a := 0; a < state.MaxSlots; a++ {
				if s.PT[p][a] != 0 {
					bad("dead P%d has a PTE at %d", p+1, a)
				}
			}
			continue
		}
		n := 0
		prev := state.NoVMA
		lastEnd := uint8(0)
		byAV := map[state.AVID][]state.AVID{}
		s.ForEachVMA(p, func(v state.VMAID) bool {
			vv := s.VMA(v)
			n++
			seen[v] = true
			if int(vv.MM) != p+1 {
				bad("VMA %d on P%d's list belongs to mm %d", v, p+1, vv.MM)
			}
			if vv.Prev != prev {
				bad("VMA %d: vm_prev %d, want %d", v, vv.Prev, prev)
			}
			if vv.Start >= vv.End || vv.Start < lastEnd || int(vv.End) > e.Sc.Pages {
				bad("VMA %d: range [%d,%d) after end %d", v, vv.Start, vv.End, lastEnd)
			}
			if vv.Pgoff != vv.Start && !e.moved {
				bad("VMA %d [%d,%d): pgoff %d, want %d (addr >> PAGE_SHIFT)", v, vv.Start, vv.End, vv.Pgoff, vv.Start)
			}
			prev, lastEnd = v, vv.End
			// I1
			if vv.AnonVMA == state.NoAV {
				if vv.NChain != 0 {
					bad("VMA %d: no anon_vma but a chain of %d", v, vv.NChain)
				}
			} else if !vv.ChainHas(vv.AnonVMA) {
				bad("VMA %d: anon_vma %d not on its chain", v, vv.AnonVMA)
			}
			for i := uint8(0); i < vv.NChain; i++ {
				a := vv.Chain[i]
				if !liveAV(a) {
					bad("VMA %d: chain entry %d (av%d) not live", v, i, a)
					continue
				}
				if !s.AV(a).InTree(v) {
					bad("VMA %d: av%d on its chain but VMA not in av%d's tree", v, a, a)
				}
				for j := uint8(0); j < i; j++ {
					if vv.Chain[j] == a {
						bad("VMA %d: av%d twice on its chain", v, a)
					}
				}
			}
			// I2, I6: one root, and it is the oldest entry.
			if vv.NChain > 0 && liveAV(vv.Chain[vv.NChain-1]) {
				root := vv.Chain[vv.NChain-1]
				if s.AV(root).Root != root {
					bad("VMA %d: oldest chain entry av%d is not a root", v, root)
				}
				for i := uint8(0); i < vv.NChain; i++ {
					if a := vv.Chain[i]; liveAV(a) && s.AV(a).Root != root {
						bad("VMA %d: av%d has root av%d, chain root is av%d", v, a, s.AV(a).Root, root)
					}
				}
			}
			// I3 within the mm
			if vv.AnonVMA != state.NoAV {
				c := slices.Sorted(slices.Values(vv.Chain[:vv.NChain]))
				if o, ok := byAV[vv.AnonVMA]; ok && !slices.Equal(o, c) {
					bad("P%d: two VMAs with anon_vma av%d have different chains %v and %v", p+1, vv.AnonVMA, o, c)
				}
				byAV[vv.AnonVMA] = c
			}
			return true
		})
		if n != int(mm.MapCount) {
			bad("P%d: map_count %d, list has %d VMAs", p+1, mm.MapCount, n)
		}
		for a := 0; a < state.MaxSlots; a++ {
			pte := s.PT[p][a]
			pg := pte.Page()
			if pg == state.NoPage {
				if pte != 0 {
					bad("P%d: PTE at %d has no page", p+1, a)
				}
				continue
			}
			ptes[pg]++
			page := s.Page(pg)
			v := s.FindVMA(p, uint8(a))
			if v == state.NoVMA {
				bad("P%d: PTE at %d outside every VMA", p+1, a)
				continue
			}
			vv := s.VMA(v)
			if page.Used == 0 {
				bad("P%d: PTE at %d maps free page %d", p+1, a, pg)
				continue
			}
			if !liveAV(page.Mapping) || !vv.ChainHas(page.Mapping) {
				bad("P%d: page %d at %d: mapping av%d not on VMA %d's chain (rmap cannot find it)", p+1, pg, a, page.Mapping, v)
			}
			if want := vv.Pgoff + (uint8(a) - vv.Start); page.Index != want {
				bad("P%d: page %d at %d: index %d, want %d", p+1, pg, a, page.Index, want)
			}
			if pte.Writable() && (vv.Flags&state.VMWrite == 0 || page.Mapcount != 1) {
				bad("P%d: page %d at %d writable with VMA flags %s and mapcount %d", p+1, pg, a, vv.Flags, page.Mapcount)
			}
		}
	}
	for i := range s.VMAs {
		if s.VMAs[i].MM != 0 && !seen[state.VMAID(i+1)] {
			bad("VMA %d is allocated but on no mm's list", i+1)
		}
	}
	for i := range s.Pages {
		pg := &s.Pages[i]
		if pg.Used == 0 {
			if ptes[i+1] != 0 {
				bad("free page %d is mapped", i+1)
			}
			continue
		}
		if int(pg.Mapcount) != ptes[i+1] || pg.Mapcount <= 0 {
			bad("page %d: mapcount %d, %d PTEs map it", i+1, pg.Mapcount, ptes[i+1])
		}
	}
	// Counters.
	var active, children, refs [state.MaxAnonVMAs + 1]int
	for i := range s.VMAs {
		if v := &s.VMAs[i]; v.MM != 0 && v.AnonVMA != state.NoAV {
			active[v.AnonVMA]++
		}
	}
	for i := range s.AnonVMAs {
		a := &s.AnonVMAs[i]
		id := state.AVID(i + 1)
		switch a.Status {
		case state.AVUnused:
			continue
		case state.AVFreed:
			bad("av%d freed but still referenced", id)
			continue
		}
		if !liveAV(a.Root) || !liveAV(a.Parent) {
			bad("av%d: root av%d or parent av%d not live", id, a.Root, a.Parent)
			continue
		}
		if a.Tree == 0 {
			bad("av%d: live with an empty interval tree", id)
		} else {
			children[a.Parent]++
		}
		if a.Root != id {
			refs[a.Root]++
		}
		for v := 1; v <= state.MaxVMAs; v++ {
			if a.InTree(state.VMAID(v)) && (s.VMAs[v-1].MM == 0 || !s.VMAs[v-1].ChainHas(id)) {
				bad("av%d: tree holds VMA %d, which is free or does not chain av%d", id, v, id)
			}
		}
	}
	for i := range s.AnonVMAs {
		a := &s.AnonVMAs[i]
		id := i + 1
		if a.Status != state.AVLive {
			continue
		}
		switch e.K.Counters {
		case transitions.CountDegree:
			if want := active[id] + children[id]; int(a.Degree) != want {
				bad("av%d: degree %d, want %d (%d VMAs use it, %d children incl. self-link)", id, a.Degree, want, active[id], children[id])
			}
		case transitions.CountChildrenActive:
			if int(a.NumActiveVMAs) != active[id] || int(a.NumChildren) != children[id] || a.Degree != 0 {
				bad("av%d: num_active_vmas %d num_children %d degree %d, want %d %d 0 (VMAs using it; children incl. self-link)",
					id, a.NumActiveVMAs, a.NumChildren, a.Degree, active[id], children[id])
			}
		}
		if want := 1 + refs[id]; int(a.Refcount) != want {
			bad("av%d: refcount %d, want %d", id, a.Refcount, want)
		}
	}
	if len(errs) > 0 {
		e.T.Fatalf("after %s: invariants broken:\n  %s", after, strings.Join(errs, "\n  "))
	}
}

// Layout draws process p's address space as tools/testing/vma does: one
// letter per page slot, the process's VMAs lettered A, B, ... in address
// order, '.' for a hole.
func (e *Env) Layout(p int) string {
	b := []byte(strings.Repeat(".", e.Sc.Pages))
	i := 0
	e.S.ForEachVMA(p, func(v state.VMAID) bool {
		vv := e.S.VMA(v)
		for a := vv.Start; a < vv.End && int(a) < len(b); a++ {
			b[a] = byte('A' + i)
		}
		i++
		return true
	})
	return string(b)
}

// WantLayout requires that process p's address space draws as want.
func (e *Env) WantLayout(p int, want string) {
	e.T.Helper()
	if got := e.Layout(p); got != want {
		e.T.Errorf("P%d layout %q, want %q", p+1, got, want)
	}
}

// VMAAt returns the VMA of process p holding page slot addr.
func (e *Env) VMAAt(p, addr int) state.VMAID {
	e.T.Helper()
	v := e.S.FindVMA(p, uint8(addr))
	if v == state.NoVMA {
		e.T.Fatalf("P%d: no VMA at %d", p+1, addr)
	}
	return v
}

// AVAt returns the anon_vma of the VMA of process p holding addr.
func (e *Env) AVAt(p, addr int) state.AVID {
	e.T.Helper()
	return e.S.VMA(e.VMAAt(p, addr)).AnonVMA
}

// WantVMA requires VMA v to be allocated with the given range, page
// offset and flags.
func (e *Env) WantVMA(v state.VMAID, start, end, pgoff int, fl state.Flags) {
	e.T.Helper()
	vv := e.S.VMA(v)
	if vv.MM == 0 {
		e.T.Errorf("VMA %d is not allocated", v)
		return
	}
	if int(vv.Start) != start || int(vv.End) != end || int(vv.Pgoff) != pgoff || vv.Flags != fl {
		e.T.Errorf("VMA %d: [%d,%d) pgoff %d %s, want [%d,%d) pgoff %d %s",
			v, vv.Start, vv.End, vv.Pgoff, vv.Flags, start, end, pgoff, fl)
	}
}

// WantVMAGone requires that VMA v was freed.
func (e *Env) WantVMAGone(v state.VMAID) {
	e.T.Helper()
	if e.S.VMA(v).MM != 0 {
		e.T.Errorf("VMA %d still allocated", v)
	}
}

// Chain returns v's anon_vma_chain, newest first.
func (e *Env) Chain(v state.VMAID) []state.AVID {
	vv := e.S.VMA(v)
	return slices.Clone(vv.Chain[:vv.NChain])
}

// WantChain checks v's ->anon_vma and its anon_vma_chain, newest first.
func (e *Env) WantChain(v state.VMAID, anonVMA state.AVID, chain ...state.AVID) {
	e.T.Helper()
	if got := e.S.VMA(v).AnonVMA; got != anonVMA {
		e.T.Errorf("VMA %d: anon_vma av%d, want av%d", v, got, anonVMA)
	}
	if got := e.Chain(v); !slices.Equal(got, chain) {
		e.T.Errorf("VMA %d: anon_vma_chain %v, want %v", v, got, chain)
	}
}

// AVWant is what WantAV expects of an anon_vma: root, parent, refcount,
// the counters (Degree for a table that keeps degree, Children and Active
// for one that keeps num_children and num_active_vmas; the others must be
// zero) and the VMAs in its interval tree.
type AVWant struct {
	Root, Parent     state.AVID
	Ref              int8
	Degree           uint8
	Children, Active uint8
	Tree             []state.VMAID
}

// WantAV compares anon_vma a with w.
func (e *Env) WantAV(a state.AVID, w AVWant) {
	e.T.Helper()
	if a == state.NoAV {
		e.T.Errorf("anon_vma is NULL, want one")
		return
	}
	av := e.S.AV(a)
	if av.Status != state.AVLive {
		e.T.Errorf("av%d: status %d, want live", a, av.Status)
		return
	}
	var tree []state.VMAID
	for v := 1; v <= state.MaxVMAs; v++ {
		if av.InTree(state.VMAID(v)) {
			tree = append(tree, state.VMAID(v))
		}
	}
	want := slices.Sorted(slices.Values(w.Tree))
	if av.Root != w.Root || av.Parent != w.Parent || av.Refcount != w.Ref || av.Degree != w.Degree ||
		av.NumChildren != w.Children || av.NumActiveVMAs != w.Active || !slices.Equal(tree, want) {
		e.T.Errorf("av%d: root av%d parent av%d refcount %d degree %d children %d active %d tree %v; "+
			"want root av%d parent av%d refcount %d degree %d children %d active %d tree %v",
			a, av.Root, av.Parent, av.Refcount, av.Degree, av.NumChildren, av.NumActiveVMAs, tree,
			w.Root, w.Parent, w.Ref, w.Degree, w.Children, w.Active, want)
	}
}

// WantAVGone requires that anon_vma a was freed and its slot released.
func (e *Env) WantAVGone(a state.AVID) {
	e.T.Helper()
	if av := e.S.AV(a); *av != (state.AnonVMA{}) {
		e.T.Errorf("av%d: still there (status %d, refcount %d, degree %d), want freed", a, av.Status, av.Refcount, av.Degree)
	}
}

// LiveAVs returns the live anon_vmas.
func (e *Env) LiveAVs() []state.AVID {
	var out []state.AVID
	for i := range e.S.AnonVMAs {
		if e.S.AnonVMAs[i].Status == state.AVLive {
			out = append(out, state.AVID(i+1))
		}
	}
	return out
}

// UsedPages counts the allocated pages.
func (e *Env) UsedPages() int {
	n := 0
	for i := range e.S.Pages {
		if e.S.Pages[i].Used != 0 {
			n++
		}
	}
	return n
}

// WantPTE requires a present PTE at addr of process p with the given write
// bit and returns its page.
func (e *Env) WantPTE(p, addr int, writable bool) state.PageID {
	e.T.Helper()
	pte := e.S.PT[p][addr]
	if pte.Page() == state.NoPage {
		e.T.Fatalf("P%d: no PTE at %d", p+1, addr)
	}
	if pte.Writable() != writable {
		e.T.Errorf("P%d: PTE at %d writable=%v, want %v", p+1, addr, pte.Writable(), writable)
	}
	return pte.Page()
}

// WantNoPTE requires that process p has no PTE at addr.
func (e *Env) WantNoPTE(p, addr int) {
	e.T.Helper()
	if pte := e.S.PT[p][addr]; pte != 0 {
		e.T.Errorf("P%d: PTE at %d maps page %d, want none", p+1, addr, pte.Page())
	}
}

// WantPage requires page pg to be allocated with the given mapping,
// index and mapcount.
func (e *Env) WantPage(pg state.PageID, mapping state.AVID, index, mapcount int) {
	e.T.Helper()
	page := e.S.Page(pg)
	if page.Used == 0 || page.Mapping != mapping || int(page.Index) != index || int(page.Mapcount) != mapcount {
		e.T.Errorf("page %d: used %d mapping av%d index %d mapcount %d; want mapping av%d index %d mapcount %d",
			pg, page.Used, page.Mapping, page.Index, page.Mapcount, mapping, index, mapcount)
	}
}
