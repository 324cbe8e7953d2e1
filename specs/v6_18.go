package specs

import (
	"anoncheck/transitions"
	v6 "anoncheck/transitions/v6"
)

// V618 is Linux v6.18, the kernel this project's machines run: mm/vma.c's
// merging (vma_merge_new_range(), vma_merge_existing_range(),
// vma_expand(), dup_anon_vma(), commit_merge()), the vms_* munmap, the
// anon_vma rules of v6.1, and the folio rmap API; v6.V618 lists what it
// has of its own, docs/MODEL-6.18.md what the model leaves out and why.
var V618 = Register(&Variant{
	Name: "v6.18",
	Date: "2025-11-30",
	Follows: "Linux v6.18 (Makefile 6.18.0): mm/vma.c, mm/vma.h, mm/vma_init.c, mm/mmap.c, mm/rmap.c, " +
		"include/linux/rmap.h, mm/memory.c, mm/mprotect.c, mm/madvise.c, kernel/fork.c, mm/internal.h, " +
		"read at tag v6.18 of github.com/leftymods/linux-6.18.y (db348fba325d5e18738af0f9e839477c8a35b75a, " +
		"an import of the release); the same files at its 6.18.35 head differ on the modelled paths only in mremap's copied_from",
	Summary: "mm/vma.c merging with dup_anon_vma(), vms_* munmap, faulted VMAs merge with unfaulted ones, " +
		"unfaulted VMAs unaccounted on mprotect, folio rmap",
	Notes: "The maple tree is modelled by the vm_next/vm_prev list, as for v6.1, and the VMA iterator is left out " +
		"(with the VM_WARN_ON_VMG()s on its position); munmap's detached tree is the detached VMAs' own list. " +
		"Locks are not modelled (vma_start_write(), dup_anon_vma()'s vma_assert_write_locked()). Allocations of " +
		"anon_vma, anon_vma_chain and vm_area_struct, and the maple nodes of the merge, split, link, mmap and munmap paths, fail only with " +
		"--fail-alloc, and then take the " +
		"unwinds docs/MODEL-6.18.md lists. " +
		"Faults run under the mmap lock: the per-VMA-lock attempt that retries when the VMA has no anon_vma ends the " +
		"same way. Folios are small, never pinned, swapped or KSM; vma_shrink() (exec only) and brk are not reached.",
	Table:    v6.V618,
	Counters: transitions.CountChildrenActive,
	Expect: []Expectation{
		AllHold(Default3, "v6.1's anon_vma rules with mm/vma.c's merging: no property is expected to fail"),
		AllHold(MergeCase1, "vma_merge_new_range() of a range between two VMAs (prev and next both take it)"),
	},
})
