// Command anoncheck is an explicit-state model checker for the Linux
// kernel's reverse-map bookkeeping of private anonymous memory (anon_vma,
// anon_vma_chain; fork, split, merge, unmap, fault and exit).
//
//	anoncheck --bound 5        check every variant to 5 operations after setup
//	anoncheck properties       list the safety properties
//
// Exit status: 0 no violation, 1 a violation, 2 bad usage or input, 3 a
// resource limit stopped the run before the bound was exhausted.
package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"anoncheck/check"
	"anoncheck/specs"
	"anoncheck/state"
	"anoncheck/traces"
	"anoncheck/transitions"
)

// Exit codes.
const (
	exitOK        = 0
	exitViolation = 1
	exitUsage     = 2
	exitLimit     = 3
)

// exitError carries an exit code out of a command.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }

func usageErr(format string, a ...any) error {
	return &exitError{exitUsage, fmt.Errorf(format, a...)}
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run executes the command line and returns the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := newRootCmd(stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil && ee.code != exitViolation && ee.code != exitLimit {
			fmt.Fprintf(stderr, "anoncheck: %v\n", ee.err)
		}
		return ee.code
	}
	fmt.Fprintf(stderr, "anoncheck: %v\n", err)
	return exitUsage
}

type checkFlags struct {
	bound     int
	pages     int
	procs     int
	prots     string
	spec      string
	maxStates int
	progress  string
	traces    bool
	out       string
	timeout   time.Duration
	maxMemory string
	selfCheck bool
	workers   int
	format    string
	symmetry  string
	ops       string

	verifyStates    bool
	checkpoint      string
	checkpointEvery time.Duration
	resume          string
	force           bool
	shrink          bool
}

// symmetryOf returns the --symmetry level; prepare has validated it.
func symmetryOf(f checkFlags) state.Symmetry {
	y, _ := state.ParseSymmetry(f.symmetry)
	return y
}

func newRootCmd(stdout, stderr io.Writer) *cobra.Command {
	var f checkFlags
	root := &cobra.Command{
		Use:   "anoncheck",
		Short: "Model-check the kernel's anon_vma bookkeeping for each patch variant",
		Long: `anoncheck explores every ordering of mmap, write faults, mprotect, madvise,
munmap, fork and exit, up to a bound, on a model of the Linux anon_vma code
(mm/rmap.c, mm/mmap.c, kernel/fork.c, mm/memory.c), starting from every
one-process layout within the scope, and checks the safety properties in
every state it reaches. Each variant (a kernel version or a proposed patch)
gets a verdict per property; a violation comes with its shortest trace.

Exit status: 0 no violation, 1 a violation was found, 2 bad usage or bad
input, 3 a resource limit stopped the run before the bound was exhausted.`,
		Example: `  anoncheck --bound 5                  all variants, 5 operations after setup
  anoncheck --spec v5.4 --bound 0      explore the default scope to its fixpoint
  anoncheck --pages 3 --procs 1 --bound 2
  anoncheck properties                 list the properties`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runCheck(cmd.Context(), f, stdout, stderr)
		},
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return usageErr("%v (see anoncheck --help)", err)
	})
	def := transitions.DefaultScope()
	pf := root.PersistentFlags()
	pf.IntVar(&f.bound, "bound", 5, "largest number of operations after the initial layout (BFS depth); 0 explores the scope to its fixpoint")
	pf.IntVar(&f.pages, "pages", def.Pages, fmt.Sprintf("page slots in each address space (1..%d)", state.MaxSlots))
	pf.IntVar(&f.procs, "procs", def.Procs, fmt.Sprintf("processes alive at once (1..%d)", state.MaxProcs))
	pf.StringVar(&f.prots, "prots", def.ProtsString(), "protections mmap and mprotect use, comma-separated (none, r, rw, rx, rwx, ...)")
	pf.IntVar(&f.maxStates, "max-states", 0, "stop a variant's run after this many states (0: no limit); the run then exits 3")
	pf.DurationVar(&f.timeout, "timeout", 0, "stop after this long (e.g. 90s, 10m; 0: no limit); the run then exits 3")
	pf.StringVar(&f.maxMemory, "max-memory", "auto", "stop when the Go heap exceeds this (e.g. 2GiB, 500MiB; auto: 3/4 of physical memory; 0: no limit); the run then exits 3")
	pf.IntVar(&f.workers, "workers", runtime.GOMAXPROCS(0), "goroutines computing successors (results do not depend on it)")
	pf.StringVar(&f.symmetry, "symmetry", "full", "states identified by renaming: full (processes and objects), objects (VMAs, anon_vmas, pages), off (none; for cross-checks)")
	pf.StringVar(&f.ops, "ops", "all", "operation kinds explored, comma-separated: mmap, write, mprotect, madvise, munmap, fork, exit (setup may always mmap)")
	pf.BoolVar(&f.selfCheck, "self-check", false, "also check the model's own structures in every state (slower; a failure is a model bug)")
	pf.StringVar(&f.progress, "progress", "auto", "progress on stderr: auto (a live line on a terminal, a line every 10 s otherwise), always, never")
	fl := root.Flags()
	fl.StringVar(&f.spec, "spec", "all", "variants to check, comma-separated, or all (anoncheck specs lists them)")
	fl.StringVar(&f.out, "out", "", "write each violation's shortest trace as JSON to this directory, created if missing (VARIANT.PROPERTY.json, for anoncheck replay; with --format html also VARIANT.PROPERTY.html)")
	pf.StringVar(&f.format, "format", "text", "trace format: text (mailable), markdown (with Mermaid diagrams of the anon_vma tree) or html (a self-contained page to step through; the main command writes one per trace into --out)")
	fl.StringVar(&f.checkpoint, "checkpoint", "", "write the search to this file every --checkpoint-every and when stopped by a limit or an interrupt (one --spec only)")
	fl.DurationVar(&f.checkpointEvery, "checkpoint-every", 5*time.Minute, "how often --checkpoint writes")
	fl.StringVar(&f.resume, "resume", "", "continue the search saved in this checkpoint file (same --spec, scope and options; a --bound no smaller than the depth it reached, or 0)")
	pf.BoolVar(&f.verifyStates, "verify-states", false, "keep every state beside its fingerprint and stop if two states share one (small scopes; memory for every state)")
	pf.BoolVar(&f.shrink, "shrink", true, "simplify each shortest trace (fewer processes, VMAs, pages, writes, simpler prots) keeping its length; --shrink=false prints the explorer's own")
	pf.BoolVar(&f.force, "force", false, "run even when the size estimate says the run cannot fit in --max-memory")
	fl.BoolVar(&f.traces, "traces", true, "print the shortest trace of each violation (--traces=false for verdicts only)")

	root.AddCommand(newPropertiesCmd(stdout), newSpecsCmd(stdout), newGateCmd(&f, stdout, stderr),
		newDiffCmd(&f, stdout, stderr), newReplayCmd(stdout, stderr), newReproCmd(stdout))
	return root
}

