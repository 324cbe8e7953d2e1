package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"anoncheck/conform"
	"anoncheck/run"
	"anoncheck/specs"
	"anoncheck/transitions"
)

// conformDefaultPages is conform's --pages default: random runs are cheap,
// and three or more slots reach every merge shape (a range between two
// VMAs) and splits that leave three pieces.
const conformDefaultPages = 4

type conformFlags struct {
	spec     string
	runs     int
	ops      int
	seed     uint64
	bound    int
	kinds    string
	out      string
	maxFiles int
	markers  bool
	replay   string
	repeat   int
	pin      bool
	probe    bool
}

func newConformCmd(stdout, stderr io.Writer) *cobra.Command {
	var c conformFlags
	f := defaultCheckFlags()
	cmd := &cobra.Command{
		Use:   "conform [--spec V] [--runs N --ops N --seed S] [--bound B] [--replay FILE]",
		Short: "Differential testing: run operation sequences on the model and on this machine's kernel and compare every step",
		Long: `conform tests the model against the kernel this machine runs. It generates
operation sequences (mmap, write, mprotect, madvise, munmap, fork, exit):
--runs random ones of --ops operations each, drawn from --seed among the
operations the model enables at each step, and with --bound B every sequence
of B operations from an empty address space. Each sequence runs on the
variant's model and, as real processes, on this kernel (a C executor,
compiled with gcc once per run, forks a fresh process tree per sequence and
gives each fork's child the process slot the model gives it). After every
step it compares:

  result     each system call's return value (a write's SIGSEGV is -EFAULT)
  fault      whether a write took a page fault (getrusage), which tests the
             model's PTE write bits
  process    which processes exist
  maps       /proc/PID/maps inside the test region: boundaries (which VMAs
             merged) and permissions
  present    per page slot, whether a page is mapped (pagemap bit 63)
  sharing    per page, which other (process, slot) map the same physical
             page (the PFN from /proc/PID/pagemap)
  identity   per page, whether it is the page mapped there before the step
             (reuse) or a new one (a copy)
  exclusive  pagemap bit 56 (PM_MMAP_EXCLUSIVE), which Linux sets when the
             page is mapped once; the kernel does not expose
             PageAnonExclusive, so the bit is compared with the model's
             mapcount == 1
  mapcount   /proc/kpagecount against the model's page_mapcount()
  content    with --markers, or where pagemap shows no PFNs (not root):
             each write stores a marker, each process reads its present
             pages, and sharing is told by equal markers

A run stops comparing at its first step with a difference (later steps would
only show its consequences). A difference that a deliberate simplification
of the model explains is reported as known, with its kernel reason (the
table is in conform/known.go and docs/CONFORM.md); any other is unexplained.
With --out DIR each run with a difference is written as a JSON file, which
--replay FILE runs again on both sides (--repeat N times, for one that does
not always happen).

The report says what was compared: runs, steps, fields compared (by field),
known differences and unexplained ones, and runs per second. It never says
that the model "holds": it says how much agreed.

Exit status: 1 an unexplained difference was found, 0 none was (known ones
are listed), 2 bad usage or input, or the kernel cannot be tested here (no
gcc, the test region at 32 TiB taken), 3 a signal or --timeout stopped the
run before every sequence ran.`,
		Example: `  anoncheck conform --spec v6.18 --runs 10000 --ops 25 --procs 3
  anoncheck conform --runs 0 --bound 3 --pages 2            every sequence of 3 operations
  anoncheck conform --runs 300 --out diffs                  write each run with a difference
  anoncheck conform --replay diffs/conform.v6.18.random-1-42.json --repeat 20`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runConform(cmd.Context(), cmd, f, &c, stdout, stderr)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&c.spec, "spec", "v6.18", "the variant whose model the kernel is compared with (anoncheck specs lists them)")
	fl.IntVar(&c.runs, "runs", 1000, "random sequences to run (0: none); with --bound and without --runs, none")
	fl.IntVar(&c.ops, "ops", 25, "operations in each random sequence")
	fl.Uint64Var(&c.seed, "seed", 1, "draws the random sequences: run i of seed S is the same sequence on every machine and with any --workers")
	fl.IntVar(&c.bound, "bound", 0, "also run every sequence of this many operations from an empty address space (0: none)")
	fl.StringVar(&c.kinds, "kinds", "all", "operation kinds the sequences use, comma-separated: mmap, write, mprotect, madvise, munmap, fork, exit; all is those seven, +mremap adds mremap to them")
	fl.StringVar(&c.out, "out", "", "write each run with a difference to this directory (created if missing) as a JSON file for --replay; each file is named on stderr")
	fl.IntVar(&c.maxFiles, "max-files", 20, "with --out, write at most this many runs with unexplained differences, and as many per known difference")
	fl.BoolVar(&c.markers, "markers", false, "tell pages apart by content markers instead of PFNs even where pagemap shows PFNs")
	fl.StringVar(&c.replay, "replay", "", "run the sequence of this file (written by --out) again on the model and the kernel, and print every step")
	fl.IntVar(&c.repeat, "repeat", 1, "with --replay, run the sequence this many times and count those that differ")
	fl.BoolVar(&c.probe, "probe", false, "only say what this machine shows (PFNs in pagemap, /proc/kpagecount, the CPUs) and whether conform can run: exit 0 if it can, 2 if not")
	fl.BoolVar(&c.pin, "pin", true, "pin each executor, and the processes it forks, to one CPU; --pin=false lets them move, and a write fault then sometimes copies a page the model reuses (known difference extra-reference-copy)")
	f.register(cmd, "pages", "procs", "prots", "advices", "workers", "progress", "timeout")
	setDefault(cmd, "pages", fmt.Sprint(conformDefaultPages))
	cmd.Flags().Lookup("workers").Usage = "executors running sequences at once, each pinned to its own CPU in turn (results do not depend on it)"
	cmd.Flags().Lookup("timeout").Usage = "stop after this long (e.g. 90s, 10m; 0: no limit) and report what ran; a run it stops exits 3"
	return cmd
}

