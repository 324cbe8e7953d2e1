package v5

import (
	"anoncheck/state"
	"anoncheck/transitions"
)

// madviseV54 models the VMA walk of mm/madvise.c:madvise() (v5.4): on each
// mapped piece of [start, end), madvise_vma()'s dispatch to
// madvise_behavior() for the flag-changing advices and to
// madvise_dontneed_free() for MADV_DONTNEED; holes are skipped and
// reported as -ENOMEM at the end.
// v6.18's madvise_walk_vmas() walks the same way (find_vma_prev(),
// madvise_vma_behavior() per VMA, find_vma() after the VMA it returns); its
// table uses this function under that name.
func madviseV54(k *Kernel, mm int, start, end uint8, behavior transitions.Advice) int {
	unmapped := 0
	vma := k.FindVMA(mm, start)
	var prev vmaID
	if vma != state.NoVMA {
		prev = k.VMA(vma).Prev
		if start > k.VMA(vma).Start {
			prev = vma
		}
	} else {
		prev = k.FindPrev(mm, start)
	}
	for {
		if vma == state.NoVMA {
			return transitions.ENOMEM
		}
		if start < k.VMA(vma).Start {
			unmapped = transitions.ENOMEM
			start = k.VMA(vma).Start
			if start >= end {
				return unmapped
			}
		}
		tmp := min(k.VMA(vma).End, end)
		var err int
		if behavior == transitions.MadvDontNeed {
			// madvise_vma()'s switch (v6.18: madvise_vma_behavior()'s):
			// MADV_DONTNEED goes to madvise_dontneed_free(), which sets
			// *prev = vma.
			prev, err = vma, k.MadviseDontNeedFree(vma, start, tmp)
		} else {
			prev, err = k.MadviseBehavior(vma, prev, start, tmp, behavior)
		}
		if err != 0 {
			return err
		}
		start = tmp
		if prev != state.NoVMA && start < k.VMA(prev).End {
			start = k.VMA(prev).End
		}
		if start >= end {
			return unmapped
		}
		if prev != state.NoVMA {
			vma = k.VMA(prev).Next
		} else {
			vma = k.FindVMA(mm, start)
		}
	}
}

// madviseBehaviorV54 models mm/madvise.c:madvise_behavior() (v5.4) for
// MADV_DONTFORK, MADV_DOFORK, MADV_WIPEONFORK and MADV_KEEPONFORK: compute
// the new flags; nothing to do if they equal the old; else vma_merge() with
// the VMA's anon_vma, or split at start and end; then set the flags.
// MADV_DOFORK's VM_IO and MADV_WIPEONFORK's file/VM_SHARED refusals cannot
// apply to private anonymous VMAs. It returns the new *prev.
func madviseBehaviorV54(k *Kernel, vma, prev vmaID, start, end uint8, behavior transitions.Advice) (vmaID, int) {
	mm := int(k.VMA(vma).MM) - 1
	v := k.VMA(vma)
	newFlags := MadviseNewFlags(v.Flags, behavior)
	if newFlags == v.Flags {
		return vma, 0
	}
	pgoff := v.Pgoff + (start - v.Start)
	if merged := k.VMAMerge(mm, prev, start, end, newFlags, v.AnonVMA, pgoff); merged != state.NoVMA {
		k.VMA(merged).Flags = newFlags
		return merged, 0
	}
	prev = vma
	if start != k.VMA(vma).Start {
		if err := k.SplitVMA(mm, vma, start, true); err != 0 {
			return prev, transitions.EAGAIN
		}
	}
	if end != k.VMA(vma).End {
		if err := k.SplitVMA(mm, vma, end, false); err != 0 {
			return prev, transitions.EAGAIN
		}
	}
	k.VMA(vma).Flags = newFlags
	return prev, 0
}

// MadviseNewFlags is the switch on the advice that computes new_flags from
// vma->vm_flags, as madvise_behavior() (v5.4) and madvise_vma_behavior()
// (v6.18) of mm/madvise.c both have it for the four fork advices:
// MADV_DONTFORK sets VM_DONTCOPY, MADV_DOFORK clears it, MADV_WIPEONFORK
// sets VM_WIPEONFORK, MADV_KEEPONFORK clears it. Their refusals (VM_IO for
// MADV_DOFORK, a file or VM_SHARED for MADV_WIPEONFORK, VM_DROPPABLE for
// MADV_KEEPONFORK in v6.18) cannot apply to private anonymous VMAs.
func MadviseNewFlags(fl flags, behavior transitions.Advice) flags {
	switch behavior {
	case transitions.MadvDontFork:
		fl |= state.VMDontCopy
	case transitions.MadvDoFork:
		fl &^= state.VMDontCopy
	case transitions.MadvWipeOnFork:
		fl |= state.VMWipeOnFork
	case transitions.MadvKeepOnFork:
		fl &^= state.VMWipeOnFork
	}
	return fl
}
