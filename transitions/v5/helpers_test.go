package v5_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"anoncheck/state"
	"anoncheck/traces"
	"anoncheck/transitions"
	v5 "anoncheck/transitions/v5"
)

// Protections for mmap/mprotect.
const (
	pR   = transitions.ProtRead
	pRW  = transitions.ProtRead | transitions.ProtWrite
	pRWX = transitions.ProtRead | transitions.ProtWrite | transitions.ProtExec
)

// The vm_flags the operations leave on a VMA. mmap of a writable private
// mapping charges it (VM_ACCOUNT, accountable_mapping()); mprotect keeps
// the charge when write is taken away (mprotect_fixup() never unaccounts).
const (
	fRW  = state.VMRead | state.VMWrite | state.VMAccount
	fRWX = fRW | state.VMExec
	fRA  = state.VMRead | state.VMAccount // r, after an mprotect from rw
)

// env drives the v5.4 model through Kernel.Apply, one user-level operation
// at a time, and checks after each that no kernel assertion fired and the
// structural invariants the kernel relies on still hold.
type env struct {
	t   *testing.T
	k   *transitions.Kernel
	s   *state.State
	sc  transitions.Scope
	ops []string
}

func newEnv(t *testing.T, pages, procs int) *env {
	t.Helper()
	k := transitions.New(v5.V54())
	s := transitions.Initial()
	k.S = &s
	sc := transitions.DefaultScope()
	sc.Pages, sc.Procs = pages, procs
	sc.Prots = []transitions.Prot{pR, pRW, pRWX}
	if err := sc.Validate(); err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, k: k, s: &s, sc: sc}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("operations:\n  %s", strings.Join(e.ops, "\n  "))
			t.Logf("state (VMA letters in this dump are slot ids: A = VMA 1):\n  %s",
				strings.Join(traces.StateLines(e.s, e.k.Counters), "\n  "))
		}
	})
	return e
}

// apply performs op and requires the given return value, no BUG, no WARN,
// no capacity overflow, and the invariants of checkInvariants.
func (e *env) apply(op transitions.Op, wantErrno int) transitions.Result {
	e.t.Helper()
	res, err := e.k.Apply(op, &e.sc)
	e.ops = append(e.ops, fmt.Sprintf("%s = %s", op, transitions.ErrnoName(res.Errno)))
	if err != nil {
		e.t.Fatalf("%s: %v", op, err)
	}
	if res.Errno != wantErrno {
		e.t.Fatalf("%s returned %s, want %s", op, transitions.ErrnoName(res.Errno), transitions.ErrnoName(wantErrno))
	}
	e.checkClean(op.String())
	e.checkInvariants(op.String())
	return res
}

func (e *env) mmap(p, start, end int, prot transitions.Prot) {
	e.t.Helper()
	e.apply(transitions.Op{Kind: transitions.OpMmap, Proc: uint8(p), Start: uint8(start), End: uint8(end), Arg: uint8(prot)}, 0)
}

func (e *env) write(p, addr int) {
	e.t.Helper()
	e.apply(transitions.Op{Kind: transitions.OpWrite, Proc: uint8(p), Start: uint8(addr)}, 0)
}

func (e *env) mprotect(p, start, end int, prot transitions.Prot) {
	e.t.Helper()
	e.apply(transitions.Op{Kind: transitions.OpMprotect, Proc: uint8(p), Start: uint8(start), End: uint8(end), Arg: uint8(prot)}, 0)
}

func (e *env) madvise(p, start, end int, adv transitions.Advice) {
	e.t.Helper()
	e.apply(transitions.Op{Kind: transitions.OpMadvise, Proc: uint8(p), Start: uint8(start), End: uint8(end), Arg: uint8(adv)}, 0)
}

func (e *env) munmap(p, start, end int) {
	e.t.Helper()
	e.apply(transitions.Op{Kind: transitions.OpMunmap, Proc: uint8(p), Start: uint8(start), End: uint8(end)}, 0)
}

// fork forks process p and returns the child's slot.
func (e *env) fork(p int) int {
	e.t.Helper()
	res := e.apply(transitions.Op{Kind: transitions.OpFork, Proc: uint8(p)}, 0)
	if res.Child < 0 {
		e.t.Fatalf("fork(%s) created no child", transitions.ProcName(uint8(p)))
	}
	return res.Child
}

