// Package cli is anoncheck's command line: one file per command, each
// turning its flags into one run.Config at this boundary and printing the
// outcome the run layer returns. Below this package nothing sees a flag
// name.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"anoncheck/run"
	"anoncheck/version"
)

// exitError carries an exit status out of a command.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }

// usageErr is a bad-usage error: exit status 2, its message printed.
func usageErr(format string, a ...any) error {
	return &exitError{run.ExitUsage, fmt.Errorf(format, a...)}
}

// exitWith ends a command with an exit status whose reason the command
// has already printed.
func exitWith(code int, why string) error {
	if code == run.ExitOK {
		return nil
	}
	return &exitError{code: code, err: errors.New(why)}
}

// Main executes the command line args and returns the exit status.
// SIGINT and SIGTERM stop a run cleanly.
func Main(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := newRootCmd(stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return run.ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil && ee.code != run.ExitViolation && ee.code != run.ExitIncomplete {
			fmt.Fprintf(stderr, "anoncheck: %v\n", ee.err)
		}
		return ee.code
	}
	fmt.Fprintf(stderr, "anoncheck: %v\n", err)
	return run.ExitUsage
}

func newRootCmd(stdout, stderr io.Writer) *cobra.Command {
	f := defaultCheckFlags()
	root := &cobra.Command{
		Use:   "anoncheck",
		Short: "Model-check the kernel's anon_vma bookkeeping for each patch variant",
		Long: `anoncheck explores every ordering of mmap, write faults, mprotect, madvise,
munmap, fork and exit, up to a bound, on a model of the Linux anon_vma code
(mm/rmap.c, mm/mmap.c, kernel/fork.c, mm/memory.c), starting from every
one-process layout within the scope, and checks the safety properties in
every state it reaches. Each variant (a kernel version or a proposed patch)
gets a verdict per property; a violation comes with its shortest trace.

Limits: --timeout is the whole command's time, shared by the variants (each
gets an equal share of the time left when its run starts); --max-states
applies to each variant's run; --max-memory to the heap during any run. A
run a limit stops is incomplete: it reports nothing as holding.

Exit status: 0 no violation, 1 a violation was found (whatever else was
incomplete), 2 bad usage or bad input, 3 a resource limit stopped a run
before the bound was exhausted and no violation was found.

--format json prints one JSON document for scripts, the report (Go type
run.Report documents each field; names are stable within a version):
  format "anoncheck-report", version 1, tool (the build), exit (the exit
  status), bound, scope {pages, procs, prots, ops, symmetry}, limits
  {max_states, timeout_seconds, max_memory_bytes}, properties [{name,
  short, kind, statement}], not_checked [variant], files [every path
  written], and variants, one per run: {variant, config, complete,
  incomplete [stopped|capacity|vacuous|part], stop (finished,
  state-limit, memory-limit, time-limit, signal, collision, failed),
  exit, error, verdicts [{property, verdict (holds, violated, unknown,
  not-reached), depth}], stats {states, initial_layouts, transitions,
  depth, per_depth, seconds, heap_bytes, collision_bound}, coverage
  {operations, functions, cases, assertions, and with --fail-alloc failed:
  counts by name}, traces
  [{property, json, html}] (the files --out wrote)}.`,
		Example: `  anoncheck --bound 5                  all variants, 5 operations after setup
  anoncheck --spec v5.4 --bound 0      explore the default scope to its fixpoint
  anoncheck --pages 3 --procs 1 --bound 2
  anoncheck --spec v6.18 --fail-alloc 1   let one allocation per trace fail, anywhere
  anoncheck properties                 list the properties`,
		Version:       version.String(),
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
		// Every command, subcommands included, refuses an empty value.
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error { return refuseEmpty(cmd) },
		RunE: func(cmd *cobra.Command, args []string) error {
			return runCheck(cmd.Context(), f, stdout, stderr)
		},
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetVersionTemplate("{{.Version}}\n")
	root.Flags().Bool("version", false, "print the module version and VCS revision of this build, which the files anoncheck writes record")
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return usageErr("%v (see %s --help)", err, cmd.CommandPath())
	})
	f.register(root, checkCommand...)
	// Each command registers the flags it uses, and only those: a flag of
	// another command is unknown there (exit 2), and its help lists its
	// own. diff and replay, defined elsewhere, get theirs here.
	diffFlags := defaultCheckFlags()
	diff := newDiffCmd(diffFlags, stdout, stderr)
	diffFlags.register(diff, "bound", "pages", "procs", "prots", "ops", "advices", "max-states", "timeout", "max-memory", "workers", "progress")
	replay := newReplayCmd(stdout, stderr)
	defaultCheckFlags().register(replay, "format")
	root.AddCommand(newPropertiesCmd(stdout), newSpecsCmd(stdout), newGateCmd(stdout, stderr),
		diff, newHuntCmd(stdout, stderr), newMergeCmd(stdout, stderr), replay, newReproCmd(stdout, stderr), newConformCmd(stdout, stderr))
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
