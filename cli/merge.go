package cli

import (
	"context"
	"io"

	"github.com/spf13/cobra"

	"anoncheck/run"
)

func newMergeCmd(stdout, stderr io.Writer) *cobra.Command {
	f := defaultCheckFlags()
	cmd := &cobra.Command{
		Use:   "merge PART-FILE...",
		Short: "Fold the part files of a sharded run (--shard I/N) into its verdicts, states and traces",
		Long: `merge reads the part files that anoncheck --shard I/N --out DIR wrote, all N
parts of each variant, and prints what one unsharded run would: the states
per depth (each state once, at the smallest depth any part met it), the
verdicts, and for each violated property the shortest trace over the parts.
Transitions and coverage are summed over the parts, which explore some
states twice. A part missing, given twice, or of another run is exit 2.
Exit status as the main command's.`,
		Example: `  for i in 0 1 2 3; do anoncheck --spec v5.4 --bound 5 --shard $i/4 --out parts & done; wait
  anoncheck merge parts/*.part-*`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageErr("merge takes the part files of a sharded run")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return runMerge(cmd.Context(), f, args, stdout, stderr)
		},
	}
	f.register(cmd, traceFlags...)
	return cmd
}

func runMerge(_ context.Context, f *checkFlags, files []string, stdout, stderr io.Writer) error {
	if _, err := traceWriter(f.format); err != nil {
		return usageErr("%v", err)
	}
	var parts []*run.Part
	for _, path := range files {
		p, err := run.ReadPart(path)
		if err != nil {
			return usageErr("%v", err)
		}
		parts = append(parts, p)
	}
	if err := prepareOut(f.out); err != nil {
		return err
	}
	out, err := run.Merge(&run.Config{Shrink: f.shrink}, parts)
	if err != nil {
		return usageErr("merge: %v", err)
	}
	each := func(_ io.Writer, r *run.Run) error {
		f.bound = r.Bound()
		return nil
	}
	if err := printOutcome(stdout, f, out, &written{w: stderr}, each); err != nil {
		return err
	}
	return exitWith(out.Code(), "violations or limits")
}
