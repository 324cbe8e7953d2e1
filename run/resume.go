package run

import (
	"fmt"
	"slices"
	"strings"

	"anoncheck/check"
	"anoncheck/specs"
	"anoncheck/transitions"
)

// The configuration a checkpoint belongs to is stored in it readably, as
// name=value lines (check.Config.Identity), so that a mismatch can name
// what differs. The names are the configuration's: variant, pages, procs,
// prots, ops, fail-alloc (only when not 0), symmetry, properties; and
// model, the digest of the
// variant's model and scope (specs.Model.ConfigDigest without the bound),
// which differs alone when another version of anoncheck wrote the file.
// The bound is not part of it: a search may be resumed to another bound.

// identityNames are the names of the identity's lines, in order.
var identityNames = []string{"variant", "pages", "procs", "prots", "ops", "symmetry", "properties", "model"}

// identity is the configuration of m's run checking props.
func identity(m *specs.Model, props []*specs.Property) string {
	var names []string
	for _, p := range props {
		names = append(names, p.Name)
	}
	// The advices go with the operations, and only when they are not the
	// default, so that a default run's identity is what it was before
	// --advices.
	ops := m.Scope.Ops.String()
	if a := transitions.AdvicesString(m.Scope.Advices); a != "fork" {
		ops += " advices " + a
	}
	vals := []string{m.Variant.Name, fmt.Sprint(m.Scope.Pages), fmt.Sprint(m.Scope.Procs), m.Scope.ProtsString(),
		ops, m.Symmetry.String(), strings.Join(names, ","), m.ConfigDigest(0)}
	var b strings.Builder
	for i, n := range identityNames {
		fmt.Fprintf(&b, "%s=%s\n", n, vals[i])
		if n == "ops" && m.Scope.FailAlloc != 0 {
			// Only when allocations may fail: a run without keeps the
			// identity, and the checkpoints, it had before the flag.
			fmt.Fprintf(&b, "fail-alloc=%d\n", m.Scope.FailAlloc)
		}
	}
	return b.String()
}

// CheckpointMismatch is the error of a checkpoint of another run than the
// one asked for.
type CheckpointMismatch struct {
	Path  string
	Tool  string               // the build that wrote it
	Diffs []check.IdentityDiff // named as identity names them
}

func (e *CheckpointMismatch) Error() string {
	var d []string
	for _, x := range e.Diffs {
		d = append(d, fmt.Sprintf("%s %q in the checkpoint, %q in this run", x.Name, x.Saved, x.Current))
	}
	return fmt.Sprintf("%s is of another run (%s), written by %s", e.Path, strings.Join(d, "; "), e.Tool)
}

// checkResume compares the checkpoint to resume with the run of m: a
// checkpoint of another configuration is a *CheckpointMismatch, one that
// cannot be read a *ResumeError.
func (c *Config) checkResume(m *specs.Model, props []*specs.Property) error {
	h, err := check.ReadCheckpointHeader(c.Resume)
	if err != nil {
		return &ResumeError{fmt.Errorf("checkpoint %s: %v", c.Resume, err)}
	}
	d := check.DiffIdentities(h.Identity, identity(m, props))
	if len(d) > 1 {
		// The model's digest covers the variant and scope: it differs
		// with them, and alone says something only when alone.
		d = slices.DeleteFunc(d, func(x check.IdentityDiff) bool { return x.Name == "model" })
	}
	if len(d) > 0 {
		return &CheckpointMismatch{Path: c.Resume, Tool: h.Tool, Diffs: d}
	}
	return nil
}
