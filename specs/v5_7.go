package specs

import (
	"anoncheck/transitions"
	v5 "anoncheck/transitions/v5"
)

// V57 is Linux v5.7: the revert 23ab76bf90a6 of 4e4a9eb92133 (Li Xinhai,
// 7 Apr 2020) with the two -mm patches that travelled with it, "mm: don't
// prepare anon_vma if vma has VM_WIPEONFORK" and "mm: set vm_next and
// vm_prev to NULL in vm_area_dup()". 47b390d23bf8 stays.
var V57 = Register(&Variant{
	Name: "v5.7",
	Date: "2020-05-31",
	Follows: "Linux v5.7: revert 23ab76bf90a6 of 4e4a9eb92133, \"mm: don't prepare anon_vma if vma has " +
		"VM_WIPEONFORK\" and \"mm: set vm_next and vm_prev to NULL in vm_area_dup()\" (Li Xinhai, -mm, 2020)",
	Summary: "no prev-sharing; VM_WIPEONFORK children get no anon_vma at fork; vm_area_dup() clears vm_prev/vm_next",
	Notes: "Compared function by function with Linux 5.7.14 (github.com/a5221985/linux-5.7.14 @ 5d0b54d93391; " +
		"docs/SOURCES.md): the three patched functions are as 5.7.14 has them, every other modelled function " +
		"behaves as v5.4's, and unlink_anon_vmas() still leaves vma->anon_vma set (cleared from v5.12). " +
		"mremap() is v5.4's with MREMAP_DONTUNMAP (e346b3813067) and Brian Geffon's fix of 17 Apr 2020 " +
		"(\"mm: Fix MREMAP_DONTUNMAP accounting on VMA merge\"), as 5.7.14's mm/mremap.c has them.",
	Base: "v5.4",
	Patch: func(f *transitions.Funcs) {
		f.AnonVMAClone = anonVMAClone47b390d23bf8
		f.VMAreaDup = v5.VMAreaDupV57
		f.DupMmap = v5.DupMmapV57
		// mremap() with MREMAP_DONTUNMAP (e346b3813067); move_vma()'s
		// DONTUNMAP branch is in v5.MoveVMAV54, which v5.4 never enters.
		f.DoMremap = v5.DoMremapV57
	},
	Expect: []Expectation{
		AllHold(Default3, "the revert: back to v5.4's fork behaviour"+degreeDoubleReuse),
		AllHold(MergeCase1, "the revert: no sharing in split and merge callers"),
	},
})