func (e *env) exit(p int) {
	e.t.Helper()
	e.apply(transitions.Op{Kind: transitions.OpExit, Proc: uint8(p)}, 0)
}

// checkClean requires that no BUG/WARN fired and no capacity overflowed.
func (e *env) checkClean(after string) {
	e.t.Helper()
	if e.s.Bug != 0 {
		e.t.Fatalf("after %s: kernel BUG: %s", after, transitions.Assertion(e.s.Bug))
	}
	if e.s.Warn != 0 {
		e.t.Fatalf("after %s: kernel WARN: %s", after, transitions.Assertion(e.s.Warn))
	}
	if e.s.Overflow != 0 {
		e.t.Fatalf("after %s: model capacity overflow: %s", after, state.CapName(e.s.Overflow))
	}
}

// checkInvariants checks, from scratch, what the kernel code relies on
// (kernel-reference.md section 9) and the bookkeeping the model keeps:
// the vm_next/vm_prev lists and map_count; pgoff = start for every private
// anonymous VMA (I9); own anon_vma on own chain (I1); one root per chain,
// the root oldest (I2, I6); the interval trees and the chains agree;
// within an mm the same anon_vma means the same chain (I3); every PTE's
// page is reachable by rmap with the right index, and is mapped
// writable only when it is mapped once (I4); mapcounts count the PTEs; the
// degree counts the VMAs using the anon_vma plus its children with a
// non-empty tree, the self-parent link of a root included (I7); the
// refcount is one plus the anon_vmas it is the root of (I8); no anon_vma
// is freed but still pointed at; nothing leaks.
func (e *env) checkInvariants(after string) {
	e.t.Helper()
	s := e.s
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
			if vv.Start >= vv.End || vv.Start < lastEnd || int(vv.End) > e.sc.Pages {
				bad("VMA %d: range [%d,%d) after end %d", v, vv.Start, vv.End, lastEnd)
			}
			if vv.Pgoff != vv.Start {
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
		if want := active[id] + children[id]; int(a.Degree) != want {
			bad("av%d: degree %d, want %d (%d VMAs use it, %d children incl. self-link)", id, a.Degree, want, active[id], children[id])
		}
		if want := 1 + refs[id]; int(a.Refcount) != want {
			bad("av%d: refcount %d, want %d", id, a.Refcount, want)
		}
	}
	if len(errs) > 0 {
		e.t.Fatalf("after %s: invariants broken:\n  %s", after, strings.Join(errs, "\n  "))
	}
}

// layout draws process p's address space as tools/testing/vma does: one
// letter per page slot, the process's VMAs lettered A, B, ... in address
// order, '.' for a hole.
func (e *env) layout(p int) string {
	b := []byte(strings.Repeat(".", e.sc.Pages))
	i := 0
	e.s.ForEachVMA(p, func(v state.VMAID) bool {
		vv := e.s.VMA(v)
		for a := vv.Start; a < vv.End && int(a) < len(b); a++ {
			b[a] = byte('A' + i)
		}
		i++
		return true
	})
	return string(b)
}

func (e *env) wantLayout(p int, want string) {
	e.t.Helper()
	if got := e.layout(p); got != want {
		e.t.Errorf("P%d layout %q, want %q", p+1, got, want)
	}
}

// vmaAt returns the VMA of process p holding page slot addr.
func (e *env) vmaAt(p, addr int) state.VMAID {
	e.t.Helper()
	v := e.s.FindVMA(p, uint8(addr))
	if v == state.NoVMA {
		e.t.Fatalf("P%d: no VMA at %d", p+1, addr)
	}
	return v
}

// avAt returns the anon_vma of the VMA of process p holding addr.
func (e *env) avAt(p, addr int) state.AVID {
	e.t.Helper()
	return e.s.VMA(e.vmaAt(p, addr)).AnonVMA
}

func (e *env) wantVMA(v state.VMAID, start, end, pgoff int, fl state.Flags) {
	e.t.Helper()
	vv := e.s.VMA(v)
	if vv.MM == 0 {
		e.t.Errorf("VMA %d is not allocated", v)
		return
	}
	if int(vv.Start) != start || int(vv.End) != end || int(vv.Pgoff) != pgoff || vv.Flags != fl {
		e.t.Errorf("VMA %d: [%d,%d) pgoff %d %s, want [%d,%d) pgoff %d %s",
			v, vv.Start, vv.End, vv.Pgoff, vv.Flags, start, end, pgoff, fl)
	}
}