// setDefault changes the default of a flag registered from the shared
// table, for a command whose use differs (conform's --pages).
func setDefault(cmd *cobra.Command, name, value string) {
	fl := cmd.Flags().Lookup(name)
	if err := fl.Value.Set(value); err != nil {
		panic("cli: --" + name + ": " + err.Error())
	}
	fl.DefValue = value
}

func runConform(ctx context.Context, cmd *cobra.Command, f *checkFlags, c *conformFlags, stdout, stderr io.Writer) error {
	if c.probe {
		if cmd.Flags().NFlag() > 1 {
			return usageErr("conform --probe takes no other flag")
		}
		m, err := conform.Probe()
		if err != nil {
			fmt.Fprintf(stdout, "conform cannot run here: %v\n", err)
			return exitWith(run.ExitUsage, "conform cannot run here")
		}
		printProbe(stdout, m)
		return nil
	}
	if c.replay != "" {
		for _, n := range []string{"runs", "ops", "seed", "bound", "kinds", "advices", "out", "max-files", "spec", "pages", "procs", "prots", "workers", "progress"} {
			if cmd.Flags().Changed(n) {
				return usageErr("conform --replay: --%s does not apply: the file gives the variant, scope and sequence", n)
			}
		}
		if c.repeat < 1 {
			return usageErr("--repeat %d: must be at least 1", c.repeat)
		}
		if f.timeout > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, f.timeout)
			defer cancel()
		}
		out, err := run.ConformReplay(ctx, c.replay, c.repeat, c.markers, c.pin)
		if err != nil {
			return usageErr("conform --replay: %v", err)
		}
		printConformReplay(stdout, out)
		return exitWith(out.Code(), "unexplained difference")
	}
	if cmd.Flags().Changed("repeat") {
		return usageErr("conform: --repeat applies to --replay only")
	}
	if c.bound > 0 && !cmd.Flags().Changed("runs") {
		c.runs = 0
	}
	switch {
	case c.runs < 0:
		return usageErr("--runs %d: must not be negative", c.runs)
	case c.ops < 1 || c.ops > 4096:
		return usageErr("--ops %d: must be between 1 and 4096", c.ops)
	case c.bound < 0 || c.bound > 8:
		return usageErr("--bound %d: must be between 0 (none) and 8 (every sequence is run: their number grows about 30x per operation)", c.bound)
	case c.runs == 0 && c.bound == 0:
		return usageErr("conform: nothing to run: give --runs N or --bound B")
	case c.maxFiles < 1:
		return usageErr("--max-files %d: must be at least 1", c.maxFiles)
	case f.workers < 1 || f.workers > 256:
		return usageErr("--workers %d: must be between 1 and 256", f.workers)
	case f.timeout < 0:
		return usageErr("--timeout %s: must not be negative", f.timeout)
	}
	v, err := specs.Lookup(c.spec)
	if err != nil {
		return usageErr("--spec: %v", err)
	}
	f.ops = c.kinds
	sc, err := parseScope(f)
	if err != nil {
		return usageErr("%v", strings.Replace(err.Error(), "--ops", "--kinds", 1))
	}
	var skipped []string
	if !cmd.Flags().Changed("kinds") {
		skipped = conform.Restrict(&sc)
	}
	prog, err := progressMode(f.progress, stderr)
	if err != nil {
		return usageErr("%v", err)
	}
	if err := prepareOut(c.out); err != nil {
		return err
	}
	cfg := &conform.Config{Variant: v, Scope: sc, Runs: c.runs, Ops: c.ops, Seed: c.seed, Bound: c.bound,
		Workers: f.workers, Markers: c.markers, NoPin: !c.pin, Out: c.out, MaxFiles: c.maxFiles}
	if prog != nil {
		cfg.Progress = func(p conform.Progress) {
			total := ""
			if p.Total > 0 {
				total = fmt.Sprintf(" of %d", p.Total)
			}
			fmt.Fprintf(stderr, "conform: %d%s runs, %d steps in %s (%.0f runs/s); %d known, %d unexplained\n",
				p.Runs, total, p.Steps, p.Elapsed.Round(time.Second), float64(p.Runs)/p.Elapsed.Seconds(), p.Known, p.Unexplained)
		}
	}
	if f.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, f.timeout)
		defer cancel()
	}
	out, err := run.Conform(ctx, cfg)
	if err != nil {
		return usageErr("%v", err)
	}
	files := &written{w: stderr}
	for _, fd := range out.Findings {
		if fd.File != "" {
			files.add(fd.File)
		}
	}
	printConform(stdout, cfg, out)
	if len(skipped) > 0 {
		fmt.Fprintf(stdout, "  not performed (the executor cannot yet): %s\n", strings.Join(skipped, ", "))
	}
	return exitWith(out.Code(), "unexplained difference")
}

