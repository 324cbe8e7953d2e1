package specs

import (
	"anoncheck/transitions"
	v6 "anoncheck/transitions/v6"
)

// V61 is Linux v6.1, the first release of the v6 generation: v6.V61
// lists what changed the modelled code since v5.7 (2555283eb40d's
// num_children/num_active_vmas, ee8ab1903e3d, PageAnonExclusive COW,
// 64fe24a3e05e).
var V61 = Register(&Variant{
	Name: "v6.1",
	Date: "2022-12-11",
	Follows: "Linux v6.1: 2555283eb40d (diff as in Jann Horn's stable backport, <20220901192230.4099716-1-jannh@google.com>), " +
		"ee8ab1903e3d, PageAnonExclusive COW (v5.19), 64fe24a3e05e; mm/rmap.c bodies read in a 6.3.1 tree " +
		"(Brew-Tea/TLinux-Kernel @ b43e2550a2b0e738cfd760cd38775529c74ba0c0); mmap_region()/vma_expand()/exit_mmap() " +
		"and the rest compared with Linux 6.1.0 (unifreq/linux-6.1.y @ e451e259e)",
	Summary: "num_children/num_active_vmas, unlink clears vma->anon_vma, no vm_prev/vm_next, PageAnonExclusive COW",
	Notes: "The maple tree replaces vm_prev/vm_next: find_mergeable_anon_vma() walks the tree, which for a VMA in its mm " +
		"gives the same neighbours as the list, and dup_mmap() (as in v5.7) no longer lets a child VMA see the " +
		"parent's neighbours; the model keeps the list as the tree's stand-in. v6.1 still merges through __vma_adjust() " +
		"with v5.4's case analysis; its exact mm/mmap.c was not read. GUP pins are not modelled, so fork never has to " +
		"copy an exclusive page.",
	Table:    v6.V61,
	Counters: transitions.CountChildrenActive,
	Expect: []Expectation{
		AllHold(Default3, "2555283eb40d restores same-anon_vma-same-chain; nothing else regressed"),
		AllHold(MergeCase1, "merging is v5.4's"),
	},
})
