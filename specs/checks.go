package specs

import (
	"fmt"
	"math/bits"
	"strings"

	"anoncheck/state"
	"anoncheck/transitions"
)

// The checks of the safety properties. Each returns "" when its property
// holds and otherwise names the first object that breaks it, in the names
// trace drawings use (P1, VMA B, av2, pg1); it formats only on failure, so
// judging a holding state allocates nothing (TestPropertiesDoNotAllocate).

// Why names what breaks the property in s ("" if it holds, or if it has
// nothing to say beyond the trace's oops or warning line).
func (p *Property) Why(s *state.State, env Env) string {
	if p.Explain == nil || p.Judge(s, env) {
		return ""
	}
	return p.Explain(s, env)
}

func vmaName(v state.VMAID) string {
	if v == state.NoVMA {
		return "NULL"
	}
	return "VMA " + v.Name()
}

func chainText(v *state.VMA) string {
	names := make([]string, v.NChain)
	for j := uint8(0); j < v.NChain; j++ {
		names[j] = v.Chain[j].Name()
	}
	return "[" + strings.Join(names, " ") + "]"
}

// rmapMiss is why an rmap walk from a page's page->mapping misses the
// mapping of it at an address; rmapHit when the walk finds it.
type rmapMiss uint8

const (
	rmapHit        rmapMiss = iota
	rmapNoVMA               // the address is in no VMA
	rmapNoMapping           // the page has no page->mapping
	rmapFreed               // page->mapping is a freed anon_vma
	rmapNotInTree           // page->mapping's interval tree lacks the VMA
	rmapWrongIndex          // the page's index is not the one the walk computes from the address
)

// rmapWalk is rmap-reachable's test of the page process p maps at slot a
// (one must be mapped there): the VMA there is in the interval tree of the
// page's live anon_vma, and the page's index matches the address.
func rmapWalk(s *state.State, p, a int) rmapMiss {
	v := s.FindVMA(p, uint8(a))
	if v == state.NoVMA {
		return rmapNoVMA
	}
	page := s.Page(s.PT[p][a].Page())
	if page.Mapping == state.NoAV {
		return rmapNoMapping
	}
	if m := s.AV(page.Mapping); m.Status != state.AVLive {
		return rmapFreed
	} else if !m.InTree(v) {
		return rmapNotInTree
	}
	if page.Index != walkIndex(s.VMA(v), a) {
		return rmapWrongIndex
	}
	return rmapHit
}

// walkIndex is the page index an rmap walk computes for slot a of VMA vv.
func walkIndex(vv *state.VMA, a int) uint8 { return vv.Pgoff + (uint8(a) - vv.Start) }

// RmapReaches reports whether process proc maps a page at page slot slot
// and the rmap walk from that page's page->mapping finds the mapping: the
// per-page test of the rmap-reachable property.
func RmapReaches(s *state.State, proc, slot int) bool {
	return s.PT[proc][slot].Page() != state.NoPage && rmapWalk(s, proc, slot) == rmapHit
}

func rmapReachable(s *state.State, _ Env) string {
	for p := 0; p < state.MaxProcs; p++ {
		if s.MMs[p].Live == 0 {
			continue
		}
		for a := 0; a < state.MaxSlots; a++ {
			pg := s.PT[p][a].Page()
			if pg == state.NoPage {
				continue
			}
			miss := rmapWalk(s, p, a)
			if miss == rmapHit {
				continue
			}
			where := fmt.Sprintf("pg%d, mapped by %s at slot %d", pg, transitions.ProcName(uint8(p)), a)
			v := s.FindVMA(p, uint8(a))
			page := s.Page(pg)
			switch miss {
			case rmapNoVMA:
				return where + ", is in no VMA"
			case rmapNoMapping:
				return where + " in " + vmaName(v) + ", has no page->mapping"
			case rmapFreed:
				return fmt.Sprintf("%s in %s, has page->mapping %s, which is freed", where, vmaName(v), page.Mapping.Name())
			case rmapNotInTree:
				return fmt.Sprintf("%s in %s, has page->mapping %s, whose tree lacks %s (its chain is %s): an rmap walk from %s never visits it",
					where, vmaName(v), page.Mapping.Name(), vmaName(v), chainText(s.VMA(v)), page.Mapping.Name())
			}
			return fmt.Sprintf("%s in %s, has index %d where the walk computes the address from %d", where, vmaName(v), page.Index, walkIndex(s.VMA(v), a))
		}
	}
	return ""
}

