package traces

import (
	"testing"

	"anoncheck/specs"
	"anoncheck/transitions"
)

// Minimise takes out of a violating trace what a walk adds: operations
// that return to a state already visited, and operations the violation
// does not need; it keeps the violation and the explorer's rules.
func TestMinimise(t *testing.T) {
	base := explorerTraces(t, shrinkCases[0], 1)
	for _, orig := range base {
		// The same operations with detours: after setup, an mmap of the
		// third page slot, which nothing needs, and an mprotect of it and
		// back, a loop; the scope has three page slots.
		sc := shrinkScope(3, 2)
		var ops []transitions.Op
		var setup []bool
		for i, st := range orig.Steps {
			if i > 0 && orig.Steps[i-1].Setup && !st.Setup {
				ops = append(ops,
					transitions.Op{Kind: transitions.OpMmap, Start: 2, End: 3, Arg: uint8(transitions.ProtRead | transitions.ProtWrite)},
					transitions.Op{Kind: transitions.OpMprotect, Start: 2, End: 3, Arg: uint8(transitions.ProtRead)},
					transitions.Op{Kind: transitions.OpMprotect, Start: 2, End: 3, Arg: uint8(transitions.ProtRead | transitions.ProtWrite)})
				setup = append(setup, false, false, false)
			}
			ops = append(ops, st.Op)
			setup = append(setup, st.Setup)
		}
		long, err := Replay(orig.Variant, sc, orig.Property, ops, setup)
		if err != nil {
			t.Fatalf("%s: %v", orig.Property.Name, err)
		}
		if long.Holds() {
			t.Fatalf("%s: the lengthened trace no longer violates it", orig.Property.Name)
		}
		min, err := Minimise(long)
		if err != nil {
			t.Fatalf("%s: %v", orig.Property.Name, err)
		}
		if min.Holds() || min.Depth() > orig.Depth() {
			t.Errorf("%s: minimised to %d operations (holds: %v); want at most the explorer's %d, violating",
				orig.Property.Name, min.Depth(), min.Holds(), orig.Depth())
		}
		// Shrink accepts it: it is a path the explorer could take.
		if _, err := Shrink(min); err != nil {
			t.Errorf("%s: Shrink refuses the minimised trace: %v", orig.Property.Name, err)
		}
	}
}

// A trace along which the property holds cannot be minimised.
func TestMinimiseRefusesAHoldingTrace(t *testing.T) {
	v, _ := specs.Lookup("v5.4")
	p, _ := specs.LookupProperty("rmap-reachable")
	ops := []transitions.Op{{Kind: transitions.OpMmap, Start: 0, End: 2, Arg: uint8(transitions.ProtRead | transitions.ProtWrite)}}
	tr, err := Replay(v, shrinkScope(2, 2), p, ops, []bool{true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Minimise(tr); err == nil {
		t.Fatal("Minimise accepted a trace along which the property holds")
	}
}
