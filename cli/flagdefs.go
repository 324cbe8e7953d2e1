package cli

import (
	"fmt"
	"path/filepath"
	"runtime"
	"slices"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"anoncheck/state"
	"anoncheck/transitions"
)

// checkFlags are the values of the flags the exploring commands share.
// Each command has its own and registers only the flags it uses
// (register), so that its help lists those alone and a flag it does not
// use is an unknown flag (exit 2), never silently ignored. Each flag is
// defined once, in defs.
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
	advices   string
	failAlloc int

	verifyStates    bool
	checkpoint      string
	checkpointEvery time.Duration
	resume          string
	force           bool
	shrink          bool
	shard           string
	spill           string

	set *pflag.FlagSet // the command's flags, for given
}

// flagDef defines a shared flag: its name, the field of checkFlags it
// sets (an *int, *string, *bool or *time.Duration), its default and its
// help.
type flagDef struct {
	name  string
	p     any
	value any
	usage string
}

// defs are the shared flags, bound to f's fields.
func (f *checkFlags) defs() []flagDef {
	sc := transitions.DefaultScope()
	return []flagDef{
		{"bound", &f.bound, 5, "largest number of operations after the initial layout (BFS depth); 0 explores the scope to its fixpoint"},
		{"pages", &f.pages, sc.Pages, fmt.Sprintf("page slots in each address space (1..%d)", state.MaxSlots)},
		{"procs", &f.procs, sc.Procs, fmt.Sprintf("processes alive at once (1..%d)", state.MaxProcs)},
		{"prots", &f.prots, sc.ProtsString(), "protections mmap and mprotect use, comma-separated (none, r, rw, rx, rwx, ...)"},
		{"ops", &f.ops, "all", "operation kinds explored, comma-separated: mmap, write, mprotect, madvise, munmap, fork, exit, mremap; all is every kind but mremap, which is opt-in: +mremap adds it to all (setup may always mmap)"},
		{"advices", &f.advices, "fork", "madvise advices explored, comma-separated: dontfork, dofork, wipeonfork, keeponfork, dontneed; fork is the first four, MADV_DONTNEED is opt-in: +dontneed adds it to fork"},
		{"fail-alloc", &f.failAlloc, 0, fmt.Sprintf("allocations of anon_vma, anon_vma_chain or vm_area_struct (and in 6.x the maple-tree nodes of the merge, split, link, mmap and munmap paths) one trace may make fail (0..%d), each at any allocation point of an operation after setup, followed through the kernel's unwind code; 0 lets none fail", transitions.MaxFailAlloc)},
		{"symmetry", &f.symmetry, "full", "states identified by renaming: full (processes and objects), objects (VMAs, anon_vmas, pages), off (none; for cross-checks)"},
		{"max-states", &f.maxStates, 0, "stop each variant's run after this many states (0: no limit); a run it stops is incomplete"},
		{"timeout", &f.timeout, time.Duration(0), "the whole command's time (e.g. 90s, 10m; 0: no limit), shared by the variants, which run one after another: each gets an equal share of the time left when it starts, so every variant is reached and the time one does not need goes to the rest; a run it stops is incomplete"},
		{"max-memory", &f.maxMemory, "auto", "stop a run when the Go heap exceeds this (e.g. 2GiB, 500MiB; auto: 3/4 of physical memory; 0: no limit); a run it stops is incomplete"},
		{"workers", &f.workers, runtime.GOMAXPROCS(0), "goroutines computing successors (results do not depend on it)"},
		{"self-check", &f.selfCheck, false, "also check the model's own structures in every state (slower; a failure is a model bug)"},
		{"progress", &f.progress, "auto", "progress on stderr: auto (a live line on a terminal, a line every 10 s otherwise), always, never"},
		{"verify-states", &f.verifyStates, false, "keep every state beside its fingerprint and stop if two states share one (small scopes; memory for every state)"},
		{"force", &f.force, false, "run even when the size estimate says the run cannot fit in --max-memory"},
		{"shrink", &f.shrink, true, "simplify each shortest trace (fewer processes, VMAs, pages, writes, simpler prots) keeping its length; --shrink=false keeps the explorer's own"},
		{"spec", &f.spec, "all", "variants to check, comma-separated, or all (anoncheck specs lists them)"},
		{"out", &f.out, "", "write each violation's trace as JSON to this directory, created if missing (VARIANT.PROPERTY.json, for anoncheck replay and repro; with --format html also VARIANT.PROPERTY.html); each file written is named on stderr, as \"wrote PATH\""},
		{"traces", &f.traces, true, "print the trace of each violation (--traces=false for the verdicts only)"},
		{"format", &f.format, "text", "output format: text (mailable), markdown (with Mermaid diagrams of the anon_vma tree), html (a self-contained page to step through; written as one file per trace into --out); the main command and hunt also take json (one JSON document on stdout for scripts: see their --help)"},
		{"checkpoint", &f.checkpoint, "", "write the search to this file every --checkpoint-every and when stopped by a limit or an interrupt (one --spec only)"},
		{"checkpoint-every", &f.checkpointEvery, 5 * time.Minute, "how often --checkpoint writes"},
		{"resume", &f.resume, "", "continue the search saved in this checkpoint file (same --spec, scope and options; a --bound no smaller than the depth it reached, or 0)"},
		{"spill", &f.spill, "", "keep the frontiers' packed states and the parent links in unlinked files in this directory instead of memory (about 25-50 bytes of memory a state instead of 200-260, and about 100 bytes a state of free disk), for runs larger than memory"},
		{"shard", &f.shard, "", "run part I of N (I from 0) of a sharded run and write its part file into --out, for anoncheck merge (e.g. --shard $JOB_COMPLETION_INDEX/8)"},
	}
}

