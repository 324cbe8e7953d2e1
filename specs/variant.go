package specs

import (
	"fmt"
	"sort"
	"strings"

	"anoncheck/transitions"
)

// Variant is a kernel version or a proposed patch: a value that overrides
// entries of its base's kernel function table. Adding a variant is adding
// one file that registers one of these.
type Variant struct {
	Name    string // short stable name: "v5.4", "khlebnikov-fix-v1"
	Date    string // release or posting date, YYYY-MM-DD: the matrix order
	Follows string // the kernel version, commit or LKML mail the model follows
	Summary string // one line: what differs from the base
	Notes   string // details the source leaves open and what was chosen

	// A release that starts a kernel generation (v5.4, v6.1) names its
	// generation's function table and the anon_vma reuse counters its
	// code keeps; every other variant names the Base it patches and
	// inherits both.
	Table    func() transitions.Funcs // a generation's table (transitions/v5.V54, transitions/v6.V61); nil with a Base
	Counters transitions.Counters     // with Table: the counters the code keeps; inherited otherwise
	Base     string                   // name of the variant this one patches; "" with a Table
	Patch    func(*transitions.Funcs) // the overrides; nil for none

	// Expect are the verdicts the project expects of this variant, each at
	// a scope and bound; the tests assert them, so a change to the model
	// that flips one fails with the variant and property named.
	Expect []Expectation
}

// Expectation is one expected verdict. Property "*" means every safety
// property holds.
type Expectation struct {
	Property     string
	Pages, Procs int
	Bound        int
	// Depth is the depth of the shortest violation, or Holds.
	Depth int
	// Why cites the statement the expectation comes from.
	Why string
}

// Holds as an Expectation.Depth: the property holds to the bound.
const Holds = -1

// At is where an expectation is checked: the page slots and processes of
// the scope (its other settings at their defaults) and the bound.
type At struct{ Pages, Procs, Bound int }

// The places the variants' expectations are checked at.
var (
	// Default3 is the default scope, two page slots and two processes, to
	// bound 3: room for a fork and two operations after it.
	Default3 = At{Pages: 2, Procs: 2, Bound: 3}
	// MergeCase1 is three page slots and one process to bound 1: the
	// smallest scope with merge case 1 of __vma_adjust(), an mmap into the
	// gap between two VMAs (PPPP AAAA NNNN), which the initial layouts
	// already reach.
	MergeCase1 = At{Pages: 3, Procs: 1, Bound: 1}
)

// AllHold expects every safety property to hold at at; why cites the
// statement the expectation comes from.
func AllHold(at At, why string) Expectation {
	return Expectation{Property: "*", Pages: at.Pages, Procs: at.Procs, Bound: at.Bound, Depth: Holds, Why: why}
}

// Violated expects property to be violated at at, first after depth
// operations (0: during the initial layouts); why cites the statement the
// expectation comes from.
func Violated(property string, at At, depth int, why string) Expectation {
	return Expectation{Property: property, Pages: at.Pages, Procs: at.Procs, Bound: at.Bound, Depth: depth, Why: why}
}

var registry = map[string]*Variant{}
var order []string

// Register adds a variant; it panics on a duplicate name, an empty
// provenance, or a variant with both or neither of a Table and a Base,
// which are programming errors. (A missing base is found on first use:
// variants register in file order.)
func Register(v *Variant) *Variant {
	if _, dup := registry[v.Name]; dup {
		panic("specs: duplicate variant " + v.Name)
	}
	if v.Follows == "" {
		panic("specs: variant " + v.Name + " does not say what it follows")
	}
	if (v.Table == nil) == (v.Base == "") {
		panic("specs: variant " + v.Name + " needs a generation Table or a Base, not both")
	}
	registry[v.Name] = v
	order = append(order, v.Name)
	return v
}

// All returns the registered variants in a stable order: v5.4 first, then
// by date and name.
func All() []*Variant {
	names := append([]string(nil), order...)
	sort.SliceStable(names, func(i, j int) bool {
		a, b := registry[names[i]], registry[names[j]]
		if (a.Name == "v5.4") != (b.Name == "v5.4") {
			return a.Name == "v5.4"
		}
		if a.Date != b.Date {
			return a.Date < b.Date
		}
		return a.Name < b.Name
	})
	out := make([]*Variant, len(names))
	for i, n := range names {
		out[i] = registry[n]
	}
	return out
}

// Lookup finds a variant by name; the error lists the known names.
func Lookup(name string) (*Variant, error) {
	if v, ok := registry[name]; ok {
		return v, nil
	}
	var known []string
	for _, v := range All() {
		known = append(known, v.Name)
	}
	return nil, fmt.Errorf("unknown variant %q (known: %s)", name, strings.Join(known, ", "))
}

// Parent returns the variant v patches, nil for a generation's first
// release.
func (v *Variant) Parent() *Variant {
	if v.Base == "" {
		return nil
	}
	b, err := Lookup(v.Base)
	if err != nil {
		panic("specs: variant " + v.Name + ": base: " + err.Error())
	}
	return b
}

// root returns the release at the bottom of v's chain of bases.
func (v *Variant) root() *Variant {
	for v.Base != "" {
		v = v.Parent()
	}
	return v
}

// Funcs returns the variant's kernel function table: its generation's
// table with the overrides of every variant on the way applied, base
// first.
func (v *Variant) Funcs() transitions.Funcs {
	var f transitions.Funcs
	if p := v.Parent(); p != nil {
		f = p.Funcs()
	} else {
		f = v.Table()
	}
	if v.Patch != nil {
		v.Patch(&f)
	}
	return f
}

// CountersKept returns the anon_vma reuse counters the variant's code
// keeps: its generation's.
func (v *Variant) CountersKept() transitions.Counters { return v.root().Counters }

// Env is the environment the properties see when judging a state of this
// variant at a scope of procs processes.
func (v *Variant) Env(procs int) Env { return Env{Counters: v.CountersKept(), Procs: procs} }

// Kernel returns a kernel running the variant's code.
func (v *Variant) Kernel() *transitions.Kernel {
	k := transitions.New(v.Funcs())
	k.Counters = v.CountersKept()
	return k
}
