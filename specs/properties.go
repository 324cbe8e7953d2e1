package specs

import (
	"fmt"
	"math/bits"
	"strings"

	"anoncheck/state"
	"anoncheck/transitions"
)

// Property is a safety property checked in every reachable state.
type Property struct {
	Name      string // short stable name
	Short     string // column header in the verdict matrix
	Statement string // one line: what must hold
	Failure   string // the kernel failure a violation stands for
	Invariant string // the invariant of kernel-reference.md section 9 it checks
	// Advisory properties are reported but do not fail a run or a gate.
	Advisory bool
	// Limit properties say the model ran out of room: a violation makes the
	// run incomplete (exit 3), not wrong.
	Limit bool
	// AfterOops properties are also judged in a state where the kernel
	// oopsed part-way through an operation; the others are not, since such
	// a state is half-finished.
	AfterOops bool
	// Holds reports whether the property holds in s, for a kernel whose
	// counters are c and a scope of procs processes.
	Holds func(s *state.State, env Env) bool
}

// Env is what a property may know besides the state.
type Env struct {
	Counters transitions.Counters
	Procs    int
}

// Judge reports whether the property holds in s. In a state the model ran
// out of room in, only the limit property is judged, and in one where the
// kernel oopsed, only the properties marked AfterOops: the operation
// stopped half-way, and its state says nothing about the others.
func (p *Property) Judge(s *state.State, env Env) bool {
	if s.Overflow != 0 && !p.Limit {
		return true
	}
	if s.Bug != 0 && !p.AfterOops {
		return true
	}
	return p.Holds(s, env)
}

// Properties returns the properties in their fixed report order.
func Properties() []*Property { return properties }

// LookupProperty finds a property by name; the error lists the known names.
func LookupProperty(name string) (*Property, error) {
	for _, p := range properties {
		if p.Name == name {
			return p, nil
		}
	}
	var known []string
	for _, p := range properties {
		known = append(known, p.Name)
	}
	return nil, fmt.Errorf("unknown property %q (known: %s)", name, strings.Join(known, ", "))
}

var properties = []*Property{
	{
		Name:      "rmap-reachable",
		Short:     "rmap",
		Statement: "every mapped anonymous page is found by an rmap walk from its page->mapping at the address it is mapped",
		Failure:   "rmap miss: reclaim, migration and KSM cannot unmap the page; page->mapping may dangle",
		Invariant: "I4",
		Holds:     rmapReachable,
	},
	{
		Name:      "no-freed-anon-vma",
		Short:     "uaf",
		Statement: "nothing live points at a freed anon_vma or freed VMA (pages, vma->anon_vma, chains, parent, root), and no kernel path touches one",
		Failure:   "use-after-free (KASAN report, memory corruption)",
		Invariant: "I5",
		AfterOops: true,
		Holds:     noFreedAnonVMA,
	},
	{
		Name:      "own-anon-vma-linked",
		Short:     "link",
		Statement: "a VMA's own anon_vma is on its anon_vma_chain, and a VMA with no anon_vma has an empty chain",
		Failure:   "missing anon_vma_chain link: pages the VMA faults in are unreachable by rmap",
		Invariant: "I1",
		Holds:     ownAnonVMALinked,
	},
	{
		Name:      "one-root-per-chain",
		Short:     "root",
		Statement: "all anon_vmas on one VMA's chain share one root",
		Failure:   "WARN in lock_anon_vma_root(); VMA ranges updated under the wrong root lock",
		Invariant: "I2",
		Holds:     oneRootPerChain,
	},
	{
		Name:      "same-anon-vma-same-chain",
		Short:     "chain",
		Statement: "two VMAs of one mm with the same anon_vma are linked to the same set of anon_vmas",
		Failure:   "vma_merge()/anon_vma_merge() drop links: dangling page->mapping (as CVE-2022-42703)",
		Invariant: "I3",
		Holds:     sameAnonVMASameChain,
	},
	{
		Name:      "counter-accounting",
		Short:     "count",
		Statement: "refcount and degree (or num_children/num_active_vmas) equal their true counts and never go below zero",
		Failure:   "premature free or leak of an anon_vma; wrong reuse decisions in anon_vma_clone()",
		Invariant: "I7, I8",
		Holds:     counterAccounting,
	},
	{
		Name:      "kernel-bug",
		Short:     "bug",
		Statement: "no BUG_ON/VM_BUG_ON on the modelled paths fires and no NULL pointer is dereferenced",
		Failure:   "kernel oops",
		Invariant: "section 8",
		AfterOops: true,
		Holds:     func(s *state.State, _ Env) bool { return !isBug(s) },
	},
	{
		Name:      "kernel-warn",
		Short:     "warn",
		Statement: "no WARN_ON/VM_WARN_ON on the modelled paths fires",
		Failure:   "kernel warning: a broken assumption of the code",
		Invariant: "section 8",
		AfterOops: true,
		Holds:     func(s *state.State, _ Env) bool { return s.Warn == 0 },
	},
	{
		Name:      "mm-list-consistent",
		Short:     "mm",
		Statement: "each mm's vm_next/vm_prev list is sorted and non-overlapping, holds all of its VMAs, and map_count counts them",
		Failure:   "validate_mm() VM_BUG_ON_MM; find_vma() and vma_merge() act on the wrong VMAs",
		Invariant: "mm structure",
		Holds:     mmListConsistent,
	},
	{
		Name:      "no-leak",
		Short:     "leak",
		Statement: "every live anon_vma is linked to a VMA or is the root of a live anon_vma, and every page is mapped",
		Failure:   "memory leak of anon_vmas or pages",
		Invariant: "I5, I8",
		Holds:     noLeak,
	},
	{
		Name:      "hierarchy-growth",
		Short:     "growth",
		Statement: "there are at most procs+1 live anon_vmas per VMA with an anon_vma",
		Failure:   "none by itself: more anon_vmas than the VMAs account for, as under the unbounded fork/exit growth 7a3ef208e662 fixed, or anon_vmas a descendant keeps alive after their VMAs went",
		Invariant: "seed thread I7",
		Advisory:  true,
		Holds:     hierarchyGrowth,
	},
	{
		Name:      "scope-capacity",
		Short:     "cap",
		Statement: "the state fits the model's capacities (VMAs, anon_vmas, chain length, pages)",
		Failure:   "none in the kernel: the model ran out of room, so the run is incomplete",
		Limit:     true,
		Holds:     func(s *state.State, _ Env) bool { return s.Overflow == 0 },
	},
}

