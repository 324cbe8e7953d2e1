package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"anoncheck/run"
	"anoncheck/specs"
	"anoncheck/traces"
)

type gateFlags struct {
	spec, baseline        string
	junit, ktap, markdown string
}

func newGateCmd(stdout, stderr io.Writer) *cobra.Command {
	var g gateFlags
	f := defaultCheckFlags()
	cmd := &cobra.Command{
		Use:   "gate --spec CANDIDATE [--baseline BASE]",
		Short: "Fail (exit 1) when a candidate variant violates a safety property, or one its baseline does not",
		Long: `gate checks one candidate variant, and optionally a baseline, at the scope
and bound given, and exits 1 when the candidate violates a safety property;
with --baseline, only a property the baseline satisfies counts against the
candidate. Advisory properties never gate. A run that cannot finish (state
limit, capacity, interrupt) exits 3: it certifies nothing.

The verdicts can also be written for CI systems, each file written whole or
not at all: JUnit XML (one test case per variant and property), KTAP (the
kernel's test output format) and a Markdown summary for a pull request
comment or a job summary.`,
		Example: `  anoncheck gate --spec khlebnikov-fix-v1 --baseline v5.5-rc5 --bound 3
  anoncheck gate --spec v5.7 --pages 3 --procs 1 --bound 1 --junit out/anoncheck.xml --markdown "$GITHUB_STEP_SUMMARY"`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runGate(cmd.Context(), f, &g, stdout, stderr)
		},
	}
	cmd.Flags().StringVar(&g.spec, "spec", "", "the candidate variant (required)")
	cmd.Flags().StringVar(&g.baseline, "baseline", "", "a variant whose violations the candidate may share without failing")
	cmd.Flags().StringVar(&g.junit, "junit", "", "write JUnit XML to this file (named on stderr when written)")
	cmd.Flags().StringVar(&g.ktap, "ktap", "", "write KTAP to this file (named on stderr when written)")
	cmd.Flags().StringVar(&g.markdown, "markdown", "", "write a Markdown summary to this file (named on stderr when written)")
	f.register(cmd, join([]string{"bound", "shrink"}, scopeFlags, limitFlags, engineFlags)...)
	return cmd
}

func runGate(ctx context.Context, f *checkFlags, g *gateFlags, stdout, stderr io.Writer) error {
	if g.spec == "" {
		return usageErr("gate: --spec CANDIDATE is required (anoncheck specs lists the variants)")
	}
	cfg, err := f.config(stderr)
	if err != nil {
		return err
	}
	cand, err := lookupVariant("--spec", g.spec)
	if err != nil {
		return err
	}
	var base *specs.Variant
	if g.baseline != "" {
		if base, err = lookupVariant("--baseline", g.baseline); err != nil {
			return err
		}
	}
	reports := [][2]string{{"junit", g.junit}, {"ktap", g.ktap}, {"markdown", g.markdown}}
	if err := refuseSameFile(reports...); err != nil {
		return err
	}
	for _, o := range reports {
		if err := checkOutputPath(o[0], o[1]); err != nil {
			return usageErr("%v", err)
		}
	}
	if err := makeParents(reports...); err != nil {
		return err
	}
	out, err := run.Gate(ctx, cfg, cand, base)
	if err != nil {
		return runError(f, err)
	}
	rep := out.Report
	files := &written{w: stderr}
	for _, o := range []struct {
		path  string
		write func(io.Writer, *traces.Report) error
	}{{g.junit, traces.WriteJUnit}, {g.ktap, traces.WriteKTAP}, {g.markdown, traces.WriteMarkdown}} {
		if o.path == "" {
			continue
		}
		if err := traces.WriteFileAtomic(o.path, func(w io.Writer) error { return o.write(w, rep) }); err != nil {
			return fmt.Errorf("writing %s: %v", o.path, err)
		}
		files.add(o.path)
	}

	fmt.Fprintf(stdout, "%s (%s, bound %d)\n", rep.Title, &cfg.Scope, f.bound)
	for _, vr := range rep.Variants {
		for _, vd := range vr.Verdicts {
			mark := ""
			if vd.Gating {
				mark = "  <- fails the gate"
			} else if vd.Undecided {
				mark = "  (undecided: the baseline run did not finish)"
			} else if !vd.Holds() && vr.Variant == cand && !vd.Property.Advisory {
				mark = "  (the baseline violates it too)"
			}
			fmt.Fprintf(stdout, "  %-20s %-26s %s%s\n", vr.Variant.Name, vd.Property.Name, vd.Status(), mark)
		}
	}
	against := ""
	if base != nil {
		against = " that " + base.Name + " satisfies"
	}
	switch {
	case out.Failed:
		fmt.Fprintf(stdout, "FAIL: %s violates a safety property%s\n", cand.Name, against)
	case out.Incomplete:
		fmt.Fprintln(stdout, "INCOMPLETE: a run stopped before the bound; nothing is certified")
	default:
		fmt.Fprintf(stdout, "PASS: %s violates no safety property%s\n", cand.Name, against)
	}
	return exitWith(out.Code(), "gate")
}
