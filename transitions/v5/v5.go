// Package v5 models the Linux 5.x generation of the anon_vma code: the
// call graph of v5.4 (mm/rmap.c, mm/mmap.c with vma_merge() and
// __vma_adjust(), kernel/fork.c, mm/memory.c, mm/mprotect.c,
// mm/madvise.c), one Go function per kernel function, each doc comment
// naming the file, function and version followed. V54 is its function
// table; the variants of 2019-2020 in specs/ (linux-next, v5.5-rc5, the
// LKML fixes, v5.7) replace entries of it, and the v6 generation reuses
// the functions 6.1 and 6.18 did not change, saying so in their doc
// comments. Where a later version changed a function only in part
// (2555283eb40d's counters, copy_present_pte(), 6.18's __split_vma() and
// exit_mmap()), the part the versions share is a helper here named after
// it (AnonVMACloneLoop, AnonVMAForkClone, UnlinkAVCs, CopyPageRangeWalk,
// SplitVMANew, ExitMmapTeardown, RemoveVMAs, MadviseNewFlags, ...), which
// each version's function calls around its own statements; so are the
// error exits every version from v5.4 to v6.18 shares (AnonVMACloneENOMEM,
// AnonVMAForkError), which --fail-alloc reaches.
package v5

import (
	"anoncheck/state"
	"anoncheck/transitions"
)

type (
	// Kernel is the runtime every generation's functions run on.
	Kernel = transitions.Kernel

	vmaID  = state.VMAID
	avID   = state.AVID
	pageID = state.PageID
	flags  = state.Flags
)