func isBug(s *state.State) bool {
	return s.Bug != 0 && transitions.Assertion(s.Bug) != transitions.BugUseAfterFree
}

func liveVMA(s *state.State, i int) bool { return s.VMAs[i].MM != 0 }

func rmapReachable(s *state.State, _ Env) bool {
	for p := 0; p < state.MaxProcs; p++ {
		if s.MMs[p].Live == 0 {
			continue
		}
		for a := 0; a < state.MaxSlots; a++ {
			pg := s.PT[p][a].Page()
			if pg == state.NoPage {
				continue
			}
			v := s.FindVMA(p, uint8(a))
			if v == state.NoVMA {
				return false
			}
			page := s.Page(pg)
			if page.Mapping == state.NoAV {
				return false
			}
			m := s.AV(page.Mapping)
			if m.Status != state.AVLive || !m.InTree(v) {
				return false
			}
			vv := s.VMA(v)
			if page.Index != vv.Pgoff+(uint8(a)-vv.Start) {
				return false
			}
		}
	}
	return true
}

func noFreedAnonVMA(s *state.State, _ Env) bool {
	if s.Bug != 0 && !isBug(s) || s.Latent&state.LatentDanglingAVC != 0 {
		return false
	}
	freed := func(a state.AVID) bool { return a != state.NoAV && s.AV(a).Status != state.AVLive }
	for i := range s.VMAs {
		if !liveVMA(s, i) {
			continue
		}
		v := &s.VMAs[i]
		if freed(v.AnonVMA) {
			return false
		}
		for j := uint8(0); j < v.NChain; j++ {
			if freed(v.Chain[j]) {
				return false
			}
		}
	}
	for i := range s.AnonVMAs {
		a := &s.AnonVMAs[i]
		if a.Status != state.AVLive {
			continue
		}
		if freed(a.Parent) || freed(a.Root) {
			return false
		}
		for t := a.Tree; t != 0; t &= t - 1 {
			if !liveVMA(s, bits.TrailingZeros16(t)) {
				return false
			}
		}
	}
	for i := range s.Pages {
		if s.Pages[i].Used != 0 && s.Pages[i].Mapcount > 0 && freed(s.Pages[i].Mapping) {
			return false
		}
	}
	return true
}

func ownAnonVMALinked(s *state.State, _ Env) bool {
	for i := range s.VMAs {
		if !liveVMA(s, i) {
			continue
		}
		v := &s.VMAs[i]
		if v.AnonVMA == state.NoAV {
			if v.NChain != 0 {
				return false
			}
		} else if !v.ChainHas(v.AnonVMA) {
			return false
		}
	}
	return true
}

