package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"anoncheck/run"
	"anoncheck/specs"
)

type huntFlags struct {
	spec     string
	time     time.Duration
	seed     uint64
	maxDepth int
}

func newHuntCmd(stdout, stderr io.Writer) *cobra.Command {
	var h huntFlags
	f := defaultCheckFlags()
	cmd := &cobra.Command{
		Use:   "hunt --spec V[,V...] [--time 10m] [--seed S]",
		Short: "Search for violations beyond the reach of exhaustive search: a swarm of walks and narrowed searches",
		Long: `hunt looks for violations too deep for the exhaustive search of the main
command: bugs that need three processes and a dozen operations. It runs a
swarm of small searches drawn from --seed, one after another, for --time per
variant: first breadth first over the whole scope (the shallow violations),
then long random walks that each favour some operation kinds over others
(weights drawn at random), and breadth-first searches narrowed to the kinds
a member favours, some in a smaller scope. Walks start from the initial
layouts; where there are more than 200,000 (pages 4 and up), from the
first 200,000 extended by random setup operations, and each walk's line
says so; the breadth-first searches then cover three pages, since the
layouts alone would fill their budgets. The first violation found is
minimised and shrunk to a short trace in the scope asked for, and written
with --out like any other (anoncheck replay, anoncheck repro).

A hunt that finds nothing proves nothing: it prints "no violation found"
with what it covered, never "holds". The same --seed and --workers run the
same members in the same order, so a hunt that finds a violation within
--time finds the same one again.

--format json prints one JSON document for scripts (Go type run.HuntReport
documents each field; names are stable within a version): format
"anoncheck-hunt", version 1, tool, exit, seed, workers, time_seconds,
max_depth, scope, not_hunted, files, and variants [{variant, seconds,
cancelled, finding (null if none: {property, operations,
found_operations, member, after_seconds, trace {property, json, html}}),
covered {members, bfs_members, walk_members, bfs_states, bfs_depth,
walk_steps, walk_distinct_states, walk_longest}, members [{index, kind
(bfs or walk), plan, states, steps, distinct_states, depth, seconds,
found, layouts, layouts_complete (walks)}], coverage (as the main command's)}].

Exit status: 1 a violation was found, 0 none was, 2 bad usage.`,
		Example: `  anoncheck hunt --spec v5.4 --procs 3 --pages 2 --time 10m
  anoncheck hunt --spec v5.4,v6.1 --procs 3 --time 5m --seed 7 --out out
  anoncheck hunt --spec khlebnikov-fix-v1 --time 30s`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runHunt(cmd.Context(), f, &h, stdout, stderr)
		},
	}
	cmd.Flags().StringVar(&h.spec, "spec", "", "variants to hunt in, comma-separated, or all (required)")
	cmd.Flags().DurationVar(&h.time, "time", 10*time.Minute, "how long to hunt in each variant")
	cmd.Flags().Uint64Var(&h.seed, "seed", 1, "chooses the swarm's members: the same seed and --workers give the same hunt")
	cmd.Flags().IntVar(&h.maxDepth, "max-depth", 64, "the longest walk, and the bound of the breadth-first members (operations after setup)")
	f.register(cmd, join(scopeFlags, []string{"max-memory", "workers", "progress"}, traceFlags)...)
	return cmd
}

func runHunt(ctx context.Context, f *checkFlags, h *huntFlags, stdout, stderr io.Writer) error {
	if h.spec == "" {
		return usageErr("hunt: --spec is required (anoncheck specs lists the variants, or say all)")
	}
	if h.time <= 0 {
		return usageErr("--time %s: must be positive", h.time)
	}
	if h.maxDepth < 8 {
		return usageErr("--max-depth %d: must be at least 8", h.maxDepth)
	}
	cfg, err := f.config(stderr)
	if err != nil {
		return err
	}
	if cfg.Variants, err = selectVariants(h.spec); err != nil {
		return usageErr("%v", err)
	}
	if f.format == "html" && f.out == "" && f.traces {
		return usageErr("--format html: one page per trace; add --out DIR")
	}
	if err := prepareOut(f.out); err != nil {
		return err
	}
	cfg.Limits.Timeout = h.time
	hc := &run.HuntConfig{Config: *cfg, Seed: h.seed, MaxDepth: h.maxDepth}
	var prog func(*specs.Variant, *run.MemberResult)
	if cfg.Progress != nil {
		prog = huntProgress(stderr)
	}
	out, err := run.RunHunt(ctx, hc, prog)
	if err != nil {
		return runError(f, err)
	}
	files := &written{w: stderr}
	if f.format == "json" {
		if err := printHuntJSON(stdout, f, hc, out, files); err != nil {
			return err
		}
		return exitWith(out.Code(), "violation found")
	}
	for _, hu := range out.Hunts {
		if err := printHunt(stdout, f, hc, hu, files); err != nil {
			return err
		}
	}
	if n := len(cfg.Variants) - len(out.Hunts); n > 0 {
		fmt.Fprintf(stdout, "stopped by a signal: %d more variant(s) not hunted\n", n)
	}
	return exitWith(out.Code(), "violation found")
}