func noFreedAnonVMA(s *state.State, _ Env) string {
	if s.Bug != 0 && !isBug(s) {
		return "a kernel path touched a freed object (the step's !! line names where)"
	}
	if s.Latent&state.LatentDanglingAVC != 0 {
		return "a VMA was freed while still in an anon_vma's tree"
	}
	freed := func(a state.AVID) bool { return a != state.NoAV && s.AV(a).Status != state.AVLive }
	for i := range s.VMAs {
		v := &s.VMAs[i]
		if v.MM == 0 {
			continue
		}
		id := state.VMAID(i + 1)
		if freed(v.AnonVMA) {
			return fmt.Sprintf("%s->anon_vma is %s, which is freed", vmaName(id), v.AnonVMA.Name())
		}
		for j := uint8(0); j < v.NChain; j++ {
			if freed(v.Chain[j]) {
				return fmt.Sprintf("%s's chain %s links %s, which is freed", vmaName(id), chainText(v), v.Chain[j].Name())
			}
		}
	}
	for i := range s.AnonVMAs {
		a := &s.AnonVMAs[i]
		if a.Status != state.AVLive {
			continue
		}
		id := state.AVID(i + 1)
		if freed(a.Parent) {
			return fmt.Sprintf("%s->parent is %s, which is freed", id.Name(), a.Parent.Name())
		}
		if freed(a.Root) {
			return fmt.Sprintf("%s->root is %s, which is freed", id.Name(), a.Root.Name())
		}
		for t := a.Tree; t != 0; t &= t - 1 {
			if v := bits.TrailingZeros16(t); s.VMAs[v].MM == 0 {
				return fmt.Sprintf("%s's tree holds %s, which is freed", id.Name(), vmaName(state.VMAID(v+1)))
			}
		}
	}
	for i := range s.Pages {
		if pg := &s.Pages[i]; pg.Used != 0 && pg.Mapcount > 0 && freed(pg.Mapping) {
			return fmt.Sprintf("pg%d is mapped and its page->mapping %s is freed", i+1, pg.Mapping.Name())
		}
	}
	return ""
}

func ownAnonVMALinked(s *state.State, _ Env) string {
	for i := range s.VMAs {
		v := &s.VMAs[i]
		if v.MM == 0 {
			continue
		}
		id := state.VMAID(i + 1)
		if v.AnonVMA == state.NoAV && v.NChain != 0 {
			return fmt.Sprintf("%s has no anon_vma but its chain is %s", vmaName(id), chainText(v))
		}
		if v.AnonVMA != state.NoAV && !v.ChainHas(v.AnonVMA) {
			return fmt.Sprintf("%s->anon_vma is %s, but its chain %s lacks it: pages %s faults in get page->mapping %s and are not found through %s",
				vmaName(id), v.AnonVMA.Name(), chainText(v), vmaName(id), v.AnonVMA.Name(), vmaName(id))
		}
	}
	return ""
}

func oneRootPerChain(s *state.State, _ Env) string {
	for i := range s.VMAs {
		v := &s.VMAs[i]
		if v.MM == 0 {
			continue
		}
		for j := uint8(1); j < v.NChain; j++ {
			if r0, rj := s.AV(v.Chain[0]).Root, s.AV(v.Chain[j]).Root; r0 != rj {
				return fmt.Sprintf("%s's chain %s holds %s (root %s) and %s (root %s)",
					vmaName(state.VMAID(i+1)), chainText(v), v.Chain[0].Name(), r0.Name(), v.Chain[j].Name(), rj.Name())
			}
		}
	}
	return ""
}

func sameAnonVMASameChain(s *state.State, _ Env) string {
	for i := range s.VMAs {
		vi := &s.VMAs[i]
		if vi.MM == 0 || vi.AnonVMA == state.NoAV {
			continue
		}
		for j := i + 1; j < len(s.VMAs); j++ {
			vj := &s.VMAs[j]
			if vj.MM == vi.MM && vj.AnonVMA == vi.AnonVMA && chainSet(vi) != chainSet(vj) {
				return fmt.Sprintf("%s and %s of %s share anon_vma %s but their chains differ: %s and %s; merging them drops one chain",
					vmaName(state.VMAID(i+1)), vmaName(state.VMAID(j+1)), transitions.ProcName(vi.MM-1), vi.AnonVMA.Name(), chainText(vi), chainText(vj))
			}
		}
	}
	return ""
}

func counterAccounting(s *state.State, env Env) string {
	if s.Latent&state.LatentUnderflow != 0 {
		return "an anon_vma counter was decremented below zero"
	}
	active, children, refs := trueCounts(s)
	for i := range s.AnonVMAs {
		a := &s.AnonVMAs[i]
		if a.Status != state.AVLive {
			continue
		}
		id := func() string { return state.AVID(i + 1).Name() }
		if int(a.Refcount) != refs[i] {
			return fmt.Sprintf("%s->refcount is %d; its tree and the anon_vmas rooted at it account for %d", id(), a.Refcount, refs[i])
		}
		switch env.Counters {
		case transitions.CountDegree:
			if int(a.Degree) != active[i]+children[i] {
				return fmt.Sprintf("%s->degree is %d; it has %d VMA(s) using it as ->anon_vma and %d child anon_vma(s)", id(), a.Degree, active[i], children[i])
			}
		case transitions.CountChildrenActive:
			if int(a.NumActiveVMAs) != active[i] {
				return fmt.Sprintf("%s->num_active_vmas is %d; %d VMA(s) use it as ->anon_vma", id(), a.NumActiveVMAs, active[i])
			}
			if int(a.NumChildren) != children[i] {
				return fmt.Sprintf("%s->num_children is %d; it has %d child anon_vma(s)", id(), a.NumChildren, children[i])
			}
		}
	}
	return ""
}