func oneRootPerChain(s *state.State, _ Env) bool {
	for i := range s.VMAs {
		if !liveVMA(s, i) {
			continue
		}
		v := &s.VMAs[i]
		for j := uint8(1); j < v.NChain; j++ {
			if s.AV(v.Chain[j]).Root != s.AV(v.Chain[0]).Root {
				return false
			}
		}
	}
	return true
}

// chainSet is the set of anon_vmas on a chain, as a bit set.
func chainSet(v *state.VMA) uint32 {
	var m uint32
	for j := uint8(0); j < v.NChain; j++ {
		m |= 1 << (v.Chain[j] - 1)
	}
	return m
}

func sameAnonVMASameChain(s *state.State, _ Env) bool {
	for i := range s.VMAs {
		vi := &s.VMAs[i]
		if vi.MM == 0 || vi.AnonVMA == state.NoAV {
			continue
		}
		for j := i + 1; j < len(s.VMAs); j++ {
			vj := &s.VMAs[j]
			if vj.MM == vi.MM && vj.AnonVMA == vi.AnonVMA && chainSet(vi) != chainSet(vj) {
				return false
			}
		}
	}
	return true
}

// trueCounts computes, for each anon_vma, the number of VMAs using it as
// ->anon_vma, the number of anon_vmas with a non-empty tree whose parent
// it is (itself included for a root), and the references it should hold.
func trueCounts(s *state.State) (active, children [state.MaxAnonVMAs]int, refs [state.MaxAnonVMAs]int) {
	for i := range s.VMAs {
		if liveVMA(s, i) && s.VMAs[i].AnonVMA != state.NoAV {
			active[s.VMAs[i].AnonVMA-1]++
		}
	}
	for i := range s.AnonVMAs {
		a := &s.AnonVMAs[i]
		if a.Status != state.AVLive {
			continue
		}
		if a.Tree != 0 {
			refs[i]++
			if a.Parent != state.NoAV {
				children[a.Parent-1]++
			}
		}
		if a.Root != state.NoAV && int(a.Root-1) != i {
			refs[a.Root-1]++
		}
	}
	return
}

func counterAccounting(s *state.State, env Env) bool {
	if s.Latent&state.LatentUnderflow != 0 {
		return false
	}
	active, children, refs := trueCounts(s)
	for i := range s.AnonVMAs {
		a := &s.AnonVMAs[i]
		if a.Status != state.AVLive {
			continue
		}
		if int(a.Refcount) != refs[i] {
			return false
		}
		switch env.Counters {
		case transitions.CountDegree:
			if int(a.Degree) != active[i]+children[i] {
				return false
			}
		case transitions.CountChildrenActive:
			if int(a.NumActiveVMAs) != active[i] || int(a.NumChildren) != children[i] {
				return false
			}
		}
	}
	return true
}

func noLeak(s *state.State, _ Env) bool {
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
			return false
		}
	}
	for i := range s.Pages {
		if s.Pages[i].Used != 0 && s.Pages[i].Mapcount <= 0 {
			return false
		}
	}
	return true
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
func hierarchyGrowth(s *state.State, env Env) bool {
	avs, vmas := 0, 0
	for i := range s.AnonVMAs {
		if s.AnonVMAs[i].Status == state.AVLive {
			avs++
		}
	}
	for i := range s.VMAs {
		if liveVMA(s, i) && s.VMAs[i].AnonVMA != state.NoAV {
			vmas++
		}
	}
	return avs <= (env.Procs+1)*vmas
}

func mmListConsistent(s *state.State, _ Env) bool {
	var inList [state.MaxVMAs + 1]bool
	for p := 0; p < state.MaxProcs; p++ {
		if s.MMs[p].Live == 0 {
			continue
		}
		n, prev := 0, state.NoVMA
		for v := s.MMs[p].Mmap; v != state.NoVMA; v = s.VMA(v).Next {
			vv := s.VMA(v)
			if n >= state.MaxVMAs || inList[v] || int(vv.MM) != p+1 || vv.Prev != prev || vv.Start >= vv.End {
				return false
			}
			if prev != state.NoVMA && s.VMA(prev).End > vv.Start {
				return false
			}
			inList[v] = true
			prev = v
			n++
		}
		if n != int(s.MMs[p].MapCount) {
			return false
		}
	}
	for i := range s.VMAs {
		if liveVMA(s, i) && !inList[i+1] {
			return false
		}
	}
	return true
}