// printConform prints what a conform run compared and found.
func printConform(w io.Writer, cfg *conform.Config, out *run.ConformOutcome) {
	r := out.Result
	m := r.Machine
	fmt.Fprintf(w, "conform %s against Linux %s (%s)\n", cfg.Variant.Name, m.Release, &cfg.Scope)
	fmt.Fprintf(w, "  observed: %s\n", observedText(m, r.Markers))
	fmt.Fprintf(w, "  PageAnonExclusive: not exposed by the kernel; pagemap bit 56 (PM_MMAP_EXCLUSIVE) means mapped once and is compared with\n"+
		"    the model's mapcount == 1; the flag itself shows in the fault field (mprotect makes a PTE writable only over such a page)\n")
	if cfg.Runs > 0 {
		fmt.Fprintf(w, "  random: %d of %d runs of %d operations (seed %d)\n", r.RandomRuns, cfg.Runs, cfg.Ops, cfg.Seed)
	}
	if cfg.Bound > 0 {
		fmt.Fprintf(w, "  bound: every sequence of %d operations from an empty address space: %d sequences run\n", cfg.Bound, r.BoundRuns)
	}
	secs := r.Elapsed.Seconds()
	fmt.Fprintf(w, "  ran %d runs, %d steps in %s with %d executor(s): %.0f runs/s, %.0f steps/s\n",
		r.Runs(), r.Steps, r.Elapsed.Round(10*time.Millisecond), cfg.Workers, float64(r.Runs())/secs, float64(r.Steps)/secs)
	if r.Cut > 0 {
		fmt.Fprintf(w, "  %d run(s) ended early where the model's state ran out of room (a capacity of state/)\n", r.Cut)
	}
	fmt.Fprintf(w, "  fields compared: %d (%s)\n", r.Compared.Total(), countsText(&r.Compared))
	fmt.Fprintf(w, "  known differences: %d run(s)\n", r.KnownRuns())
	for _, k := range conform.KnownDifferences() {
		if n := r.Known[k.ID]; n > 0 {
			fmt.Fprintf(w, "    %s (%s), %d run(s): %s\n", k.ID, k.Field, n, k.Summary)
		}
	}
	fmt.Fprintf(w, "  unexplained differences: %d run(s)\n", r.Unexplained)
	if r.Stopped {
		fmt.Fprintf(w, "  stopped before every sequence ran (a signal or --timeout)\n")
	}
	for _, fd := range r.Findings {
		what := "unexplained"
		if !fd.Unexplained() {
			what = "known"
		}
		fmt.Fprintf(w, "\n%s run %d (%s): %d operation(s)\n", fd.Seq.Mode, fd.Seq.Index, what, len(fd.Seq.Ops))
		for i, op := range fd.Seq.Ops {
			fmt.Fprintf(w, "  %2d %s = %s\n", i+1, op, transitions.ErrnoName(fd.Seq.Results[i].Errno))
		}
		for i := range fd.Diffs {
			fmt.Fprintf(w, "  %s\n", fd.Diffs[i].String())
		}
		if fd.File != "" {
			fmt.Fprintf(w, "  replay: anoncheck conform --replay %s\n", fd.File)
		}
	}
}

