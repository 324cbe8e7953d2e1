package specs

import (
	"anoncheck/transitions"
	v5 "anoncheck/transitions/v5"
)

// V54 is Linux v5.4 (released 24 Nov 2019): the baseline every other
// variant patches. Degree-based anon_vma reuse in anon_vma_clone()
// (7a3ef208e662) without the src->anon_vma test of 47b390d23bf8; dup_mmap()
// links the child VMA into the child mm only after anon_vma_fork(), so its
// vm_prev/vm_next are still the parent's during it; VM_WIPEONFORK children
// get anon_vma_prepare(); unlink_anon_vmas() leaves vma->anon_vma set.
// degreeDoubleReuse qualifies the expectations of the variants whose
// anon_vma_clone() reuses by degree (v5.4 .. v6.0): they hold at the
// scopes the tests explore, not in general.
const degreeDoubleReuse = "; holds to this bound at this scope only: the degree double reuse that 2555283eb40d fixed " +
	"(CVE-2022-42703) breaks same-anon-vma-same-chain at procs=3 after 10 or 11 operations (traces/testdata/deep)"

var V54 = Register(&Variant{
	Name:    "v5.4",
	Date:    "2019-11-24",
	Follows: "Linux v5.4: mm/rmap.c, mm/mmap.c, kernel/fork.c, mm/memory.c, mm/mprotect.c, mm/madvise.c (see docs/SOURCES.md)",
	Summary: "baseline: degree-based anon_vma reuse, vm_prev still the parent's during anon_vma_fork",
	Notes: "No tree pinned exactly at the v5.4 tag was available; the functions were read in trees " +
		"labelled 5.4 and checked against the v5.4-era diff context of the Oct 2019 and Jan 2020 LKML patches.",
	Table:    v5.V54,
	Counters: transitions.CountDegree,
	Expect: []Expectation{
		AllHold(Default3, "the released kernel the thread starts from"+degreeDoubleReuse),
		AllHold(MergeCase1, "merge case 1 (mmap into a gap) needs no fork; v5.4 takes it without a violation"),
	},
})