// huntProgress prints each member's result as it ends.
func huntProgress(w io.Writer) func(*specs.Variant, *run.MemberResult) {
	return func(v *specs.Variant, r *run.MemberResult) {
		fmt.Fprintf(w, "%s: %s: %s\n", v.Name, r.Member.String(), memberCovered(r))
	}
}

// memberCovered says what a member covered.
func memberCovered(r *run.MemberResult) string {
	s := ""
	switch r.Member.Kind {
	case run.MemberBFS:
		s = fmt.Sprintf("%d states to depth %d", r.States, r.Depth)
	case run.MemberWalk:
		s = fmt.Sprintf("%d steps, ~%.0f distinct states, longest walk %d", r.Steps, r.Distinct, r.Depth)
		if !r.LayoutsComplete {
			s += fmt.Sprintf(", from %d initial layouts (not all) extended by random setup operations", r.Layouts)
		}
	}
	s += fmt.Sprintf(" in %s", r.Elapsed.Round(time.Millisecond))
	if r.Found {
		s += ": found a violation"
	}
	return s
}

// printHunt prints one variant's hunt: what it found, or what it covered.
func printHunt(w io.Writer, f *checkFlags, hc *run.HuntConfig, hu *run.Hunt, files *written) error {
	fmt.Fprintf(w, "hunt %s (%s, seed %d, %d workers, up to %s, walks up to %d operations)\n",
		hu.Variant.Name, &hc.Scope, hc.Seed, hc.Workers, hc.Limits.Timeout, hc.MaxDepth)
	bfs, steps, distinct, bfsDepth, walkDepth := hu.Covered()
	nb, nw := 0, 0
	for _, m := range hu.Members {
		if m.Member.Kind == run.MemberBFS {
			nb++
		} else {
			nw++
		}
	}
	covered := fmt.Sprintf("%d member(s) in %s: %d breadth-first (%d states, deepest complete level %d), %d walking (%d steps, ~%.2g distinct states, walks up to %d operations)",
		len(hu.Members), hu.Elapsed.Round(time.Millisecond), nb, bfs, bfsDepth, nw, steps, distinct, walkDepth)
	if hu.Finding == nil {
		why := "the time was up"
		if hu.Cancelled {
			why = "a signal stopped it"
		}
		fmt.Fprintf(w, "  no violation found (%s); a hunt is not exhaustive, so this proves nothing\n", why)
		fmt.Fprintf(w, "  covered: %s\n", covered)
		printDrawn(w, hc, hu)
		printCoverage(w, "  ", hu.Coverage(), hu.Variant, &hc.Scope, run.Vacuous(hu.Coverage()))
		fmt.Fprintln(w)
		return nil
	}
	fd := hu.Finding
	fmt.Fprintf(w, "  %s VIOLATED after %d operation(s) (shrunk from the %d of the path found)\n",
		fd.Property.Name, fd.Trace.Depth(), fd.Found)
	fmt.Fprintf(w, "  found after %s by member %s\n", fd.After.Round(time.Millisecond), strings.TrimPrefix(fd.Member.String(), "#"))
	fmt.Fprintf(w, "  covered: %s\n", covered)
	printDrawn(w, hc, hu)
	printCoverage(w, "  ", hu.Coverage(), hu.Variant, &hc.Scope, run.Vacuous(hu.Coverage()))
	if err := emitTrace(w, f, fd.Trace, files); err != nil {
		return err
	}
	fmt.Fprintln(w)
	return nil
}

// printDrawn says where the members covered less than the scope's pages
// for want of room for its initial layouts: breadth-first members at
// fewer pages, walks from layouts drawn rather than all enumerated.
func printDrawn(w io.Writer, hc *run.HuntConfig, hu *run.Hunt) {
	bfsPages, layouts, drawn := 0, 0, false
	for _, m := range hu.Members {
		if m.Member.Kind == run.MemberBFS {
			bfsPages = max(bfsPages, m.Member.Scope.Pages)
		} else if !m.LayoutsComplete && m.Steps > 0 && m.Member.Scope.Pages == hc.Scope.Pages {
			drawn, layouts = true, m.Layouts
		}
	}
	if bfsPages > 0 && bfsPages < hc.Scope.Pages {
		fmt.Fprintf(w, "  breadth-first members searched at most pages=%d: the initial layouts of pages=%d fill their budgets\n",
			bfsPages, hc.Scope.Pages)
	}
	if drawn {
		fmt.Fprintf(w, "  walks at pages=%d started from %d enumerated initial layouts extended by random setup operations, not from all of them\n",
			hc.Scope.Pages, layouts)
	}
}
