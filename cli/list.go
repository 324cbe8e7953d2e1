package cli

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"anoncheck/specs"
)

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
					base = "none: the first release of its kernel generation"
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
