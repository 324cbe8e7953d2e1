package v5

import (
	"anoncheck/state"
	"anoncheck/transitions"
)

// doMprotectPkeyV54 models mm/mprotect.c:do_mprotect_pkey() (v5.4) on
// [start, end): -ENOMEM when start is not mapped; otherwise
// mprotect_fixup() on each VMA in turn with newflags = the new
// VM_READ/VM_WRITE/VM_EXEC plus the VMA's other flags, stopping with
// -ENOMEM at the first hole (what came before it stays changed).
// v6.18 walks with for_each_vma_range() from the VMA at start, continuing at
// vma_iter_end() after each mprotect_fixup() and failing with -ENOMEM at a
// gap or when the walk ends before end: the same steps, so its table uses
// this function.
func doMprotectPkeyV54(k *Kernel, mm int, start, end uint8, prot transitions.Prot) int {
	vma := k.FindVMA(mm, start)
	if vma == state.NoVMA || k.VMA(vma).Start > start {
		return transitions.ENOMEM
	}
	prev := k.VMA(vma).Prev
	if start > k.VMA(vma).Start {
		prev = vma
	}
	for nstart := start; ; {
		newflags := prot.Flags() | k.VMA(vma).Flags&^state.VMAccessFlags
		tmp := min(k.VMA(vma).End, end)
		var err int
		prev, err = k.MprotectFixup(vma, prev, nstart, tmp, newflags)
		if err != 0 {
			return err
		}
		nstart = tmp
		if nstart < k.VMA(prev).End {
			nstart = k.VMA(prev).End
		}
		if nstart >= end {
			return 0
		}
		vma = k.VMA(prev).Next
		if vma == state.NoVMA || k.VMA(vma).Start != nstart {
			return transitions.ENOMEM
		}
	}
}

// mprotectFixupV54 models mm/mprotect.c:mprotect_fixup() (v5.4): nothing to
// do when the flags do not change; a private mapping becoming writable for
// the first time is charged (VM_ACCOUNT); then vma_merge() with the VMA's
// anon_vma (VM_WARN_ON that the merged VMA has newflags), else split at
// start and end; finally set the flags and change_protection(). It returns
// the new *pprev.
func mprotectFixupV54(k *Kernel, vma, prev vmaID, start, end uint8, newflags flags) (vmaID, int) {
	mm := int(k.VMA(vma).MM) - 1
	oldflags := k.VMA(vma).Flags
	if newflags == oldflags {
		return vma, 0
	}
	if newflags&state.VMWrite != 0 && oldflags&(state.VMAccount|state.VMWrite) == 0 {
		newflags |= state.VMAccount
	}
	v := k.VMA(vma)
	pgoff := v.Pgoff + (start - v.Start)
	if merged := k.VMAMerge(mm, prev, start, end, newflags, v.AnonVMA, pgoff); merged != state.NoVMA {
		vma = merged
		k.WarnOn(k.VMA(vma).Flags != newflags, transitions.WarnMprotectFixupFlags)
		prev = merged
	} else {
		prev = vma
		if start != k.VMA(vma).Start {
			if err := k.SplitVMA(mm, vma, start, true); err != 0 {
				return prev, err
			}
		}
		if end != k.VMA(vma).End {
			if err := k.SplitVMA(mm, vma, end, false); err != 0 {
				return prev, err
			}
		}
	}
	k.VMA(vma).Flags = newflags
	k.ChangeProtection(vma, start, end)
	return prev, 0
}

// changeProtectionV54 models mm/mprotect.c:change_protection() ->
// change_pte_range() (v5.4) for a private anonymous VMA: every present PTE
// in the range gets vma->vm_page_prot, which for a private mapping is never
// writable (copy-on-write protection); dirty_accountable is 0 for
// anonymous VMAs, so no PTE is made writable. A later write fault goes
// through do_wp_page().
func changeProtectionV54(k *Kernel, vma vmaID, start, end uint8) {
	mm := int(k.VMA(vma).MM) - 1
	for a := start; a < end; a++ {
		if pg := k.S.PT[mm][a].Page(); pg != state.NoPage {
			k.S.PT[mm][a] = state.MakePTE(pg, false)
		}
	}
}
