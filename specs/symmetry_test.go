package specs_test

import (
	"context"
	"fmt"
	"testing"

	"anoncheck/check"
	"anoncheck/specs"
	"anoncheck/state"
	"anoncheck/traces"
)

// TestSymmetryPreservesVerdicts checks that symmetry reduction changes no
// verdict, which it must to be sound: at small scopes, every variant gets
// the same verdicts and the same shortest violation depths with no
// renaming, with object renaming and with process renaming, and each
// level's shortest paths replay to a trace that violates its property. The
// state counts must shrink level by level (the reduction factor is logged),
// or the reduction is not doing anything.
func TestSymmetryPreservesVerdicts(t *testing.T) {
	scopes := []struct{ pages, procs, bound int }{{2, 2, 2}, {1, 3, 3}}
	if testing.Short() {
		scopes = scopes[:1]
	}
	levels := []state.Symmetry{state.SymOff, state.SymObjects, state.SymFull}
	props := specs.Properties()
	for _, v := range specs.All() {
		for _, c := range scopes {
			name := fmt.Sprintf("%s/pages=%d,procs=%d,bound=%d", v.Name, c.pages, c.procs, c.bound)
			t.Run(name, func(t *testing.T) {
				var counts []int
				var first []int
				for _, y := range levels {
					m := &specs.Model{Variant: v, Scope: scope(c.pages, c.procs), Symmetry: y}
					res := check.Run[state.State](context.Background(), m, check.Config[state.State]{
						Bound: c.bound, Properties: m.CheckProperties(props)})
					if !res.Complete {
						t.Fatalf("symmetry %s: run incomplete: %v", y, res.Stop)
					}
					counts = append(counts, res.Stats.States)
					depths := make([]int, len(props))
					for i := range props {
						depths[i] = specs.Holds
						if !res.Violated(i) {
							continue
						}
						depths[i] = res.Violations[i].Depth
						tr, err := traces.FromPathSym(v, m.Scope, y, props[i], res.Violations[i].Path)
						if err != nil {
							t.Fatalf("symmetry %s: %s: %v", y, props[i].Name, err)
						}
						if tr.Holds() {
							t.Errorf("symmetry %s: the shortest path for %s replays to a state where it holds", y, props[i].Name)
						}
					}
					if first == nil {
						first = depths
						continue
					}
					for i := range props {
						if depths[i] != first[i] {
							t.Errorf("%s: symmetry %s gives %s, symmetry off gives %s", props[i].Name, y, verdict(depths[i]), verdict(first[i]))
						}
					}
				}
				if !(counts[0] >= counts[1] && counts[1] >= counts[2]) {
					t.Errorf("state counts off/objects/full = %v: a reduction found more states", counts)
				}
				t.Logf("states off %d, objects %d (%.2fx), full %d (%.2fx)", counts[0], counts[1],
					float64(counts[0])/float64(counts[1]), counts[2], float64(counts[0])/float64(counts[2]))
			})
		}
	}
}

// TestSymmetryReduces checks that the reduction actually reduces where
// processes are symmetric.
func TestSymmetryReduces(t *testing.T) {
	v, _ := specs.Lookup("v5.4")
	count := func(y state.Symmetry) int {
		m := &specs.Model{Variant: v, Scope: scope(1, 3), Symmetry: y}
		return check.Run[state.State](context.Background(), m, check.Config[state.State]{Bound: 3}).Stats.States
	}
	full, objects := count(state.SymFull), count(state.SymObjects)
	if full >= objects {
		t.Fatalf("process symmetry found %d states, object renaming alone %d: no reduction", full, objects)
	}
}