// unusedFlags refuses flags a subcommand inherits but does not use, so
// that a flag given there is never silently ignored. With no names, every
// flag set on the command line is refused.
func unusedFlags(cmd *cobra.Command, names ...string) error {
	var err error
	cmd.Flags().Visit(func(fl *pflag.Flag) {
		if err != nil {
			return
		}
		if len(names) == 0 || slices.Contains(names, fl.Name) {
			err = usageErr("%s: --%s does not apply to this command", cmd.Name(), fl.Name)
		}
	})
	return err
}

func newPropertiesCmd(stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:     "properties",
		Short:   "List the safety properties with their statement and the kernel failure each stands for",
		Example: "  anoncheck properties",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := unusedFlags(cmd); err != nil {
				return err
			}
			tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
			for _, p := range specs.Properties() {
				kind := "safety"
				if p.Advisory {
					kind = "advisory"
				} else if p.Limit {
					kind = "limit"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\n", p.Name, kind, p.Statement)
				fmt.Fprintf(tw, "\t\tkernel failure: %s\n", p.Failure)
			}
			return tw.Flush()
		},
	}
}

type gateFlags struct {
	spec, baseline        string
	junit, ktap, markdown string
}

func newGateCmd(f *checkFlags, stdout, stderr io.Writer) *cobra.Command {
	var g gateFlags
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
			return runGate(cmd.Context(), *f, g, stdout, stderr)
		},
	}
	cmd.Flags().StringVar(&g.spec, "spec", "", "the candidate variant (required)")
	cmd.Flags().StringVar(&g.baseline, "baseline", "", "a variant whose violations the candidate may share without failing")
	cmd.Flags().StringVar(&g.junit, "junit", "", "write JUnit XML to this file")
	cmd.Flags().StringVar(&g.ktap, "ktap", "", "write KTAP to this file")
	cmd.Flags().StringVar(&g.markdown, "markdown", "", "write a Markdown summary to this file")
	return cmd
}

// checkOutputPath rejects an output file whose directory does not exist.
func checkOutputPath(flag, path string) error {
	if path == "" {
		return nil
	}
	dir := filepath.Dir(path)
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return fmt.Errorf("--%s %q: directory %q does not exist", flag, path, dir)
	}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return fmt.Errorf("--%s %q: is a directory; name a file", flag, path)
	}
	if err := probeWritable(dir); err != nil {
		return fmt.Errorf("--%s %q: cannot write in %q: %v", flag, path, dir, err)
	}
	return nil
}

// probeWritable creates and removes a file in dir, to find out before a
// long run, not after it, that nothing can be written there (a read-only
// directory, /proc).
func probeWritable(dir string) error {
	probe, err := os.CreateTemp(dir, ".anoncheck-probe*")
	if err != nil {
		return err
	}
	probe.Close()
	return os.Remove(probe.Name())
}

func runGate(ctx context.Context, f checkFlags, g gateFlags, stdout, stderr io.Writer) error {
	if g.spec == "" {
		return usageErr("gate: --spec CANDIDATE is required (anoncheck specs lists the variants)")
	}
	sc, ctx, cancel, prog, err := prepare(ctx, f, stderr)
	if err != nil {
		return err
	}
	defer cancel()
	cand, err := specs.Lookup(g.spec)
	if err != nil {
		return usageErr("--spec: %v", err)
	}
	var base *specs.Variant
	if g.baseline != "" {
		if base, err = specs.Lookup(g.baseline); err != nil {
			return usageErr("--baseline: %v", err)
		}
	}
	for _, o := range [][2]string{{"junit", g.junit}, {"ktap", g.ktap}, {"markdown", g.markdown}} {
		if err := checkOutputPath(o[0], o[1]); err != nil {
			return usageErr("%v", err)
		}
	}
	props := properties(f)
	variants := []*specs.Variant{cand}
	if base != nil {
		variants = append(variants, base)
	}
	rep := &traces.Report{Title: fmt.Sprintf("anoncheck gate: %s", cand.Name)}
	if base != nil {
		rep.Title += " against " + base.Name
	}
	incomplete := false
	sized := false
	for _, v := range variants {
		res, err := runVariant(ctx, &specs.Model{Variant: v, Scope: sc, Symmetry: symmetryOf(f)}, f, props, prog, &sized)
		if err != nil {
			return err
		}
		vr := traces.VariantReport{Variant: v, Scope: sc.String(),
			Bound: f.bound, States: res.Stats.States, Seconds: res.Stats.Elapsed.Seconds()}
		complete := res.Complete
		for i, p := range props {
			if p.Limit && res.Violated(i) {
				complete = false
			}
		}
		incomplete = incomplete || !complete
		for i, p := range props {
			if p.Limit {
				continue
			}
			vd := traces.Verdict{Property: p, Depth: specs.Holds, Complete: complete}
			if res.Violated(i) {
				vd.Depth = res.Violations[i].Depth
				t, err := violationTrace(v, sc, f, p, res.Violations[i].Path)
				if err != nil {
					return err
				}
				vd.Trace = t
			}
			vr.Verdicts = append(vr.Verdicts, vd)
		}
		rep.Variants = append(rep.Variants, vr)
		if res.Stop == check.Cancelled {
			break
		}
	}
	// Which of the candidate's violations gate. A violation found is real
	// however far its run got, but "the baseline satisfies it" needs the
	// baseline's run to have finished: against a baseline cut short (or
	// never run, when the candidate's run was interrupted) the violation
	// decides nothing, and the gate is incomplete.
	failed := false
	cv := &rep.Variants[0]
	for i := range cv.Verdicts {
		vd := &cv.Verdicts[i]
		if vd.Holds() || vd.Property.Advisory {
			continue
		}
		if base != nil {
			if len(rep.Variants) < 2 {
				vd.Undecided, incomplete = true, true
				continue
			}
			if bv := rep.Variants[1].Verdicts[i]; !bv.Holds() {
				continue
			} else if !bv.Complete {
				vd.Undecided, incomplete = true, true
				continue
			}
		}
		vd.Gating = true
		failed = true
	}

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
	}

	fmt.Fprintf(stdout, "%s (pages=%d procs=%d prots=%s, bound %d)\n", rep.Title, sc.Pages, sc.Procs, sc.ProtsString(), f.bound)
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
	switch {
	case failed:
		fmt.Fprintf(stdout, "FAIL: %s violates a safety property", cand.Name)
		if base != nil {
			fmt.Fprintf(stdout, " that %s satisfies", base.Name)
		}
		fmt.Fprintln(stdout)
		return &exitError{code: exitViolation, err: errors.New("gate failed")}
	case incomplete:
		fmt.Fprintln(stdout, "INCOMPLETE: a run stopped before the bound; nothing is certified")
		return &exitError{code: exitLimit, err: errors.New("gate incomplete")}
	}
	fmt.Fprintf(stdout, "PASS: %s violates no safety property", cand.Name)
	if base != nil {
		fmt.Fprintf(stdout, " that %s satisfies", base.Name)
	}
	fmt.Fprintln(stdout)
	return nil
}

