package specs

import (
	"fmt"
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
	// Explain names the first object that breaks the property in s, in
	// the names trace drawings use (P1, VMA B, av2, pg1), and returns ""
	// when the property holds: one function is both the check and its
	// explanation, so the two cannot drift. It formats only on failure,
	// so a holding state costs no allocation.
	Explain func(s *state.State, env Env) string
	// Holds is the check of a property with nothing to explain beyond
	// the trace's oops or warning line; used when Explain is nil.
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
	if p.Explain != nil {
		return p.Explain(s, env) == ""
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
		Explain:   rmapReachable,
	},
	{
		Name:      "no-freed-anon-vma",
		Short:     "uaf",
		Statement: "nothing live points at a freed anon_vma or freed VMA (pages, vma->anon_vma, chains, parent, root), and no kernel path touches one",
		Failure:   "use-after-free (KASAN report, memory corruption)",
		Invariant: "I5",
		AfterOops: true,
		Explain:   noFreedAnonVMA,
	},
	{
		Name:      "own-anon-vma-linked",
		Short:     "link",
		Statement: "a VMA's own anon_vma is on its anon_vma_chain, and a VMA with no anon_vma has an empty chain",
		Failure:   "missing anon_vma_chain link: pages the VMA faults in are unreachable by rmap",
		Invariant: "I1",
		Explain:   ownAnonVMALinked,
	},
	{
		Name:      "one-root-per-chain",
		Short:     "root",
		Statement: "all anon_vmas on one VMA's chain share one root",
		Failure:   "WARN in lock_anon_vma_root(); VMA ranges updated under the wrong root lock",
		Invariant: "I2",
		Explain:   oneRootPerChain,
	},
	{
		Name:      "same-anon-vma-same-chain",
		Short:     "chain",
		Statement: "two VMAs of one mm with the same anon_vma are linked to the same set of anon_vmas",
		Failure:   "vma_merge()/anon_vma_merge() drop links: dangling page->mapping (as CVE-2022-42703)",
		Invariant: "I3",
		Explain:   sameAnonVMASameChain,
	},
	{
		Name:      "counter-accounting",
		Short:     "count",
		Statement: "refcount and degree (or num_children/num_active_vmas) equal their true counts and never go below zero",
		Failure:   "premature free or leak of an anon_vma; wrong reuse decisions in anon_vma_clone()",
		Invariant: "I7, I8",
		Explain:   counterAccounting,
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
		Explain:   mmListConsistent,
	},
	{
		Name:      "no-leak",
		Short:     "leak",
		Statement: "every live anon_vma is linked to a VMA or is the root of a live anon_vma, and every page is mapped",
		Failure:   "memory leak of anon_vmas or pages",
		Invariant: "I5, I8",
		Explain:   noLeak,
	},
	{
		Name:      "hierarchy-growth",
		Short:     "growth",
		Statement: "there are at most procs+1 live anon_vmas per VMA with an anon_vma",
		Failure:   "none by itself: more anon_vmas than the VMAs account for, as under the unbounded fork/exit growth 7a3ef208e662 fixed, or anon_vmas a descendant keeps alive after their VMAs went",
		Invariant: "seed thread I7",
		Advisory:  true,
		Explain:   hierarchyGrowth,
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

// chainSet is the set of anon_vmas on a chain, as a bit set.
func chainSet(v *state.VMA) uint32 {
	var m uint32
	for j := uint8(0); j < v.NChain; j++ {
		m |= 1 << (v.Chain[j] - 1)
	}
	return m
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
