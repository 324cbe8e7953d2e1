package traces

import (
	"fmt"

	"anoncheck/state"
	"anoncheck/transitions"
)

// Minimise shortens a violating trace that a search other than the
// breadth-first explorer found (a random walk goes round in circles and
// takes steps that do nothing for the violation), so that Shrink can
// take it from there: it cuts every return to a state already visited,
// then deletes operations, halves first and single steps last (Zeller's
// ddmin, one-minimal), as long as the property is still violated, and
// cuts the trace at the first violating state. The result is a path the
// explorer could have taken (see Shrink) and violates the same property;
// it may still be longer than the shortest.
func Minimise(t *Trace) (*Trace, error) {
	if t.Property == nil {
		return nil, fmt.Errorf("minimise: the trace names no property to preserve")
	}
	ops, setup := make([]transitions.Op, len(t.Steps)), make([]bool, len(t.Steps))
	for i, st := range t.Steps {
		ops[i], setup[i] = st.Op, st.Setup
	}
	best, err := t.violating(ops, setup)
	if err != nil {
		return nil, err
	}
	if best == nil {
		return nil, fmt.Errorf("minimise: %s holds along the trace under %s", t.Property.Name, t.Variant.Name)
	}
	for chunk := max(1, len(best.Steps)/2); ; chunk /= 2 {
		for changed := true; changed; {
			changed = false
			for i := 0; i < len(best.Steps); i += chunk {
				ops, setup := best.opsWithout(i, min(i+chunk, len(best.Steps)))
				c, err := t.violating(ops, setup)
				if err == nil && c != nil && len(c.Steps) < len(best.Steps) {
					best, changed = c, true
					i -= chunk
				}
			}
		}
		if chunk == 1 {
			return best, nil
		}
	}
}

// opsWithout returns the operations of t without steps [i, j).
func (t *Trace) opsWithout(i, j int) ([]transitions.Op, []bool) {
	var ops []transitions.Op
	var setup []bool
	for k, st := range t.Steps {
		if k < i || k >= j {
			ops = append(ops, st.Op)
			setup = append(setup, st.Setup)
		}
	}
	return ops, setup
}

// violating replays ops under t's variant and scope and returns the trace
// cut at the first state that violates t's property, with every return to
// a state already visited cut out; nil if the property holds throughout.
// Returns are judged on states canonical in their objects only, with
// processes in their slots: the operations after a return then apply as
// they did, so cutting the loop leaves a valid path.
func (t *Trace) violating(ops []transitions.Op, setup []bool) (*Trace, error) {
	for {
		r, err := Replay(t.Variant, t.Scope, t.Property, ops, setup)
		if err != nil {
			return nil, err
		}
		env := t.Variant.Env(t.Scope.Procs)
		seen := map[uint64]int{}
		var c state.State
		s := transitions.Initial()
		state.Canonical(&c, &s)
		seen[c.Fingerprint()] = -1
		cut := false
		for i := range r.Steps {
			state.Canonical(&c, &r.Steps[i].Raw)
			fp := c.Fingerprint()
			if j, ok := seen[fp]; ok {
				// Steps j+1..i lead back to the state after step j.
				ops = append(ops[:j+1:j+1], ops[i+1:]...)
				setup = append(setup[:j+1:j+1], setup[i+1:]...)
				cut = true
				break
			}
			seen[fp] = i
			if !t.Property.Judge(&r.Steps[i].After, env) {
				if i+1 < len(r.Steps) || r.Skipped > 0 {
					ops, setup = ops[:i+1], setup[:i+1]
					cut = true
				}
				break
			}
		}
		if !cut {
			if r.Holds() {
				return nil, nil
			}
			return r, nil
		}
	}
}