func newDiffCmd(f *checkFlags, stdout, stderr io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "diff A B",
		Short: "Find the shortest operation sequence on which two variants disagree",
		Long: `diff runs variants A and B side by side on the same operations, breadth
first from every initial layout, and prints the shortest sequence after which
their kernel states differ (anon_vma reuse counters aside) or a property
holds under one and not the other, as a trace under each. Exit status: 0 no
difference within the bound, 1 a difference, 2 bad input, 3 incomplete.`,
		Example: `  anoncheck diff v5.4 v5.5-rc5 --bound 2
  anoncheck diff khlebnikov-fix-v2 lixinhai-proposal --pages 2 --procs 3 --bound 4`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 2 {
				return usageErr("diff takes two variant names, got %d (anoncheck specs lists them)", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := unusedFlags(cmd, "symmetry", "self-check", "format", "verify-states", "shrink", "force"); err != nil {
				return err
			}
			return runDiff(cmd.Context(), *f, args[0], args[1], stdout, stderr)
		},
	}
}

func runDiff(ctx context.Context, f checkFlags, an, bn string, stdout, stderr io.Writer) error {
	sc, ctx, cancel, prog, err := prepare(ctx, f, stderr)
	if err != nil {
		return err
	}
	defer cancel()
	a, err := specs.Lookup(an)
	if err != nil {
		return usageErr("diff: %v", err)
	}
	b, err := specs.Lookup(bn)
	if err != nil {
		return usageErr("diff: %v", err)
	}
	props := specs.Properties()
	m := &specs.PairModel{A: a, B: b, Scope: sc}
	mem, _ := parseBytes(f.maxMemory)
	cfg := check.Config[specs.Pair]{Bound: f.bound, MaxStates: f.maxStates, MaxMemory: mem, Workers: f.workers, StopWhenAllViolated: true,
		Properties: []check.Property[specs.Pair]{m.Agree(props)}}
	if prog != nil {
		cfg.Progress, cfg.ProgressEvery = prog.update(an+" vs "+bn), prog.every
	}
	res := check.Run[specs.Pair](ctx, m, cfg)
	if prog != nil {
		prog.done()
	}
	where := fmt.Sprintf("pages=%d procs=%d prots=%s, bound %d", sc.Pages, sc.Procs, sc.ProtsString(), f.bound)
	if !res.Violated(0) {
		if !res.Complete {
			fmt.Fprintf(stdout, "diff %s %s: no difference in the %d pairs of states explored (%s), but the run stopped early: %s\n",
				an, bn, res.Stats.States, where, stopFlag(res.Stop))
			return &exitError{code: exitLimit, err: errors.New("incomplete")}
		}
		fmt.Fprintf(stdout, "diff %s %s: no difference within the bound (%s; %d pairs of states)\n", an, bn, where, res.Stats.States)
		return nil
	}
	path := res.Violations[0].Path
	ta, err := traces.FromPathSym(a, sc, state.SymObjects, nil, path)
	if err != nil {
		return fmt.Errorf("replaying under %s: %v", an, err)
	}
	tb, err := traces.FromPathSym(b, sc, state.SymObjects, nil, path)
	if err != nil {
		return fmt.Errorf("replaying under %s: %v", bn, err)
	}
	fa, fb := ta.Final(), tb.Final()
	fmt.Fprintf(stdout, "diff %s %s: they first differ after %d operation(s) (%s)\n", an, bn, res.Violations[0].Depth, where)
	if !specs.SameKernelState(&fa, &fb) {
		fmt.Fprintln(stdout, "  the kernel states differ")
	}
	ea := a.Env(sc.Procs)
	eb := b.Env(sc.Procs)
	for _, p := range props {
		ha, hb := p.Judge(&fa, ea), p.Judge(&fb, eb)
		if ha != hb {
			holds := map[bool]string{true: "holds", false: "is violated"}
			fmt.Fprintf(stdout, "  %s %s under %s and %s under %s\n", p.Name, holds[ha], an, holds[hb], bn)
			if !ha {
				ta.Property = p
			} else {
				tb.Property = p
			}
		}
	}
	for _, t := range []*traces.Trace{ta, tb} {
		fmt.Fprintf(stdout, "\n=== under %s\n", t.Variant.Name)
		if err := traces.WriteText(stdout, t); err != nil {
			return err
		}
	}
	return &exitError{code: exitViolation, err: errors.New("variants differ")}
}

func newReplayCmd(stdout, stderr io.Writer) *cobra.Command {
	var spec string
	var quiet bool
	cmd := &cobra.Command{
		Use:   "replay FILE",
		Short: "Re-run a JSON trace under a variant: exit 1 if its property still fails, 0 if it now holds",
		Long: `replay re-executes a trace written by anoncheck --out, under the variant it
names or the one given with --spec, and judges the property it names in the
final state: exit 1 if it still fails, 0 if it now holds, the check to run
after a fix. A file that does not parse, has another format version, names
an unknown variant or property, or an operation its state cannot take is
exit 2 with one line naming the file, the step and the reason. So is,
replayed under the variant the file names, a step whose result or state
digest differs from the one recorded: the file was edited or written by
another version of the model, and its verdict would prove nothing.`,
		Example: `  anoncheck --spec khlebnikov-fix-v1 --bound 2 --out out
  anoncheck replay out/khlebnikov-fix-v1.own-anon-vma-linked.json
  anoncheck replay out/khlebnikov-fix-v1.own-anon-vma-linked.json --spec khlebnikov-fix-v2`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageErr("replay takes one trace file, got %d", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			format := cmd.Flag("format").Value.String()
			write, err := traceWriter(format)
			if err != nil {
				return usageErr("%v", err)
			}
			notes := stdout
			if format == "html" {
				notes = stderr // keep the page alone on stdout
			}
			return runReplay(args[0], spec, quiet, write, stdout, notes)
		},
	}
	cmd.Flags().StringVar(&spec, "spec", "", "replay under this variant instead of the one the trace names")
	cmd.Flags().BoolVar(&quiet, "quiet", false, "print only the verdict line")
	return cmd
}