func (e *env) wantVMAGone(v state.VMAID) {
	e.t.Helper()
	if e.s.VMA(v).MM != 0 {
		e.t.Errorf("VMA %d still allocated", v)
	}
}

func (e *env) chain(v state.VMAID) []state.AVID {
	vv := e.s.VMA(v)
	return slices.Clone(vv.Chain[:vv.NChain])
}

// wantChain checks v's ->anon_vma and its anon_vma_chain, newest first.
func (e *env) wantChain(v state.VMAID, anonVMA state.AVID, chain ...state.AVID) {
	e.t.Helper()
	if got := e.s.VMA(v).AnonVMA; got != anonVMA {
		e.t.Errorf("VMA %d: anon_vma av%d, want av%d", v, got, anonVMA)
	}
	if got := e.chain(v); !slices.Equal(got, chain) {
		e.t.Errorf("VMA %d: anon_vma_chain %v, want %v", v, got, chain)
	}
}

type avWant struct {
	root, parent state.AVID
	ref          int8
	degree       uint8
	tree         []state.VMAID
}

func (e *env) wantAV(a state.AVID, w avWant) {
	e.t.Helper()
	if a == state.NoAV {
		e.t.Errorf("anon_vma is NULL, want one")
		return
	}
	av := e.s.AV(a)
	if av.Status != state.AVLive {
		e.t.Errorf("av%d: status %d, want live", a, av.Status)
		return
	}
	var tree []state.VMAID
	for v := 1; v <= state.MaxVMAs; v++ {
		if av.InTree(state.VMAID(v)) {
			tree = append(tree, state.VMAID(v))
		}
	}
	want := slices.Sorted(slices.Values(w.tree))
	if av.Root != w.root || av.Parent != w.parent || av.Refcount != w.ref || av.Degree != w.degree || !slices.Equal(tree, want) {
		e.t.Errorf("av%d: root av%d parent av%d refcount %d degree %d tree %v; want root av%d parent av%d refcount %d degree %d tree %v",
			a, av.Root, av.Parent, av.Refcount, av.Degree, tree, w.root, w.parent, w.ref, w.degree, want)
	}
}

// wantAVGone requires that anon_vma a was freed and its slot released.
func (e *env) wantAVGone(a state.AVID) {
	e.t.Helper()
	if av := e.s.AV(a); *av != (state.AnonVMA{}) {
		e.t.Errorf("av%d: still there (status %d, refcount %d, degree %d), want freed", a, av.Status, av.Refcount, av.Degree)
	}
}

func (e *env) liveAVs() []state.AVID {
	var out []state.AVID
	for i := range e.s.AnonVMAs {
		if e.s.AnonVMAs[i].Status == state.AVLive {
			out = append(out, state.AVID(i+1))
		}
	}
	return out
}

func (e *env) usedPages() int {
	n := 0
	for i := range e.s.Pages {
		if e.s.Pages[i].Used != 0 {
			n++
		}
	}
	return n
}

// wantPTE requires a present PTE at addr of process p with the given write
// bit and returns its page.
func (e *env) wantPTE(p, addr int, writable bool) state.PageID {
	e.t.Helper()
	pte := e.s.PT[p][addr]
	if pte.Page() == state.NoPage {
		e.t.Fatalf("P%d: no PTE at %d", p+1, addr)
	}
	if pte.Writable() != writable {
		e.t.Errorf("P%d: PTE at %d writable=%v, want %v", p+1, addr, pte.Writable(), writable)
	}
	return pte.Page()
}

func (e *env) wantNoPTE(p, addr int) {
	e.t.Helper()
	if pte := e.s.PT[p][addr]; pte != 0 {
		e.t.Errorf("P%d: PTE at %d maps page %d, want none", p+1, addr, pte.Page())
	}
}

func (e *env) wantPage(pg state.PageID, mapping state.AVID, index, mapcount int) {
	e.t.Helper()
	page := e.s.Page(pg)
	if page.Used == 0 || page.Mapping != mapping || int(page.Index) != index || int(page.Mapcount) != mapcount {
		e.t.Errorf("page %d: used %d mapping av%d index %d mapcount %d; want mapping av%d index %d mapcount %d",
			pg, page.Used, page.Mapping, page.Index, page.Mapcount, mapping, index, mapcount)
	}
}
