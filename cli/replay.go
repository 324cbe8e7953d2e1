package cli

import (
	"bytes"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"anoncheck/run"
	"anoncheck/specs"
	"anoncheck/traces"
)

func newReplayCmd(stdout, stderr io.Writer) *cobra.Command {
	var spec string
	var quiet bool
	cmd := &cobra.Command{
		Use:   "replay FILE",
		Short: "Re-run a JSON trace under a variant: exit 1 if its property still fails, 0 if it now holds",
		Long: `replay re-executes a trace written by anoncheck --out, under the variant it
names or the one given with --spec, and judges the property it names in the
final state: exit 1 if it still fails, 0 if it now holds, the check to run
after a fix. It prints the verdict and the trace in --format (--quiet: the
verdict alone); under another variant the trace is shown whether the
property fails or holds, marked where it departs from the recorded run in
a step's result, kernel call path or state. A file that does not parse, has another format version, names
an unknown variant or property, or an operation its state cannot take is
exit 2 with one line naming the file, the step and the reason. So is,
replayed under the variant the file names, a step whose result or state
digest differs from the one recorded, a step marked setup that setup
cannot take (setup is P1's mmap, write, mprotect, madvise and munmap), or
a last step after which the property the file names holds: the file was
edited or written by another version of the model, and its verdict would
prove nothing. With --spec, the file must pass these checks under its own
variant before it is judged under the other.`,
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
	cmd.Flags().BoolVar(&quiet, "quiet", false, "print only the verdict line, not the trace")
	return cmd
}

// loadTrace reads a trace file, replays it under the variant it names and
// checks it against that replay (traces.File.Check): each step's result
// and state digest, the setup steps, and that the property it names fails
// after its last step. Only a file that passes is replayed under spec, if
// spec names another variant. It returns the replay under the file's
// variant and the one under spec (the same trace without spec). Every
// error names the file and is exit 2.
func loadTrace(path, spec string) (recorded, t *traces.Trace, err error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, usageErr("%v", err)
	}
	file, err := traces.DecodeJSON(data)
	if err != nil {
		return nil, nil, usageErr("%s: %v", path, err)
	}
	own, err := lookupVariant(path, file.Variant)
	if err != nil {
		return nil, nil, err
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
	if recorded, err = traces.Replay(own, sc, prop, ops, setup); err != nil {
		return nil, nil, usageErr("%s: %v", path, err)
	}
	if err := file.Check(recorded); err != nil {
		return nil, nil, usageErr("%s: %v", path, err)
	}
	if spec == "" || spec == own.Name {
		return recorded, recorded, nil
	}
	v, err := lookupVariant(path, spec)
	if err != nil {
		return nil, nil, err
	}
	if t, err = traces.Replay(v, sc, prop, ops, setup); err != nil {
		return nil, nil, usageErr("%s: under %s: %v", path, v.Name, err)
	}
	return recorded, t, nil
}

// runReplay replays a trace file, writes the trace to stdout and the
// verdict and notes to notes. Replayed under another variant than the one
// the file names, the trace is written whether the property still fails
// or now holds, marked where it departs from the recorded run (unless
// quiet): how the other variant's kernel took the operations is what
// shows why a fix works.
func runReplay(path, spec string, quiet bool, write func(io.Writer, *traces.Trace) error, stdout, notes io.Writer) error {
	recorded, t, err := loadTrace(path, spec)
	if err != nil {
		return err
	}
	v, prop := t.Variant, t.Property
	if t != recorded {
		t.Against = recorded
	}
	if t.Skipped > 0 {
		fmt.Fprintf(notes, "note: the kernel oopsed after step %d; the last %d step(s) were not run\n", len(t.Steps), t.Skipped)
	}
	holds := t.Holds()
	if holds {
		fmt.Fprintf(notes, "%s: %s now holds under %s (exit 0)\n", path, prop.Name, v.Name)
	} else {
		fmt.Fprintf(notes, "%s: %s still fails under %s (exit 1)\n", path, prop.Name, v.Name)
	}
	if !quiet && (!holds || t.Against != nil) {
		if notes == stdout {
			fmt.Fprintln(stdout)
		}
		if err := write(stdout, t); err != nil {
			return err
		}
	}
	if holds {
		return nil
	}
	return exitWith(run.ExitViolation, "still fails")
}

func newReproCmd(stdout, stderr io.Writer) *cobra.Command {
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
when it could not set up. Exit 0 says that the return values and layouts
were those the model predicts, not that the bug reproduced: the anon_vma
bookkeeping a bug breaks does not show in /proc/self/maps, and the
program's last lines say so.`,
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
			_, t, err := loadTrace(args[0], spec)
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
			if err := traces.WriteFileAtomic(output, func(w io.Writer) error { _, err := buf.WriteTo(w); return err }); err != nil {
				return err
			}
			(&written{w: stderr}).add(output)
			return nil
		},
	}
	cmd.Flags().StringVar(&spec, "spec", "", "predict the layouts under this variant instead of the one the trace names")
	cmd.Flags().StringVarP(&output, "output", "o", "", "write the program to this file (atomically) instead of standard output")
	return cmd
}