// loadTrace reads a trace file and replays it under the variant it names,
// or under spec if given. Every error names the file and is exit 2.
func loadTrace(path, spec string) (*traces.Trace, *traces.File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, usageErr("%v", err)
	}
	file, err := traces.DecodeJSON(data)
	if err != nil {
		return nil, nil, usageErr("%s: %v", path, err)
	}
	name := file.Variant
	if spec != "" {
		name = spec
	}
	v, err := specs.Lookup(name)
	if err != nil {
		return nil, nil, usageErr("%s: %v", path, err)
	}
	prop, err := specs.LookupProperty(file.Property) // DecodeJSON requires one
	if err != nil {
		return nil, nil, usageErr("%s: %v", path, err)
	}
	sc, err := file.ScopeValue()
	if err != nil {
		return nil, nil, usageErr("%s: %v", path, err)
	}
	ops, setup, err := file.Ops()
	if err != nil {
		return nil, nil, usageErr("%s: %v", path, err)
	}
	t, err := traces.Replay(v, sc, prop, ops, setup)
	if err != nil {
		return nil, nil, usageErr("%s: %v", path, err)
	}
	return t, file, nil
}

// runReplay replays a trace file, writes the trace to stdout and the
// verdict and notes to notes.
func runReplay(path, spec string, quiet bool, write func(io.Writer, *traces.Trace) error, stdout, notes io.Writer) error {
	t, file, err := loadTrace(path, spec)
	if err != nil {
		return err
	}
	v, prop := t.Variant, t.Property
	if v.Name == file.Variant {
		if err := file.Check(t); err != nil {
			return usageErr("%s: %v", path, err)
		}
	}
	if t.Skipped > 0 {
		fmt.Fprintf(notes, "note: the kernel oopsed after step %d; the last %d step(s) were not run\n", len(t.Steps), t.Skipped)
	}
	if t.Holds() {
		fmt.Fprintf(notes, "%s: %s now holds under %s (exit 0)\n", path, prop.Name, v.Name)
		return nil
	}
	fmt.Fprintf(notes, "%s: %s still fails under %s (exit 1)\n", path, prop.Name, v.Name)
	if !quiet {
		if notes == stdout {
			fmt.Fprintln(stdout)
		}
		if err := write(stdout, t); err != nil {
			return err
		}
	}
	return &exitError{code: exitViolation, err: errors.New("still fails")}
}

func newReproCmd(stdout io.Writer) *cobra.Command {
	var spec, output string
	cmd := &cobra.Command{
		Use:   "repro FILE",
		Short: "Turn a JSON trace into a C program that performs it with real system calls",
		Long: `repro writes a C program (plain gcc, libc only) that performs the trace on the
running kernel: MAP_FIXED|MAP_PRIVATE|MAP_ANONYMOUS mmaps, writes for the
faults, mprotect, madvise, munmap, fork and exit, each process driven in the
trace's order by a controller. After every step the acting process compares
its /proc/self/maps with the layout the model predicts and the system call's
result with the model's, printing each difference; where the property
concerns rmap, the live processes end with madvise(MADV_PAGEOUT), an rmap
walk of their pages (when swap is configured).

A patch's bug shows only on a kernel carrying that patch; on another kernel
the program is expected to run cleanly. The program's header lists the
known layout differences between the modelled versions and current kernels.
The program exits 0 when every step matched, 1 when something differed, 2
when it could not set up.`,
		Example: `  anoncheck --spec khlebnikov-fix-v1 --bound 2 --out out
  anoncheck repro out/khlebnikov-fix-v1.rmap-reachable.json -o repro.c
  gcc -Wall -O1 -o repro repro.c && ./repro`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageErr("repro takes one trace file, got %d", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutputPath("output", output); err != nil {
				return usageErr("%v", err)
			}
			t, _, err := loadTrace(args[0], spec)
			if err != nil {
				return err
			}
			var buf bytes.Buffer
			if err := traces.WriteRepro(&buf, t); err != nil {
				return usageErr("%s: %v", args[0], err)
			}
			if output == "" {
				_, err := buf.WriteTo(stdout)
				return err
			}
			return traces.WriteFileAtomic(output, func(w io.Writer) error { _, err := buf.WriteTo(w); return err })
		},
	}
	cmd.Flags().StringVar(&spec, "spec", "", "predict the layouts under this variant instead of the one the trace names")
	cmd.Flags().StringVarP(&output, "output", "o", "", "write the program to this file (atomically) instead of standard output")
	return cmd
}

func newSpecsCmd(stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:     "specs",
		Short:   "List the variants (kernel versions and proposed patches) with what each follows",
		Example: "  anoncheck specs\n  anoncheck --spec v5.5-rc5,khlebnikov-fix-v1 --bound 4",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := unusedFlags(cmd); err != nil {
				return err
			}
			for _, v := range specs.All() {
				base := v.Base
				if base == "" {
					base = "(the v5.4 table)"
				}
				fmt.Fprintf(stdout, "%s\n  %s\n  follows: %s\n  base:    %s\n", v.Name, v.Summary, v.Follows, base)
				if v.Notes != "" {
					fmt.Fprintf(stdout, "  notes:   %s\n", v.Notes)
				}
				fmt.Fprintln(stdout)
			}
			return nil
		},
	}
}