// printProbe says what this machine shows.
func printProbe(w io.Writer, m conform.Machine) {
	fmt.Fprintf(w, "conform probe: Linux %s, page size %d\n", m.Release, m.PageSize)
	if m.PFN {
		fmt.Fprintf(w, "  pagemap PFNs: shown (sharing and identity by PFN)\n")
	} else {
		fmt.Fprintf(w, "  pagemap PFNs: not shown (%s): pages are told apart by content markers\n", m.Why)
	}
	if m.KPageCount && m.PFN {
		fmt.Fprintf(w, "  /proc/kpagecount: readable (mapcount compared)\n")
	} else {
		fmt.Fprintf(w, "  /proc/kpagecount: not used (mapcount not compared)\n")
	}
	if cpus := conform.CPUs(); len(cpus) > 0 {
		fmt.Fprintf(w, "  CPUs the executors are pinned to, one each: %v\n", cpus)
	} else {
		fmt.Fprintf(w, "  CPUs: the allowed list cannot be read; executors are not pinned\n")
	}
}

// observedText says where the kernel's values come from.
func observedText(m conform.Machine, markers bool) string {
	var parts []string
	if markers {
		why := "--markers"
		if !m.PFN {
			why = m.Why
		}
		parts = append(parts, fmt.Sprintf("pages told apart by content markers (%s); identity and mapcount not compared", why))
	} else {
		parts = append(parts, "PFNs from /proc/PID/pagemap")
		if m.KPageCount {
			parts = append(parts, "mapcounts from /proc/kpagecount")
		} else {
			parts = append(parts, "/proc/kpagecount unreadable: mapcount not compared")
		}
	}
	parts = append(parts, fmt.Sprintf("page size %d", m.PageSize))
	return strings.Join(parts, ", ")
}

func countsText(c *conform.Counts) string {
	var parts []string
	for _, f := range conform.Fields() {
		parts = append(parts, fmt.Sprintf("%s %d", f, c[f]))
	}
	return strings.Join(parts, ", ")
}

// printConformReplay prints a replay step by step.
func printConformReplay(w io.Writer, out *run.ConformReplayOutcome) {
	fmt.Fprintf(w, "conform --replay: %s %s run %d, %d operation(s), on Linux %s (the file saw %s)\n",
		out.Variant.Name, out.File.Mode, out.File.Run, len(out.File.Steps), out.Machine.Release, out.File.Kernel)
	fmt.Fprintf(w, "  observed: %s\n", observedText(out.Machine, out.Markers))
	if out.ModelNote != "" {
		fmt.Fprintf(w, "  note: %s\n", out.ModelNote)
	}
	for i, st := range out.Steps {
		fmt.Fprintf(w, "  %2d %s: model %s, kernel %s\n", i+1, st.Op, st.ModelResult, st.Kernel)
		for _, m := range st.Maps {
			fmt.Fprintf(w, "       %s\n", m)
		}
		for j := range st.Diffs {
			fmt.Fprintf(w, "     %s\n", st.Diffs[j].String())
		}
	}
	fmt.Fprintf(w, "  %d repetition(s): %d with an unexplained difference, %d with a known one only, %d without (fields compared: %d)\n",
		out.Repeats, out.Unexplained, out.Known, out.Repeats-out.Unexplained-out.Known, out.Compared.Total())
}