// add declares the flag on fs and sets its field to the default.
func (d flagDef) add(fs *pflag.FlagSet) {
	switch p := d.p.(type) {
	case *int:
		fs.IntVar(p, d.name, d.value.(int), d.usage)
	case *string:
		fs.StringVar(p, d.name, d.value.(string), d.usage)
	case *bool:
		fs.BoolVar(p, d.name, d.value.(bool), d.usage)
	case *time.Duration:
		fs.DurationVar(p, d.name, d.value.(time.Duration), d.usage)
	default:
		panic(fmt.Sprintf("cli: --%s: a flag of type %T", d.name, d.p))
	}
}

// Groups of shared flags, as the commands use them.
var (
	scopeFlags   = []string{"pages", "procs", "prots", "ops", "advices", "fail-alloc", "symmetry"}
	limitFlags   = []string{"max-states", "timeout", "max-memory"}
	engineFlags  = []string{"workers", "progress", "self-check", "verify-states", "force"}
	traceFlags   = []string{"out", "traces", "format", "shrink"}
	resumeFlags  = []string{"checkpoint", "checkpoint-every", "resume"}
	checkCommand = join([]string{"bound", "spec", "shard", "spill"}, scopeFlags, limitFlags, engineFlags, traceFlags, resumeFlags)
)

func join(groups ...[]string) []string {
	var out []string
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}

// defaultCheckFlags returns the shared flags at their defaults, for a
// command to register those it uses.
func defaultCheckFlags() *checkFlags {
	f := &checkFlags{}
	defaults := pflag.NewFlagSet("defaults", pflag.ContinueOnError)
	for _, d := range f.defs() {
		d.add(defaults)
	}
	return f
}

// register adds the flags named to cmd, bound to f.
func (f *checkFlags) register(cmd *cobra.Command, names ...string) {
	defs := f.defs()
	for _, n := range names {
		i := slices.IndexFunc(defs, func(d flagDef) bool { return d.name == n })
		if i < 0 {
			panic("cli: no flag --" + n)
		}
		defs[i].add(cmd.Flags())
	}
	f.set = cmd.Flags()
}

// checkFormat validates --format for a command that prints a report:
// a trace format, or json. With json the report is all that is printed,
// so --traces given too would be ignored: it is refused.
func (f *checkFlags) checkFormat() error {
	if f.format == "json" {
		if f.given("traces") {
			return usageErr("--traces: with --format json only the report is printed; --out DIR writes the traces, and the report lists their files")
		}
		return nil
	}
	if _, err := traceWriter(f.format); err != nil {
		return usageErr("%v", err)
	}
	return nil
}

// markdown reports whether --format asks for Markdown.
func (f *checkFlags) markdown() bool { return f.format == "markdown" || f.format == "md" }

// given reports whether the flag name was given on the command line.
func (f *checkFlags) given(name string) bool { return f.set != nil && f.set.Changed(name) }

// refuseEmpty refuses a string flag given an empty value: most often an
// unset variable in a CI script (--spec "$CANDIDATE", --out "$DIR"), where
// taking the default, or doing nothing, would check or write something
// else than was meant.
func refuseEmpty(cmd *cobra.Command) error {
	var err error
	cmd.Flags().Visit(func(fl *pflag.Flag) {
		if err == nil && fl.Value.Type() == "string" && fl.Value.String() == "" {
			err = usageErr("--%s \"\": empty, most likely an unset variable; give a value or leave the flag out", fl.Name)
		}
	})
	return err
}

// refuseSameFile refuses two output flags naming one file: one would
// overwrite the other.
func refuseSameFile(flagPaths ...[2]string) error {
	seen := map[string]string{}
	for _, fp := range flagPaths {
		if fp[1] == "" {
			continue
		}
		abs, err := filepath.Abs(fp[1])
		if err != nil {
			abs = filepath.Clean(fp[1])
		}
		if prev, ok := seen[abs]; ok {
			return usageErr("--%s and --%s name the same file %q: one would overwrite the other", prev, fp[0], fp[1])
		}
		seen[abs] = fp[0]
	}
	return nil
}