// parseScope validates the scope flags.
func parseScope(f checkFlags) (transitions.Scope, error) {
	sc := transitions.DefaultScope()
	sc.Pages, sc.Procs = f.pages, f.procs
	if _, err := state.ParseSymmetry(f.symmetry); err != nil {
		return sc, fmt.Errorf("--symmetry: %v", err)
	}
	ops, err := transitions.ParseOps(f.ops)
	if err != nil {
		return sc, fmt.Errorf("--ops %q: %v", f.ops, err)
	}
	sc.Ops = ops
	sc.Prots = nil
	seen := map[transitions.Prot]bool{}
	for _, s := range strings.Split(f.prots, ",") {
		p, err := transitions.ParseProt(strings.TrimSpace(s))
		if err != nil {
			return sc, fmt.Errorf("--prots %q: %v", f.prots, err)
		}
		if !seen[p] {
			seen[p] = true
			sc.Prots = append(sc.Prots, p)
		}
	}
	if err := sc.Validate(); err != nil {
		return sc, err
	}
	return sc, nil
}

func selectVariants(list string) ([]*specs.Variant, error) {
	if strings.TrimSpace(list) == "all" {
		return specs.All(), nil
	}
	if strings.TrimSpace(list) == "" {
		// Most often an unset variable in a CI script: running every
		// variant instead would gate on the wrong thing.
		return nil, fmt.Errorf("--spec %q: empty; name variants (anoncheck specs lists them) or all", list)
	}
	var out []*specs.Variant
	seen := map[*specs.Variant]bool{}
	for _, n := range strings.Split(list, ",") {
		v, err := specs.Lookup(strings.TrimSpace(n))
		if err != nil {
			return nil, fmt.Errorf("--spec: %v", err)
		}
		if seen[v] {
			return nil, fmt.Errorf("--spec %q: %s is named twice", list, v.Name)
		}
		seen[v] = true
		out = append(out, v)
	}
	return out, nil
}

// traceWriter returns the renderer --format names.
func traceWriter(format string) (func(io.Writer, *traces.Trace) error, error) {
	switch format {
	case "text", "":
		return traces.WriteText, nil
	case "markdown", "md":
		return traces.WriteMarkdownTrace, nil
	case "html":
		return traces.WriteHTML, nil
	}
	return nil, fmt.Errorf("--format %q: must be text, markdown or html", format)
}

// prepare validates the flags every exploring command shares (bound,
// limits, scope, progress) and applies the time limit to ctx.
func prepare(ctx context.Context, f checkFlags, stderr io.Writer) (transitions.Scope, context.Context, context.CancelFunc, *progress, error) {
	none := func() {}
	if f.bound < 0 {
		return transitions.Scope{}, ctx, none, nil, usageErr("--bound %d: must be 0 (no bound) or a positive number of operations", f.bound)
	}
	if f.maxStates < 0 {
		return transitions.Scope{}, ctx, none, nil, usageErr("--max-states %d: must be 0 (no limit) or positive", f.maxStates)
	}
	sc, err := parseScope(f)
	if err != nil {
		return sc, ctx, none, nil, usageErr("%v", err)
	}
	prog, err := progressMode(f.progress, stderr)
	if err != nil {
		return sc, ctx, none, nil, usageErr("%v", err)
	}
	if _, err := traceWriter(f.format); err != nil {
		return sc, ctx, none, nil, usageErr("%v", err)
	}
	ctx, cancel, err := limits(ctx, f)
	if err != nil {
		return sc, ctx, none, nil, usageErr("%v", err)
	}
	return sc, ctx, cancel, prog, nil
}

func runCheck(ctx context.Context, f checkFlags, stdout, stderr io.Writer) error {
	sc, ctx, cancel, prog, err := prepare(ctx, f, stderr)
	if err != nil {
		return err
	}
	defer cancel()
	variants, err := selectVariants(f.spec)
	if err != nil {
		return usageErr("%v", err)
	}
	if f.format == "html" && f.out == "" && f.traces {
		return usageErr("--format html: one page per trace; add --out DIR to write each as DIR/VARIANT.PROPERTY.html, or render one with anoncheck replay FILE --format html")
	}
	for _, c := range []struct{ flag, path string }{{"--checkpoint", f.checkpoint}, {"--resume", f.resume}} {
		if c.path != "" && len(variants) != 1 {
			return usageErr("%s: a checkpoint holds one variant's search; choose one with --spec", c.flag)
		}
	}
	if f.checkpoint != "" {
		if err := checkOutputPath("checkpoint", f.checkpoint); err != nil {
			return usageErr("%v", err)
		}
		if f.checkpointEvery <= 0 {
			return usageErr("--checkpoint-every %s: must be positive", f.checkpointEvery)
		}
	}
	if f.resume != "" {
		if _, err := os.Stat(f.resume); err != nil {
			return usageErr("--resume %s: %v", f.resume, errors.Unwrap(err))
		}
		if f.verifyStates {
			return usageErr("--verify-states cannot be combined with --resume: a checkpoint keeps fingerprints, not states")
		}
	}
	// Last of the checks, so a refused command leaves no directory behind;
	// probed, so a directory that cannot be written fails now, not after
	// the run.
	if f.out != "" {
		if err := os.MkdirAll(f.out, 0o777); err != nil {
			return usageErr("--out %q: cannot create the directory: %v", f.out, err)
		}
		if err := probeWritable(f.out); err != nil {
			return usageErr("--out %q: cannot write in it: %v", f.out, err)
		}
	}

	props := properties(f)
	code := exitOK
	var rows []matrixRow
	matrix := len(variants) > 1
	// With several variants the matrix comes first; what each variant's
	// report adds (incomplete runs, traces) follows it.
	var after bytes.Buffer
	sized := false
	for vi, v := range variants {
		m := &specs.Model{Variant: v, Scope: sc, Symmetry: symmetryOf(f)}
		res, err := runVariant(ctx, m, f, props, prog, &sized)
		if err != nil {
			return err
		}
		w := stdout
		if matrix {
			w = &after
		}
		c, err := report(w, m.ConfigDigest(f.bound), v, sc, f, props, &res, matrix)
		if err != nil {
			return err
		}
		code = max(code, c)
		rows = append(rows, matrixRow{v, res})
		if res.Stop == check.Cancelled {
			if rest := len(variants) - vi - 1; rest > 0 {
				fmt.Fprintf(w, "stopped by %s: %d more variant(s) not checked\n", stopFlag(res.Stop), rest)
			}
			break
		}
	}
	if matrix {
		if err := writeMatrix(stdout, props, rows, f.bound); err != nil {
			return err
		}
		if _, err := after.WriteTo(stdout); err != nil {
			return err
		}
	}
	if code != exitOK {
		return &exitError{code: code, err: errors.New("violations or limits")}
	}
	return nil
}

type matrixRow struct {
	v   *specs.Variant
	res check.Result
}

