package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"anoncheck/run"
	"anoncheck/traces"
)

func newDiffCmd(f *checkFlags, stdout, stderr io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "diff A B",
		Short: "Find the shortest operation sequence on which two variants disagree",
		Long: `diff runs variants A and B side by side on the same operations, breadth
first from every initial layout, and prints the shortest sequence after which
their kernel states differ (anon_vma reuse counters aside) or a property
holds under one and not the other, as a trace under each. It first lists
the fields of the objects that differ after the last step ("D anon_vma: av3
under v5.4, av1 under v5.5-rc5"), and marks the trace under B where it
departs from the run under A: lines only under B '+', only under A '-'.
Exit status: 0 no difference within the bound, 1 a difference, 2 bad
input, 3 incomplete.`,
		Example: `  anoncheck diff v5.4 v5.5-rc5 --bound 2
  anoncheck diff khlebnikov-fix-v2 lixinhai-proposal --pages 2 --procs 3 --bound 4`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 2 {
				return usageErr("diff takes two variant names, got %d (anoncheck specs lists them)", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDiff(cmd.Context(), f, args[0], args[1], stdout, stderr)
		},
	}
}

func runDiff(ctx context.Context, f *checkFlags, an, bn string, stdout, stderr io.Writer) error {
	cfg, err := f.config(stderr)
	if err != nil {
		return err
	}
	a, err := lookupVariant("diff", an)
	if err != nil {
		return err
	}
	b, err := lookupVariant("diff", bn)
	if err != nil {
		return err
	}
	d, err := run.Diff(ctx, cfg, a, b)
	if err != nil {
		return err
	}
	where := fmt.Sprintf("%s, bound %d", &cfg.Scope, f.bound)
	switch {
	case !d.Differ() && !d.Result.Complete:
		fmt.Fprintf(stdout, "diff %s %s: no difference in the %d pairs of states explored (%s), but the run stopped early: %s\n",
			an, bn, d.Result.Stats.States, where, stopFlag(d.Stop))
		return exitWith(d.Code(), "incomplete")
	case !d.Differ():
		fmt.Fprintf(stdout, "diff %s %s: no difference within the bound (%s; %d pairs of states)\n", an, bn, where, d.Result.Stats.States)
		return nil
	}
	fmt.Fprintf(stdout, "diff %s %s: they first differ after %d operation(s) (%s)\n", an, bn, d.Result.Violations[0].Depth, where)
	if d.StatesDiffer {
		fmt.Fprintln(stdout, "  the kernel states differ")
	}
	if len(d.Fields) > 0 {
		fmt.Fprintln(stdout, "  fields that differ after the last step:")
		for _, f := range d.Fields {
			fmt.Fprintf(stdout, "    %s\n", f)
		}
	}
	holds := map[bool]string{true: "holds", false: "is violated"}
	for _, g := range d.Disagree {
		fmt.Fprintf(stdout, "  %s %s under %s and %s under %s\n", g.Property.Name, holds[g.HoldsA], an, holds[g.HoldsB], bn)
	}
	for _, t := range []*traces.Trace{d.TA, d.TB} {
		fmt.Fprintf(stdout, "\n=== under %s", t.Variant.Name)
		if t.Against != nil {
			fmt.Fprintf(stdout, ", marked where it departs from the run under %s", t.Against.Variant.Name)
		}
		fmt.Fprintln(stdout)
		if err := traces.WriteText(stdout, t); err != nil {
			return err
		}
	}
	return exitWith(d.Code(), "variants differ")
}
