package cli

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"anoncheck/run"
	"anoncheck/specs"
	"anoncheck/transitions"
)

// printCoverage prints what a run's transitions reached: how often each
// operation kind was applied, which kernel functions were never entered,
// how often each case was taken, and which assertions fired; and, if
// vacuous, that the operations never reached the anon_vma code.
func printCoverage(w io.Writer, indent string, c *transitions.Coverage, v *specs.Variant, sc *transitions.Scope, vacuous bool) {
	fns, modelledCases := run.Modelled(v, sc)
	table := v.Funcs()
	fmt.Fprintf(w, "%scoverage (transitions that reached each point):\n", indent)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	var ops []string
	for _, k := range sc.Ops.Kinds() {
		ops = append(ops, fmt.Sprintf("%s %d", k, c.Op(k)))
	}
	fmt.Fprintf(tw, "%s  operations\t%s\n", indent, strings.Join(ops, ", "))
	var never []string
	for _, f := range fns {
		if c.Fn(f) == 0 {
			never = append(never, table.Name(f))
		}
	}
	line := fmt.Sprintf("%d of %d entered", len(fns)-len(never), len(fns))
	if len(never) > 0 {
		line += "; never: " + strings.Join(never, ", ")
	}
	fmt.Fprintf(tw, "%s  functions\t%s\n", indent, line)
	var cases []string
	for _, x := range modelledCases {
		cases = append(cases, fmt.Sprintf("%s %d", x.Short(), c.Case(x)))
	}
	fmt.Fprintf(tw, "%s  cases\t%s\n", indent, strings.Join(cases, ", "))
	var fired []string
	for _, a := range transitions.Assertions() {
		if n := c.Assertion(a); n > 0 {
			fired = append(fired, fmt.Sprintf("%s %d", a, n))
		}
	}
	if len(fired) == 0 {
		fired = []string{"none fired"}
	}
	fmt.Fprintf(tw, "%s  assertions\t%s\n", indent, strings.Join(fired, "; "))
	var injected []string
	total := uint64(0)
	for _, a := range transitions.AllocSites() {
		injected = append(injected, fmt.Sprintf("%s %d", a, c.Injected(a)))
		total += c.Injected(a)
	}
	if total > 0 { // only with --fail-alloc
		fmt.Fprintf(tw, "%s  failed\t%s (allocations made to fail)\n", indent, strings.Join(injected, ", "))
	}
	tw.Flush()
	if vacuous {
		fmt.Fprintf(w, "%s  no anon_vma was ever allocated: the operations never reached the anon_vma code, so no property was put to the test (add write to --ops)\n", indent)
	}
}