func noLeak(s *state.State, _ Env) string {
	var isRoot uint32
	for i := range s.AnonVMAs {
		a := &s.AnonVMAs[i]
		if a.Status == state.AVLive && a.Root != state.NoAV && int(a.Root-1) != i {
			isRoot |= 1 << (a.Root - 1)
		}
	}
	for i := range s.AnonVMAs {
		a := &s.AnonVMAs[i]
		if a.Status == state.AVLive && a.Tree == 0 && isRoot&(1<<i) == 0 {
			return fmt.Sprintf("%s is live, but no VMA is linked to it and it is no live anon_vma's root", state.AVID(i+1).Name())
		}
	}
	for i := range s.Pages {
		if s.Pages[i].Used != 0 && s.Pages[i].Mapcount <= 0 {
			return fmt.Sprintf("pg%d is allocated but mapped nowhere", i+1)
		}
	}
	return ""
}

// hierarchyGrowth checks the seed thread's I7, #anon_vmas <= c * #VMAs,
// with c = procs + 1. Under v5.4's reuse rule (7a3ef208e662) an anon_vma
// left with no VMA and one child stays until the next fork reuses it, so a
// VMA can sit under its root and one abandoned anon_vma per generation of
// processes still alive; the fixpoints of v5.4 at small scopes stay within
// this bound, and a kernel without reuse leaves it after a few fork/exit
// rounds.
//
// The bound counts the VMAs of the moment, so v5.4 can exceed it with no
// unbounded growth: at pages=1 procs=4 it first does so at depth 14 (seven
// forks and four exits, then mmap over three of the four processes' VMAs),
// leaving one VMA whose chain holds six anon_vmas, five of them with no VMA
// and one child. 7a3ef208e662's "count of anon_vmas is no more than two
// times bigger than count of vmas" is about trees in which every anon_vma
// has a VMA or two children. Unmapping a VMA can leave its anon_vma with no
// VMA and one child; the descendant's chain keeps it alive until a fork
// below it reuses it. That is why the property is advisory.
func hierarchyGrowth(s *state.State, env Env) string {
	avs, vmas := 0, 0
	for i := range s.AnonVMAs {
		if s.AnonVMAs[i].Status == state.AVLive {
			avs++
		}
	}
	for i := range s.VMAs {
		if s.VMAs[i].MM != 0 && s.VMAs[i].AnonVMA != state.NoAV {
			vmas++
		}
	}
	if avs <= (env.Procs+1)*vmas {
		return ""
	}
	return fmt.Sprintf("%d live anon_vmas for %d VMA(s) with an anon_vma; the bound is %d (procs+1 per VMA)", avs, vmas, (env.Procs+1)*vmas)
}

func mmListConsistent(s *state.State, _ Env) string {
	var inList [state.MaxVMAs + 1]bool
	for p := 0; p < state.MaxProcs; p++ {
		if s.MMs[p].Live == 0 {
			continue
		}
		proc := func() string { return transitions.ProcName(uint8(p)) }
		n, prev := 0, state.NoVMA
		for v := s.MMs[p].Mmap; v != state.NoVMA; v = s.VMA(v).Next {
			vv := s.VMA(v)
			switch {
			case n >= state.MaxVMAs || inList[v]:
				return fmt.Sprintf("%s's VMA list loops at %s", proc(), vmaName(v))
			case int(vv.MM) != p+1:
				return fmt.Sprintf("%s's VMA list holds %s, which belongs to another mm", proc(), vmaName(v))
			case vv.Prev != prev:
				return fmt.Sprintf("%s->vm_prev is %s, but it follows %s on %s's list", vmaName(v), vmaName(vv.Prev), vmaName(prev), proc())
			case vv.Start >= vv.End:
				return fmt.Sprintf("%s is empty: [%d,%d)", vmaName(v), vv.Start, vv.End)
			case prev != state.NoVMA && s.VMA(prev).End > vv.Start:
				return fmt.Sprintf("%s and %s overlap or are out of order on %s's list", vmaName(prev), vmaName(v), proc())
			}
			inList[v] = true
			prev = v
			n++
		}
		if n != int(s.MMs[p].MapCount) {
			return fmt.Sprintf("%s's map_count is %d; its list holds %d VMA(s)", proc(), s.MMs[p].MapCount, n)
		}
	}
	for i := range s.VMAs {
		if s.VMAs[i].MM != 0 && !inList[i+1] {
			return fmt.Sprintf("%s is live but on no mm's list", vmaName(state.VMAID(i+1)))
		}
	}
	return ""
}
