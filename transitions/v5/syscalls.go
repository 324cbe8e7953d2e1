package v5

import (
	"anoncheck/state"
	"anoncheck/transitions"
)

// V54 returns the function table of Linux v5.4.
func V54() transitions.Funcs {
	return transitions.Funcs{
		Sys: transitions.Syscalls{
			Mmap:     mmapV54,
			Write:    writeV54,
			Mprotect: mprotectV54,
			Madvise:  madviseSyscallV54,
			Munmap:   munmapV54,
			Fork:     forkV54,
			Exit:     exitV54,
			Mremap:   mremapV54,
		},

		AnonVMAAlloc:       anonVMAAllocV54,
		AnonVMAFree:        anonVMAFreeV54,
		GetAnonVMA:         getAnonVMAV54,
		PutAnonVMA:         putAnonVMAV54,
		AnonVMAChainLink:   anonVMAChainLinkV54,
		LockAnonVMARoot:    lockAnonVMARootV54,
		AnonVMAPrepare:     anonVMAPrepareV54,
		AnonVMAClone:       anonVMACloneV54,
		AnonVMAFork:        anonVMAForkV54,
		UnlinkAnonVMAs:     unlinkAnonVMAsV54,
		AnonVMAMerge:       anonVMAMergeV54,
		PageAddNewAnonRmap: pageAddNewAnonRmapV54,
		PageSetAnonRmap:    PageSetAnonRmapV54,
		PageMoveAnonRmap:   PageMoveAnonRmapV54,
		PageDupRmap:        pageDupRmapV54,
		PageRemoveRmap:     pageRemoveRmapV54,

		FindMergeableAnonVMA: findMergeableAnonVMAV54,
		ReusableAnonVMA:      reusableAnonVMAV54,
		AnonVMACompatible:    anonVMACompatibleV54,
		IsMergeableVMA:       isMergeableVMAV54,
		IsMergeableAnonVMA:   isMergeableAnonVMAV54,
		CanVMAMergeBefore:    canVMAMergeBeforeV54,
		CanVMAMergeAfter:     canVMAMergeAfterV54,
		VMAMerge:             vmaMergeV54,
		VMAAdjust:            vmaAdjustV54,
		SplitVMA:             splitVMAV54,
		DoMunmap:             doMunmapV54,
		MmapRegion:           mmapRegionV54,
		ExitMmap:             exitMmapV54,

		DupMmap:    dupMmapV54,
		VMAreaDup:  VMAreaDupV54,
		VMAreaFree: vmAreaFreeV54,

		HandleMMFault:   handleMMFaultV54,
		DoAnonymousPage: DoAnonymousPageV54,
		DoWPPage:        doWPPageV54,
		WPPageCopy:      wpPageCopyV54,
		CopyPageRange:   copyPageRangeV54,
		UnmapVMAs:       unmapVMAsV54,
		FreePgtables:    freePgtablesV54,

		DoMprotectPkey:   doMprotectPkeyV54,
		MprotectFixup:    mprotectFixupV54,
		ChangeProtection: changeProtectionV54,

		Madvise:         madviseV54,
		MadviseBehavior: madviseBehaviorV54,

		OptIn: transitions.OptIn{
			MadviseDontNeedFree:      madviseDontNeedFreeV54,
			MadviseDontNeedSingleVMA: madviseDontNeedSingleVMAV54,
			ZapPageRange:             zapPageRangeV54,

			DoMremap:       doMremapV54,
			MremapTo:       mremapToV54,
			MoveVMA:        MoveVMAV54,
			CopyVMA:        copyVMAV54,
			MovePageTables: MovePageTablesV54,
		},
		// v5.4 has no do_mremap(): the system call's body is the entry.
		Names: map[transitions.Fn]string{transitions.FnDoMremap: "mremap"},
	}
}

// The entry points of the user-level operations in v5.4.

// mmapV54 is mmap(MAP_FIXED|MAP_PRIVATE|MAP_ANONYMOUS): do_mmap() with the
// prot turned into vm_flags by calc_vm_prot_bits(), then mmap_region().
// The same in v6.18.
func mmapV54(k *Kernel, mm int, start, end uint8, prot transitions.Prot) int {
	return k.MmapRegion(mm, start, end, prot.Flags())
}

// writeV54 is a user write to one page: a write fault when the PTE is
// absent or read-only.
// The same in v6.18.
func writeV54(k *Kernel, mm int, addr uint8) int { return k.HandleMMFault(mm, addr, true) }

// mprotectV54 is the mprotect() system call.
// The same in v6.18.
func mprotectV54(k *Kernel, mm int, start, end uint8, prot transitions.Prot) int {
	return k.DoMprotectPkey(mm, start, end, prot)
}

// madviseSyscallV54 is the madvise() system call.
// The same in v6.18 (do_madvise()).
func madviseSyscallV54(k *Kernel, mm int, start, end uint8, behavior transitions.Advice) int {
	return k.Madvise(mm, start, end, behavior)
}

// munmapV54 is the munmap() system call: __do_munmap().
func munmapV54(k *Kernel, mm int, start, end uint8) int { return k.DoMunmap(mm, start, end) }

// forkV54 models the mm part of kernel/fork.c:copy_process() -> copy_mm()
// -> dup_mm(): a new mm, filled by dup_mmap(). When dup_mmap() fails,
// dup_mm() goes to free_pt: mmput() of the partial mm, whose last
// reference it is, so __mmput() -> exit_mmap() tears down the VMAs
// dup_mmap() linked, and copy_process() fails: no child, -ENOMEM.
// The same in v6.1 and v6.18 (kernel/fork.c:1473-1512).
func forkV54(k *Kernel, parent, child int) int {
	k.Enter(transitions.FnFork)
	defer k.Leave()
	k.S.MMs[child] = state.MM{Live: 1}
	k.S.PT[child] = [state.MaxSlots]state.PTE{}
	err := k.DupMmap(child, parent)
	if err != 0 {
		// free_pt: mmput(mm) -> __mmput() -> exit_mmap()
		k.ExitMmap(child)
		k.S.MMs[child] = state.MM{}
		k.S.PT[child] = [state.MaxSlots]state.PTE{}
	}
	return err
}

// exitV54 models kernel/exit.c:do_exit() -> exit_mm() -> mmput() ->
// exit_mmap() for the last user of the mm.
// The same in v6.18.
func exitV54(k *Kernel, mm int) {
	k.Enter(transitions.FnExit)
	defer k.Leave()
	k.ExitMmap(mm)
	k.S.MMs[mm] = state.MM{}
	k.S.PT[mm] = [state.MaxSlots]state.PTE{}
}
