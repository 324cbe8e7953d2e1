package specs

import (
	v6 "anoncheck/transitions/v6"
)

// V618y is v6.18 with what later 6.18.y stable releases change on the
// modelled paths (read in 6.18.35): mremap()'s copy_vma() merges through
// vma_merge_copied_range(), which keeps the VMA it copies in
// vmg->copied_from; is_mergeable_anon_vma() refuses to let a copied fork
// child's anon_vma be duplicated into a neighbour without one; vma_expand()
// gives the target copied_from's anon_vma (dup_anon_vma()). Without the
// opt-in mremap nothing reaches copy_vma(), so at the default scope it is
// v6.18; with mremap it closes v6.18.0's use-after-free of the moved
// page's anon_vma (docs/OPT-IN-OPERATIONS.md, docs/MODEL-6.18Y.md).
var V618y = Register(&Variant{
	Name: "v6.18.y",
	Date: "2026-06-17", // the mirror commit that brings 6.18.35 (02ebe6b2e3403939fe52c92c157fb661445cdf65)
	Follows: "Linux 6.18.35 (Makefile 6.18.35), the head of github.com/leftymods/linux-6.18.y " +
		"(40a9e9f43d449b2211807f1ed30bd485aaff228e): mm/vma.c, mm/vma.h as they differ from tag v6.18 " +
		"(vmg->copied_from, vma_merge_copied_range(), is_mergeable_anon_vma(), vma_expand(), " +
		"vma_merge_existing_range(), copy_vma())",
	Summary: "v6.18 with mremap's vmg->copied_from: the copied VMA's anon_vma goes to a merge target " +
		"without one, and a copied fork child does not merge into one",
	Notes: "Everything else is v6.18's (specs/v6_18.go, docs/MODEL-6.18.md). The rest of the 6.18.35 diff on " +
		"these files (vma_had_uncowed_parents() renamed vma_is_fork_child(), __mmap_complete()'s " +
		"vma_supports_mlock()) changes nothing modelled.",
	Base:  "v6.18",
	Patch: v6.PatchV618y,
	Expect: []Expectation{
		AllHold(Default3, "without mremap (opt-in) no modelled path sets copied_from: v6.18's verdict"),
	},
})