// writeMatrix prints the verdict matrix: a row per variant, a column per
// property; "ok" where the property holds to the bound, the depth of the
// shortest violation where it does not, "?" where the run was incomplete.
func writeMatrix(w io.Writer, props []*specs.Property, rows []matrixRow, bound int) error {
	b := fmt.Sprintf("bound %d", bound)
	if bound == 0 {
		b = "fixpoint"
	}
	fmt.Fprintf(w, "verdicts (%s; ok = holds, N = violated after N operations, ? = not explored to the end, a = advisory):\n", b)
	width := len("variant")
	for _, r := range rows {
		width = max(width, len(r.v.Name))
	}
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "%-*s\t", width, "variant")
	for _, p := range props {
		if !p.Limit {
			fmt.Fprintf(tw, "%s\t", p.Short)
		}
	}
	fmt.Fprint(tw, "states\ttransitions\tdepth\tseconds\t\n")
	for _, r := range rows {
		incomplete := !r.res.Complete
		for i, p := range props {
			if p.Limit && r.res.Violated(i) {
				incomplete = true
			}
		}
		fmt.Fprintf(tw, "%-*s\t", width, r.v.Name)
		for i, p := range props {
			if p.Limit {
				continue
			}
			cell := "ok"
			switch {
			case r.res.Violated(i):
				cell = fmt.Sprint(r.res.Violations[i].Depth)
				if p.Advisory {
					cell += "a"
				}
			case incomplete:
				cell = "?"
			}
			fmt.Fprintf(tw, "%s\t", cell)
		}
		fmt.Fprintf(tw, "%d\t%d\t%d\t%.1f\t\n", r.res.Stats.States, r.res.Stats.Transitions, r.res.Stats.Depth, r.res.Stats.Elapsed.Seconds())
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	var legend []string
	for _, p := range props {
		if !p.Limit {
			legend = append(legend, p.Short+"="+p.Name)
		}
	}
	fmt.Fprintf(w, "columns: %s\n", strings.Join(legend, " "))
	return nil
}

// properties are the properties a run checks: all of them, and the
// model's self-check with --self-check.
func properties(f checkFlags) []*specs.Property {
	props := specs.Properties()
	if f.selfCheck {
		props = append(append([]*specs.Property(nil), props...), specs.SelfCheck)
	}
	return props
}

// runVariant explores one variant within the bound and limits of f,
// reporting progress if prog is set. Unless --force, a run that may be
// large starts with a pilot (see estimateRun); a pilot that finishes is
// the result. A pilot that is cut is work thrown away, so once one
// variant's pilot was cut and its run accepted (*sized), later variants
// of the same scope skip the pilot: variants of one scope differ in size
// far less than the estimate's margin, and --max-memory still stops a
// run that outgrows the limit.
func runVariant(ctx context.Context, m *specs.Model, f checkFlags, props []*specs.Property, prog *progress, sized *bool) (check.Result, error) {
	mem, _ := parseBytes(f.maxMemory)
	cfg := check.Config[state.State]{Bound: f.bound, Properties: m.CheckProperties(props), MaxStates: f.maxStates,
		MaxMemory: mem, Workers: f.workers, VerifyStates: f.verifyStates, Identity: m.ConfigDigest(0),
		Checkpoint: f.checkpoint, CheckpointEvery: f.checkpointEvery, Resume: f.resume}
	if !f.force && !*sized && f.resume == "" && f.checkpoint == "" {
		res, done, err := estimateRun(ctx, m, f, cfg, mem)
		if done || err != nil {
			return res, err
		}
		*sized = true
	}
	if prog != nil {
		cfg.Progress, cfg.ProgressEvery = prog.update(m.Variant.Name), prog.every
	}
	res := check.Run[state.State](ctx, m, cfg)
	if prog != nil {
		prog.done()
	}
	if res.Stop == check.Failed {
		return res, usageErr("--resume: %v", res.Err)
	}
	return res, nil
}

// Pilot limits and the size model of estimateRun.
const (
	pilotStates   = 400_000
	pilotTime     = 2 * time.Second
	bytesPerState = 256 // of maximum RSS: 206-261 measured on the largest runs of docs/PERFORMANCE.md (visited set, parent links, packed frontiers, batches, heap headroom)
	absurdFactor  = 100 // refuse runs estimated at more than this times the memory limit: the extrapolation overestimates spaces that saturate
	defaultGrowth = 8.0 // states per level over the one before, when the pilot saw too few levels
	setupPerPage  = 57  // one-process layouts grow by about this per page slot (1,445 at 2, 82,677 at 3)
)

// estimateRun runs a pilot of the run, limited to pilotStates states and
// pilotTime. If the pilot finishes, it is the run (done). If not, the size
// of the whole run is extrapolated from the levels the pilot completed,
// and a run estimated far beyond the memory limit is refused with a hint,
// rather than left to thrash until --max-memory stops it.
func estimateRun(ctx context.Context, m *specs.Model, f checkFlags, cfg check.Config[state.State], mem uint64) (check.Result, bool, error) {
	// The pilot keeps the run's limits: a pilot stopped by --max-memory
	// or --max-states that the user set is the run, stopped by them.
	pilot := cfg
	if pilot.MaxStates == 0 || pilot.MaxStates > pilotStates {
		pilot.MaxStates = pilotStates
	}
	pctx, cancel := context.WithTimeout(ctx, pilotTime)
	res := check.Run[state.State](pctx, m, pilot)
	cancel()
	cut := (res.Stop == check.MaxStates && pilot.MaxStates != cfg.MaxStates) ||
		(res.Stop == check.Cancelled && ctx.Err() == nil)
	if !cut {
		return res, true, nil
	}
	if mem == 0 {
		mem = physicalMemory()
	}
	// The complete levels only: a stopped run also counts the level it
	// was part way through.
	levels := append([]int(nil), res.Stats.PerDepth[:min(len(res.Stats.PerDepth), res.Stats.Depth+1)]...)
	if res.Stats.States <= res.Stats.Setup {
		// The pilot may not have finished the initial layouts.
		setup := 1445 * math.Pow(setupPerPage, float64(m.Scope.Pages-2))
		levels = []int{int(max(setup, float64(res.Stats.States)))}
	}
	at := func(bound int) float64 {
		growth := defaultGrowth
		if m.Scope.Procs == 1 {
			growth = 0 // the initial layouts are closed under P1's operations; only exit is left
		}
		if n := len(levels); n >= 3 && levels[n-2] > 0 {
			growth = max(1, float64(levels[n-1])/float64(levels[n-2]))
		}
		total, last := 0.0, float64(levels[len(levels)-1])
		for d := 0; d <= bound; d++ {
			if d < len(levels) {
				total += float64(levels[d])
				continue
			}
			last *= growth
			total += last
		}
		return total
	}
	bound := f.bound
	if bound == 0 {
		bound = len(levels) - 1 // a fixpoint's depth is unknown: judge what is already known
	}
	est := at(bound)
	if est*bytesPerState <= float64(mem)*absurdFactor {
		return res, false, nil
	}
	fits := -1
	for b := 0; b <= bound && at(b)*bytesPerState <= float64(mem); b++ {
		fits = b
	}
	hint := "even the initial layouts do not fit: lower --pages"
	if fits >= 0 {
		hint = fmt.Sprintf("the largest bound that fits is about %d (~%.1e states): lower --bound, --pages or --procs", fits, at(fits))
	}
	return res, false, usageErr("--bound %d at pages=%d procs=%d: estimated ~%.1e states (~%s at %d bytes each), far beyond the memory limit %s; %s, or pass --force to try anyway",
		f.bound, m.Scope.Pages, m.Scope.Procs, est, humanBytes(est*bytesPerState), bytesPerState, humanBytes(float64(mem)), hint)
}

