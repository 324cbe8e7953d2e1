package cli

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"anoncheck/run"
	"anoncheck/transitions"
)

// printCoverage prints what a run's transitions reached: how often each
// operation kind was applied, which kernel functions were never entered,
// how often each case was taken, and which assertions fired; and, if
// vacuous, that the operations never reached the anon_vma code.
func printCoverage(w io.Writer, indent string, c *transitions.Coverage, vacuous bool) {
	fmt.Fprintf(w, "%scoverage (transitions that reached each point):\n", indent)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	var ops []string
	for _, k := range transitions.OpKinds() {
		ops = append(ops, fmt.Sprintf("%s %d", k, c.Op(k)))
	}
	fmt.Fprintf(tw, "%s  operations\t%s\n", indent, strings.Join(ops, ", "))
	var never []string
	fns := transitions.Fns()
	for _, f := range fns {
		if c.Fn(f) == 0 {
			never = append(never, f.String())
		}
	}
	line := fmt.Sprintf("%d of %d entered", len(fns)-len(never), len(fns))
	if len(never) > 0 {
		line += "; never: " + strings.Join(never, ", ")
	}
	fmt.Fprintf(tw, "%s  functions\t%s\n", indent, line)
	var cases []string
	for _, x := range transitions.Cases() {
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
	tw.Flush()
	if vacuous {
		fmt.Fprintf(w, "%s  no anon_vma was ever allocated: the operations never reached the anon_vma code, so no property was put to the test (add write to --ops)\n", indent)
	}
}

// writeCoverageMatrix prints a row of coverage per variant after the
// verdict matrix.
func writeCoverageMatrix(w io.Writer, out *run.Outcome) error {
	fmt.Fprintln(w, "coverage (points reached of those modelled):")
	width := len("variant")
	for _, r := range out.Runs {
		width = max(width, len(r.Variant.Name))
	}
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "%-*s\toperations\tfunctions\tcases\tassertions fired\t\n", width, "variant")
	for _, r := range out.Runs {
		c := r.Coverage()
		nops, nfn, ncase, nassert := 0, 0, 0, 0
		for _, k := range transitions.OpKinds() {
			if c.Op(k) > 0 {
				nops++
			}
		}
		for _, f := range transitions.Fns() {
			if c.Fn(f) > 0 {
				nfn++
			}
		}
		for _, x := range transitions.Cases() {
			if c.Case(x) > 0 {
				ncase++
			}
		}
		for _, a := range transitions.Assertions() {
			if c.Assertion(a) > 0 {
				nassert++
			}
		}
		fmt.Fprintf(tw, "%-*s\t%d/%d\t%d/%d\t%d/%d\t%d\t\n", width, r.Variant.Name, nops, len(transitions.OpKinds()),
			nfn, len(transitions.Fns()), ncase, len(transitions.Cases()), nassert)
	}
	return tw.Flush()
}
