// Command anoncheck is an explicit-state model checker for the Linux
// kernel's reverse-map bookkeeping of private anonymous memory (anon_vma,
// anon_vma_chain; fork, split, merge, unmap, fault and exit).
//
//	anoncheck --bound 5        check every variant to 5 operations after setup
//	anoncheck properties       list the safety properties
//
// Exit status: 0 no violation, 1 a violation, 2 bad usage or input, 3 a
// resource limit stopped the run before the bound was exhausted. The
// command line is package cli; the layer that runs it, package run.
package main

import (
	"os"

	"anoncheck/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr))
}