// humanBytes renders a byte count as KiB, MiB, GiB, TiB or PiB.
func humanBytes(b float64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	i := 0
	for b >= 1024 && i < len(units)-1 {
		b /= 1024
		i++
	}
	return fmt.Sprintf("%.1f %s", b, units[i])
}

// report prints a variant's verdicts and returns the exit code it calls for.
// With brief (the matrix follows), only what the matrix cannot show is
// printed: why a run is incomplete, and the traces when asked for.
func report(w io.Writer, digest string, v *specs.Variant, sc transitions.Scope, f checkFlags, props []*specs.Property, res *check.Result, brief bool) (int, error) {
	st := res.Stats
	bound := fmt.Sprint(f.bound)
	if f.bound == 0 {
		bound = "none (fixpoint)"
	}
	out := w
	if brief {
		out = io.Discard
	}
	fmt.Fprintf(out, "variant %s: %s\n", v.Name, v.Follows)
	extra := ""
	if sc.Ops != 0 {
		extra += " ops=" + sc.Ops.String()
	}
	if y := symmetryOf(f); y != state.SymFull {
		extra += " symmetry=" + y.String()
	}
	fmt.Fprintf(out, "  scope: pages=%d procs=%d prots=%s%s, bound %s (config %s)\n", sc.Pages, sc.Procs, sc.ProtsString(), extra, bound, digest)
	rate := float64(st.States) / st.Elapsed.Seconds()
	fmt.Fprintf(out, "  explored %d states (%d initial layouts), %d transitions, depth %d, %s, %.0f states/s, heap %d MiB\n",
		st.States, st.Setup, st.Transitions, st.Depth, st.Elapsed.Round(time.Millisecond), rate, st.HeapBytes>>20)
	fmt.Fprintf(out, "  states per depth: %s\n", joinInts(st.PerDepth))
	n := float64(st.States)
	if f.verifyStates && res.Collision == nil {
		fmt.Fprintf(out, "  fingerprints: 64-bit, verified against the stored states: no collision\n")
	} else {
		fmt.Fprintf(out, "  fingerprints: 64-bit; probability that a hash collision hid a state <= %.1e (n^2/2^65)\n", n*n/math.Exp2(65))
	}
	if st.States > 0 {
		fmt.Fprintf(out, "  memory: visited set %.1f bytes/state, parent links and actions 8 bytes/state\n", float64(st.TableBytes)/n)
	}

	limited := !res.Complete
	capacity := false
	for i, p := range props {
		if p.Limit && res.Violated(i) {
			capacity = true
		}
	}
	code := exitOK
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	for i, p := range props {
		if p.Limit {
			continue
		}
		verdict := ""
		switch {
		case res.Violated(i):
			verdict = fmt.Sprintf("VIOLATED at depth %d", res.Violations[i].Depth)
			if p.Advisory {
				verdict += " (advisory)"
			} else {
				code = exitViolation
			}
		case limited || capacity:
			verdict = fmt.Sprintf("not violated in what was explored (incomplete, depth %d)", st.Depth)
		case f.bound == 0:
			verdict = "holds (fixpoint)"
		default:
			verdict = fmt.Sprintf("holds (bound %d)", f.bound)
		}
		fmt.Fprintf(tw, "  %s\t%s\n", p.Name, verdict)
	}
	if err := tw.Flush(); err != nil {
		return 0, err
	}
	if capacity {
		fmt.Fprintf(w, "  %s incomplete: a state outgrew the model's capacities (%s); use a smaller scope\n", v.Name, capacityCause(v, sc, symmetryOf(f), props, res))
	}
	if limited {
		fmt.Fprintf(w, "  %s incomplete: explored %d states to depth %d of bound %s; stopped by %s\n", v.Name, st.States, st.Depth, bound, stopFlag(res.Stop))
	}
	if res.Collision != nil {
		fmt.Fprintf(w, "  %s: two different states share fingerprint %016x (found at depth %d); without --verify-states one of them would have been missed\n",
			v.Name, res.Collision.Fingerprint, res.Collision.Depth)
	}
	switch {
	case res.Err != nil:
		fmt.Fprintf(w, "  %s: %v\n", v.Name, res.Err)
		code = max(code, exitLimit)
	case res.Checkpoints > 0 && limited:
		fmt.Fprintf(w, "  checkpoint written to %s; run the same command with --resume %s (instead of --checkpoint, or with both) to continue\n", f.checkpoint, f.checkpoint)
	case f.checkpoint != "" && limited:
		fmt.Fprintf(w, "  no checkpoint written: the run stopped during the initial layouts, or by --max-states, before a consistent point\n")
	}
	if (limited || capacity) && code == exitOK {
		code = exitLimit
	}
	if f.traces || f.out != "" {
		for i, p := range props {
			if !res.Violated(i) || p.Limit {
				continue
			}
			t, err := violationTrace(v, sc, f, p, res.Violations[i].Path)
			if err != nil {
				return 0, err
			}
			if f.out != "" {
				path := filepath.Join(f.out, v.Name+"."+p.Name+".json")
				data, err := traces.EncodeJSON(t)
				if err != nil {
					return 0, err
				}
				if err := traces.WriteFileAtomic(path, func(w io.Writer) error { _, err := w.Write(data); return err }); err != nil {
					return 0, fmt.Errorf("writing %s: %v", path, err)
				}
			}
			if !f.traces {
				continue
			}
			if f.format == "html" {
				path := filepath.Join(f.out, v.Name+"."+p.Name+".html")
				if err := traces.WriteFileAtomic(path, func(w io.Writer) error { return traces.WriteHTML(w, t) }); err != nil {
					return 0, fmt.Errorf("writing %s: %v", path, err)
				}
				fmt.Fprintf(w, "\n%s violated by %s: %s\n", p.Name, v.Name, path)
				continue
			}
			fmt.Fprintln(w)
			write, _ := traceWriter(f.format)
			if err := write(w, t); err != nil {
				return 0, err
			}
		}
	}
	fmt.Fprintln(out)
	return code, nil
}

