package cli

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"anoncheck/specs"
)

func newPropertiesCmd(stdout io.Writer) *cobra.Command {
	return newListCmd("properties",
		"List the safety properties with their statement and the kernel failure each stands for",
		"  anoncheck properties",
		func() error { return listProperties(stdout) })
}

func newSpecsCmd(stdout io.Writer) *cobra.Command {
	return newListCmd("specs",
		"List the variants (kernel versions and proposed patches) with what each follows",
		"  anoncheck specs\n  anoncheck --spec v5.5-rc5,khlebnikov-fix-v1 --bound 4",
		func() error { return listSpecs(stdout) })
}

// newListCmd returns a command that takes no arguments, refuses the
// check flags, and prints a list with list.
func newListCmd(use, short, example string, list func() error) *cobra.Command {
	return &cobra.Command{
		Use:     use,
		Short:   short,
		Example: example,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := unusedFlags(cmd); err != nil {
				return err
			}
			return list()
		},
	}
}

// listProperties prints each property's name, kind and statement, and the
// kernel failure it stands for.
func listProperties(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
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
}

// listSpecs prints each variant's name, summary, what it follows, its
// base and its notes.
func listSpecs(w io.Writer) error {
	for _, v := range specs.All() {
		base := v.Base
		if base == "" {
			base = "none: the first release of its kernel generation"
		}
		fmt.Fprintf(w, "%s\n  %s\n  follows: %s\n  base:    %s\n", v.Name, v.Summary, v.Follows, base)
		if v.Notes != "" {
			fmt.Fprintf(w, "  notes:   %s\n", v.Notes)
		}
		fmt.Fprintln(w)
	}
	return nil
}