// violationTrace replays the explorer's shortest path to a violation of p
// and, unless --shrink=false, shrinks it (traces.Shrink).
func violationTrace(v *specs.Variant, sc transitions.Scope, f checkFlags, p *specs.Property, path []check.Step) (*traces.Trace, error) {
	t, err := traces.FromPathSym(v, sc, symmetryOf(f), p, path)
	if err != nil {
		return nil, fmt.Errorf("replaying the trace of %s under %s: %v", p.Name, v.Name, err)
	}
	if f.shrink {
		if t, err = traces.Shrink(t); err != nil {
			return nil, fmt.Errorf("shrinking the trace of %s under %s: %v", p.Name, v.Name, err)
		}
	}
	return t, nil
}

func capacityCause(v *specs.Variant, sc transitions.Scope, sym state.Symmetry, props []*specs.Property, res *check.Result) string {
	for i, p := range props {
		if p.Limit && res.Violated(i) {
			t, err := traces.FromPathSym(v, sc, sym, p, res.Violations[i].Path)
			if err == nil {
				s := t.Final()
				return state.CapName(s.Overflow)
			}
		}
	}
	return "unknown"
}

func stopFlag(r check.StopReason) string {
	switch r {
	case check.MaxStates:
		return "--max-states"
	case check.MaxMemory:
		return "--max-memory"
	case check.Collision:
		return "a fingerprint collision (--verify-states)"
	case check.Cancelled:
		if timedOut.Load() {
			return "--timeout"
		}
		return "a signal (SIGINT or SIGTERM)"
	}
	return r.String()
}

// timedOut is set when the --timeout deadline ended a run.
var timedOut atomic.Bool

// limits applies --timeout to ctx and validates --max-memory.
func limits(ctx context.Context, f checkFlags) (context.Context, context.CancelFunc, error) {
	if f.workers < 1 || f.workers > 256 {
		return ctx, func() {}, fmt.Errorf("--workers %d: must be between 1 and 256", f.workers)
	}
	if f.timeout < 0 {
		return ctx, func() {}, fmt.Errorf("--timeout %s: must not be negative", f.timeout)
	}
	if _, err := parseBytes(f.maxMemory); err != nil {
		return ctx, func() {}, err
	}
	if f.timeout == 0 {
		return ctx, func() {}, nil
	}
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	context.AfterFunc(ctx, func() {
		if ctx.Err() == context.DeadlineExceeded {
			timedOut.Store(true)
		}
	})
	return ctx, cancel, nil
}

// parseBytes reads a --max-memory value: auto, 0, or a whole number with
// an optional KiB/MiB/GiB (or KB/MB/GB, B) suffix.
func parseBytes(s string) (uint64, error) {
	if s == "auto" || s == "" {
		return physicalMemory() / 4 * 3, nil
	}
	units := []struct {
		suffix string
		mult   uint64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"B", 1}}
	num, mult := s, uint64(1)
	for _, u := range units {
		if n, ok := strings.CutSuffix(s, u.suffix); ok {
			num, mult = n, u.mult
			break
		}
	}
	n, err := strconv.ParseUint(num, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("--max-memory %q: use auto, 0 or a size like 2GiB or 500MiB", s)
	}
	if n > math.MaxUint64/mult {
		return 0, fmt.Errorf("--max-memory %q: larger than 16 EiB; use 0 for no limit", s)
	}
	return n * mult, nil
}

// physicalMemory reads MemTotal from /proc/meminfo; 8 GiB if unknown.
func physicalMemory() uint64 {
	data, err := os.ReadFile("/proc/meminfo")
	if err == nil {
		for _, l := range strings.Split(string(data), "\n") {
			if rest, ok := strings.CutPrefix(l, "MemTotal:"); ok {
				var kb uint64
				if _, err := fmt.Sscanf(strings.TrimSpace(rest), "%d kB", &kb); err == nil && kb > 0 {
					return kb << 10
				}
			}
		}
	}
	return 8 << 30
}

func joinInts(xs []int) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = fmt.Sprint(x)
	}
	return strings.Join(parts, " ")
}

// progress prints run statistics to stderr: a redrawn line on a terminal,
// plain periodic lines otherwise.
type progress struct {
	w       io.Writer
	tty     bool
	every   time.Duration
	printed bool
}

func progressMode(mode string, stderr io.Writer) (*progress, error) {
	tty := false
	if f, ok := stderr.(*os.File); ok {
		tty = term.IsTerminal(int(f.Fd()))
	}
	switch mode {
	case "never":
		return nil, nil
	case "always":
	case "auto":
	default:
		return nil, fmt.Errorf("--progress %q: must be auto, always or never", mode)
	}
	p := &progress{w: stderr, tty: tty, every: 10 * time.Second}
	if tty {
		p.every = 500 * time.Millisecond
	} else if mode == "always" {
		p.every = 2 * time.Second
	}
	return p, nil
}

func (p *progress) update(name string) func(check.Stats) {
	return func(st check.Stats) {
		line := fmt.Sprintf("%s: %d states, depth %d, frontier %d, %.0f states/s, %s, heap %d MiB",
			name, st.States, st.Depth, st.Frontier, float64(st.States)/st.Elapsed.Seconds(),
			st.Elapsed.Round(time.Second), st.HeapBytes>>20)
		if p.tty {
			fmt.Fprintf(p.w, "\r\033[K%s", line)
		} else {
			fmt.Fprintln(p.w, line)
		}
		p.printed = true
	}
}

func (p *progress) done() {
	if p.tty && p.printed {
		fmt.Fprint(p.w, "\r\033[K")
	}
	p.printed = false
}
