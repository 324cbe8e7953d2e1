package transitions

import "anoncheck/state"

type (
	vmaID  = state.VMAID
	avID   = state.AVID
	pageID = state.PageID
	flags  = state.Flags
)

// Funcs is the table of modelled kernel functions, the union over the
// kernel generations: each generation package (transitions/v5,
// transitions/v6) fills the entries its call graph reaches, and its
// implementations carry doc comments naming the file, function and
// version followed. Each field is named after the kernel function it
// stands for (leading underscores dropped: AnonVMAPrepare is
// __anon_vma_prepare, VMAAdjust is __vma_adjust, SplitVMA is __split_vma,
// DoMunmap is __do_munmap). A variant copies its base's table and replaces
// entries. An entry a generation does not fill is nil: that generation's
// code never calls it.
//
// Process arguments (mm) are process slot indexes; errno results are 0 or
// a negative errno.
type Funcs struct {
	// Sys are the entry points of the user-level operations.
	Sys Syscalls

	// mm/rmap.c and include/linux/rmap.h
	AnonVMAAlloc       func(k *Kernel) avID
	AnonVMAFree        func(k *Kernel, av avID)
	GetAnonVMA         func(k *Kernel, av avID)
	PutAnonVMA         func(k *Kernel, av avID)
	AnonVMAChainLink   func(k *Kernel, vma vmaID, av avID)
	LockAnonVMARoot    func(k *Kernel, root, av avID) avID
	AnonVMAPrepare     func(k *Kernel, vma vmaID) int
	AnonVMAClone       func(k *Kernel, dst, src vmaID) int
	AnonVMAFork        func(k *Kernel, vma, pvma vmaID) int
	UnlinkAnonVMAs     func(k *Kernel, vma vmaID)
	AnonVMAMerge       func(k *Kernel, vma, next vmaID)
	PageAddNewAnonRmap func(k *Kernel, pg pageID, vma vmaID, addr uint8)
	PageSetAnonRmap    func(k *Kernel, pg pageID, vma vmaID, addr uint8, exclusive bool)
	PageMoveAnonRmap   func(k *Kernel, pg pageID, vma vmaID)
	PageDupRmap        func(k *Kernel, pg pageID)
	PageRemoveRmap     func(k *Kernel, pg pageID)

	// mm/mmap.c
	FindMergeableAnonVMA func(k *Kernel, vma vmaID) avID
	ReusableAnonVMA      func(k *Kernel, old, a, b vmaID) avID
	AnonVMACompatible    func(k *Kernel, a, b vmaID) bool
	IsMergeableVMA       func(k *Kernel, vma vmaID, fl flags) bool
	IsMergeableAnonVMA   func(k *Kernel, av1, av2 avID, vma vmaID) bool
	CanVMAMergeBefore    func(k *Kernel, vma vmaID, fl flags, av avID, pgoff uint8) bool
	CanVMAMergeAfter     func(k *Kernel, vma vmaID, fl flags, av avID, pgoff uint8) bool
	VMAMerge             func(k *Kernel, mm int, prev vmaID, addr, end uint8, fl flags, av avID, pgoff uint8) vmaID
	VMAAdjust            func(k *Kernel, vma vmaID, start, end, pgoff uint8, insert, expand vmaID) int
	SplitVMA             func(k *Kernel, mm int, vma vmaID, addr uint8, newBelow bool) int
	DoMunmap             func(k *Kernel, mm int, start, end uint8) int
	MmapRegion           func(k *Kernel, mm int, addr, end uint8, fl flags) int
	ExitMmap             func(k *Kernel, mm int)

	// kernel/fork.c
	DupMmap    func(k *Kernel, mm, oldmm int) int
	VMAreaDup  func(k *Kernel, orig vmaID) vmaID
	VMAreaFree func(k *Kernel, vma vmaID)

	// mm/memory.c
	HandleMMFault   func(k *Kernel, mm int, addr uint8, write bool) int
	DoAnonymousPage func(k *Kernel, vma vmaID, addr uint8) int
	DoWPPage        func(k *Kernel, vma vmaID, addr uint8) int
	WPPageCopy      func(k *Kernel, vma vmaID, addr uint8) int
	CopyPageRange   func(k *Kernel, dst, src vmaID) int
	UnmapVMAs       func(k *Kernel, vma vmaID, start, end uint8)
	FreePgtables    func(k *Kernel, vma vmaID)

	// mm/mprotect.c
	DoMprotectPkey   func(k *Kernel, mm int, start, end uint8, prot Prot) int
	MprotectFixup    func(k *Kernel, vma, prev vmaID, start, end uint8, newflags flags) (vmaID, int)
	ChangeProtection func(k *Kernel, vma vmaID, start, end uint8)

	// mm/madvise.c
	Madvise         func(k *Kernel, mm int, start, end uint8, behavior Advice) int
	MadviseBehavior func(k *Kernel, vma, prev vmaID, start, end uint8, behavior Advice) (vmaID, int)

	// The functions of Linux 6.12 and later that 5.x has no counterpart
	// of, above all mm/vma.c, where merging, splitting and munmap moved
	// from mm/mmap.c. The merge predicates take the merge description
	// (struct vma_merge_struct) instead of 5.x's arguments, so they are
	// entries of their own, suffixed VMG. SplitVMAChecked is split_vma(),
	// the map_count check in front of __split_vma() (SplitVMA);
	// MmapRegionInner is __mmap_region().
	IsMergeableVMAVMG     func(k *Kernel, vmg *VMG, mergeNext bool) bool
	IsMergeableAnonVMAVMG func(k *Kernel, vmg *VMG, mergeNext bool) bool
	CanVMAMergeBeforeVMG  func(k *Kernel, vmg *VMG) bool
	CanVMAMergeAfterVMG   func(k *Kernel, vmg *VMG) bool
	CanVMAMergeLeft       func(k *Kernel, vmg *VMG) bool
	CanVMAMergeRight      func(k *Kernel, vmg *VMG, canMergeLeft bool) bool
	DupAnonVMA            func(k *Kernel, dst, src vmaID, dup *vmaID) int
	CommitMerge           func(k *Kernel, vmg *VMG) int
	VMAMergeExistingRange func(k *Kernel, vmg *VMG) vmaID
	VMAMergeNewRange      func(k *Kernel, vmg *VMG) vmaID
	VMAExpand             func(k *Kernel, vmg *VMG) int
	VMAModify             func(k *Kernel, vmg *VMG) (vmaID, int)
	VMAModifyFlags        func(k *Kernel, prev, vma vmaID, start, end uint8, fl flags) (vmaID, int)
	SplitVMAChecked       func(k *Kernel, mm int, vma vmaID, addr uint8, newBelow bool) int
	VMSGatherMunmapVMAs   func(k *Kernel, vms *VMS) int
	VMSClearPTEs          func(k *Kernel, vms *VMS)
	VMSCompleteMunmapVMAs func(k *Kernel, vms *VMS)
	DoVMIAlignMunmap      func(k *Kernel, mm int, vma vmaID, start, end uint8) int
	DoVMIMunmap           func(k *Kernel, mm int, start, end uint8) int
	MmapRegionInner       func(k *Kernel, mm int, addr, end uint8, fl flags) int
	MmapPrepare           func(k *Kernel, mp *MmapState) int
	MmapNewVMA            func(k *Kernel, mp *MmapState) (vmaID, int)
	MmapComplete          func(k *Kernel, mp *MmapState, vma vmaID)
	WPCanReuseAnonFolio   func(k *Kernel, pg pageID, vma vmaID) bool
	MadviseUpdateVMA      func(k *Kernel, vma, prev vmaID, start, end uint8, newFlags flags) (vmaID, int)

	// The functions of the opt-in operations (funcs_optin.go):
	// MADV_DONTNEED and mremap.
	OptIn

	// Names are the names a generation's kernel gives the functions of
	// entries it fills under another name than the entry's (Linux 6.18
	// calls page_add_new_anon_rmap() folio_add_new_anon_rmap(), madvise()'s
	// walk madvise_walk_vmas(), ...). Call recording uses them, so a trace
	// names the function the kernel of the variant has; coverage counts by
	// entry. Nil where every name is the entry's.
	Names map[Fn]string
}

// Syscalls are a generation's entry points for the user-level operations
// (Op): the system call, fault or process event that starts each one. An
// operation whose entry is nil does not exist in that generation.
type Syscalls struct {
	Mmap     func(k *Kernel, mm int, start, end uint8, prot Prot) int
	Write    func(k *Kernel, mm int, addr uint8) int
	Mprotect func(k *Kernel, mm int, start, end uint8, prot Prot) int
	Madvise  func(k *Kernel, mm int, start, end uint8, behavior Advice) int
	Munmap   func(k *Kernel, mm int, start, end uint8) int
	Fork     func(k *Kernel, parent, child int) int
	Exit     func(k *Kernel, mm int)
	Mremap   func(k *Kernel, mm int, start, end, to, toEnd uint8, fl MremapFlags) int
}

// Supports reports whether the generation has the operation kind.
func (sys *Syscalls) Supports(kind OpKind) bool {
	switch kind {
	case OpMmap:
		return sys.Mmap != nil
	case OpWrite:
		return sys.Write != nil
	case OpMprotect:
		return sys.Mprotect != nil
	case OpMadvise:
		return sys.Madvise != nil
	case OpMunmap:
		return sys.Munmap != nil
	case OpFork:
		return sys.Fork != nil
	case OpExit:
		return sys.Exit != nil
	case OpMremap:
		return sys.Mremap != nil
	}
	return false
}

// The dispatch methods: every call between modelled functions goes through
// one of these, so that an overridden entry is seen by all callers and the
// call is recorded when a Recorder is attached. The arguments are named
// (Recorder.Args) only then, so that the explorer's transitions format
// nothing.

func (k *Kernel) AnonVMAAlloc() avID {
	k.Enter(FnAnonVMAAlloc)
	defer k.Leave()
	if k.Rec == nil {
		return k.F.AnonVMAAlloc(k)
	}
	call := k.Rec.Args()
	av := k.F.AnonVMAAlloc(k)
	if av == state.NoAV && k.injected == AllocAnonVMA {
		k.Rec.Result(call, "= NULL (fault injected)")
		return av
	}
	k.Rec.Result(call, "-> "+av.Name())
	return av
}
func (k *Kernel) AnonVMAFree(av avID) {
	k.Enter(FnAnonVMAFree)
	defer k.Leave()
	if k.Rec != nil {
		k.Rec.Args(av.Name())
	}
	k.F.AnonVMAFree(k, av)
}
func (k *Kernel) GetAnonVMA(av avID) { k.Cover(FnGetAnonVMA); k.F.GetAnonVMA(k, av) }
func (k *Kernel) PutAnonVMA(av avID) {
	k.Enter(FnPutAnonVMA)
	defer k.Leave()
	if k.Rec != nil {
		k.Rec.Args(av.Name())
	}
	k.F.PutAnonVMA(k, av)
}
func (k *Kernel) AnonVMAChainLink(vma vmaID, av avID) {
	k.Cover(FnAnonVMAChainLink)
	k.F.AnonVMAChainLink(k, vma, av)
}
func (k *Kernel) LockAnonVMARoot(root, av avID) avID {
	k.Cover(FnLockAnonVMARoot)
	return k.F.LockAnonVMARoot(k, root, av)
}

// AnonVMAPrepare is the inline anon_vma_prepare() of include/linux/rmap.h:
// nothing to do when the VMA has an anon_vma, else __anon_vma_prepare().
func (k *Kernel) AnonVMAPrepare(vma vmaID) int {
	if k.VMA(vma).AnonVMA != state.NoAV {
		return 0
	}
	k.Enter(FnAnonVMAPrepare)
	defer k.Leave()
	if k.Rec != nil {
		k.Rec.Args(vma.Name())
	}
	return k.F.AnonVMAPrepare(k, vma)
}

// AnonVMAClone records, besides its arguments, the anon_vma dst comes out
// with when the call set it: anon_vma_clone() allocates none, so that is
// one it reuses (from src's chain, or a patch's preamble's choice).
func (k *Kernel) AnonVMAClone(dst, src vmaID) int {
	k.Enter(FnAnonVMAClone)
	defer k.Leave()
	if k.Rec == nil {
		return k.F.AnonVMAClone(k, dst, src)
	}
	call := k.Rec.Args("dst="+dst.Name(), "src="+src.Name())
	had := state.NoAV // read without k.VMA: recording must not add a check
	if dst != state.NoVMA {
		had = k.S.VMA(dst).AnonVMA
	}
	err := k.F.AnonVMAClone(k, dst, src)
	if got := k.S.VMA(dst).AnonVMA; got != had && got != state.NoAV {
		what := "reuses " + got.Name()
		if had != state.NoAV {
			what += " (dst->anon_vma was " + had.Name() + ")"
		}
		k.Rec.Result(call, what)
	}
	return err
}
func (k *Kernel) AnonVMAFork(vma, pvma vmaID) int {
	k.Enter(FnAnonVMAFork)
	defer k.Leave()
	if k.Rec != nil {
		k.Rec.Args("vma="+vma.Name(), "pvma="+pvma.Name())
	}
	return k.F.AnonVMAFork(k, vma, pvma)
}
func (k *Kernel) UnlinkAnonVMAs(vma vmaID) {
	k.Enter(FnUnlinkAnonVMAs)
	defer k.Leave()
	if k.Rec != nil {
		k.Rec.Args(vma.Name())
	}
	k.F.UnlinkAnonVMAs(k, vma)
}
func (k *Kernel) AnonVMAMerge(vma, next vmaID) {
	k.Enter(FnAnonVMAMerge)
	defer k.Leave()
	if k.Rec != nil {
		k.Rec.Args(vma.Name(), "next="+next.Name())
	}
	k.F.AnonVMAMerge(k, vma, next)
}
func (k *Kernel) PageAddNewAnonRmap(pg pageID, vma vmaID, addr uint8) {
	k.Enter(FnPageAddNewAnonRmap)
	defer k.Leave()
	if k.Rec != nil {
		k.Rec.Args(argPage(pg), vma.Name(), argSlot(addr))
	}
	k.F.PageAddNewAnonRmap(k, pg, vma, addr)
}
func (k *Kernel) PageSetAnonRmap(pg pageID, vma vmaID, addr uint8, exclusive bool) {
	k.Cover(FnPageSetAnonRmap)
	k.F.PageSetAnonRmap(k, pg, vma, addr, exclusive)
}
func (k *Kernel) PageMoveAnonRmap(pg pageID, vma vmaID) {
	k.Enter(FnPageMoveAnonRmap)
	defer k.Leave()
	if k.Rec != nil {
		k.Rec.Args(argPage(pg), vma.Name())
	}
	k.F.PageMoveAnonRmap(k, pg, vma)
}
func (k *Kernel) PageDupRmap(pg pageID) {
	k.Cover(FnPageDupRmap)
	k.F.PageDupRmap(k, pg)
}
func (k *Kernel) PageRemoveRmap(pg pageID) {
	k.Cover(FnPageRemoveRmap)
	k.F.PageRemoveRmap(k, pg)
}

func (k *Kernel) FindMergeableAnonVMA(vma vmaID) avID {
	k.Enter(FnFindMergeableAnonVMA)
	defer k.Leave()
	if k.Rec == nil {
		return k.F.FindMergeableAnonVMA(k, vma)
	}
	call := k.Rec.Args(vma.Name())
	av := k.F.FindMergeableAnonVMA(k, vma)
	k.Rec.Result(call, "-> "+av.Name())
	return av
}
func (k *Kernel) ReusableAnonVMA(old, a, b vmaID) avID {
	k.Cover(FnReusableAnonVMA)
	return k.F.ReusableAnonVMA(k, old, a, b)
}
func (k *Kernel) AnonVMACompatible(a, b vmaID) bool {
	k.Cover(FnAnonVMACompatible)
	return k.F.AnonVMACompatible(k, a, b)
}
func (k *Kernel) IsMergeableVMA(vma vmaID, fl flags) bool {
	k.Cover(FnIsMergeableVMA)
	return k.F.IsMergeableVMA(k, vma, fl)
}
func (k *Kernel) IsMergeableAnonVMA(av1, av2 avID, vma vmaID) bool {
	k.Cover(FnIsMergeableAnonVMA)
	return k.F.IsMergeableAnonVMA(k, av1, av2, vma)
}
func (k *Kernel) CanVMAMergeBefore(vma vmaID, fl flags, av avID, pgoff uint8) bool {
	k.Cover(FnCanVMAMergeBefore)
	return k.F.CanVMAMergeBefore(k, vma, fl, av, pgoff)
}
func (k *Kernel) CanVMAMergeAfter(vma vmaID, fl flags, av avID, pgoff uint8) bool {
	k.Cover(FnCanVMAMergeAfter)
	return k.F.CanVMAMergeAfter(k, vma, fl, av, pgoff)
}

// VMAMerge records the VMA vma_merge() returns: the one that took the
// range, or NULL when nothing merged.
func (k *Kernel) VMAMerge(mm int, prev vmaID, addr, end uint8, fl flags, av avID, pgoff uint8) vmaID {
	k.Enter(FnVMAMerge)
	defer k.Leave()
	if k.Rec == nil {
		return k.F.VMAMerge(k, mm, prev, addr, end, fl, av, pgoff)
	}
	call := k.Rec.Args(argMM(mm), "prev="+prev.Name(), argRange(addr, end), argFlags(fl), "anon_vma="+av.Name())
	v := k.F.VMAMerge(k, mm, prev, addr, end, fl, av, pgoff)
	k.Rec.Result(call, "-> "+v.Name())
	return v
}
func (k *Kernel) VMAAdjust(vma vmaID, start, end, pgoff uint8, insert, expand vmaID) int {
	k.Enter(FnVMAAdjust)
	defer k.Leave()
	if k.Rec != nil {
		args := []string{vma.Name(), argRange(start, end)}
		if insert != state.NoVMA {
			args = append(args, "insert="+insert.Name())
		}
		if expand != state.NoVMA {
			args = append(args, "expand="+expand.Name())
		}
		k.Rec.Args(args...)
	}
	return k.F.VMAAdjust(k, vma, start, end, pgoff, insert, expand)
}
func (k *Kernel) SplitVMA(mm int, vma vmaID, addr uint8, newBelow bool) int {
	k.Enter(FnSplitVMA)
	defer k.Leave()
	if k.Rec != nil {
		below := "0"
		if newBelow {
			below = "1"
		}
		k.Rec.Args(argMM(mm), vma.Name(), argSlot(addr), "new_below="+below)
	}
	return k.F.SplitVMA(k, mm, vma, addr, newBelow)
}
func (k *Kernel) DoMunmap(mm int, start, end uint8) int {
	k.Enter(FnDoMunmap)
	defer k.Leave()
	if k.Rec != nil {
		k.Rec.Args(argMM(mm), argRange(start, end))
	}
	return k.F.DoMunmap(k, mm, start, end)
}
func (k *Kernel) MmapRegion(mm int, addr, end uint8, fl flags) int {
	k.Enter(FnMmapRegion)
	defer k.Leave()
	if k.Rec != nil {
		k.Rec.Args(argMM(mm), argRange(addr, end), argFlags(fl))
	}
	return k.F.MmapRegion(k, mm, addr, end, fl)
}
func (k *Kernel) ExitMmap(mm int) {
	k.Enter(FnExitMmap)
	defer k.Leave()
	if k.Rec != nil {
		k.Rec.Args(argMM(mm))
	}
	k.F.ExitMmap(k, mm)
}
func (k *Kernel) DupMmap(mm, oldmm int) int {
	k.Enter(FnDupMmap)
	defer k.Leave()
	if k.Rec != nil {
		k.Rec.Args(argMM(mm), "oldmm="+argMM(oldmm))
	}
	return k.F.DupMmap(k, mm, oldmm)
}
func (k *Kernel) VMAreaDup(orig vmaID) vmaID {
	k.Cover(FnVMAreaDup)
	return k.F.VMAreaDup(k, orig)
}
func (k *Kernel) VMAreaFree(vma vmaID) {
	k.Cover(FnVMAreaFree)
	k.F.VMAreaFree(k, vma)
}
func (k *Kernel) HandleMMFault(mm int, addr uint8, write bool) int {
	k.Enter(FnHandleMMFault)
	defer k.Leave()
	if k.Rec != nil {
		k.Rec.Args(argMM(mm), argSlot(addr))
	}
	return k.F.HandleMMFault(k, mm, addr, write)
}
func (k *Kernel) DoAnonymousPage(vma vmaID, addr uint8) int {
	k.Enter(FnDoAnonymousPage)
	defer k.Leave()
	if k.Rec != nil {
		k.Rec.Args(vma.Name(), argSlot(addr))
	}
	return k.F.DoAnonymousPage(k, vma, addr)
}
func (k *Kernel) DoWPPage(vma vmaID, addr uint8) int {
	k.Enter(FnDoWPPage)
	defer k.Leave()
	if k.Rec != nil {
		k.Rec.Args(vma.Name(), argSlot(addr))
	}
	return k.F.DoWPPage(k, vma, addr)
}
func (k *Kernel) WPPageCopy(vma vmaID, addr uint8) int {
	k.Enter(FnWPPageCopy)
	defer k.Leave()
	if k.Rec != nil {
		k.Rec.Args(vma.Name(), argSlot(addr))
	}
	return k.F.WPPageCopy(k, vma, addr)
}
func (k *Kernel) CopyPageRange(dst, src vmaID) int {
	k.Enter(FnCopyPageRange)
	defer k.Leave()
	if k.Rec != nil {
		k.Rec.Args("dst="+dst.Name(), "src="+src.Name())
	}
	return k.F.CopyPageRange(k, dst, src)
}
func (k *Kernel) UnmapVMAs(vma vmaID, start, end uint8) {
	k.Enter(FnUnmapVMAs)
	defer k.Leave()
	if k.Rec != nil {
		k.Rec.Args(vma.Name(), argRange(start, end))
	}
	k.F.UnmapVMAs(k, vma, start, end)
}
func (k *Kernel) FreePgtables(vma vmaID) {
	k.Enter(FnFreePgtables)
	defer k.Leave()
	if k.Rec != nil {
		k.Rec.Args(vma.Name())
	}
	k.F.FreePgtables(k, vma)
}
func (k *Kernel) DoMprotectPkey(mm int, start, end uint8, prot Prot) int {
	k.Enter(FnDoMprotectPkey)
	defer k.Leave()
	if k.Rec != nil {
		k.Rec.Args(argMM(mm), argRange(start, end), prot.String())
	}
	return k.F.DoMprotectPkey(k, mm, start, end, prot)
}
func (k *Kernel) MprotectFixup(vma, prev vmaID, start, end uint8, newflags flags) (vmaID, int) {
	k.Enter(FnMprotectFixup)
	defer k.Leave()
	if k.Rec != nil {
		k.Rec.Args(vma.Name(), "prev="+prev.Name(), argRange(start, end), argFlags(newflags))
	}
	return k.F.MprotectFixup(k, vma, prev, start, end, newflags)
}
func (k *Kernel) ChangeProtection(vma vmaID, start, end uint8) {
	k.Cover(FnChangeProtection)
	k.F.ChangeProtection(k, vma, start, end)
}
func (k *Kernel) Madvise(mm int, start, end uint8, behavior Advice) int {
	k.Enter(FnMadvise)
	defer k.Leave()
	if k.Rec != nil {
		k.Rec.Args(argMM(mm), argRange(start, end), behavior.String())
	}
	return k.F.Madvise(k, mm, start, end, behavior)
}
func (k *Kernel) MadviseBehavior(vma, prev vmaID, start, end uint8, behavior Advice) (vmaID, int) {
	k.Enter(FnMadviseBehavior)
	defer k.Leave()
	if k.Rec != nil {
		k.Rec.Args(vma.Name(), "prev="+prev.Name(), argRange(start, end), behavior.String())
	}
	return k.F.MadviseBehavior(k, vma, prev, start, end, behavior)
}

func (k *Kernel) IsMergeableVMAVMG(vmg *VMG, mergeNext bool) bool {
	k.Cover(FnIsMergeableVMAVMG)
	return k.F.IsMergeableVMAVMG(k, vmg, mergeNext)
}
func (k *Kernel) IsMergeableAnonVMAVMG(vmg *VMG, mergeNext bool) bool {
	k.Cover(FnIsMergeableAnonVMAVMG)
	return k.F.IsMergeableAnonVMAVMG(k, vmg, mergeNext)
}
func (k *Kernel) CanVMAMergeBeforeVMG(vmg *VMG) bool {
	k.Cover(FnCanVMAMergeBeforeVMG)
	return k.F.CanVMAMergeBeforeVMG(k, vmg)
}
func (k *Kernel) CanVMAMergeAfterVMG(vmg *VMG) bool {
	k.Cover(FnCanVMAMergeAfterVMG)
	return k.F.CanVMAMergeAfterVMG(k, vmg)
}
func (k *Kernel) CanVMAMergeLeft(vmg *VMG) bool {
	k.Cover(FnCanVMAMergeLeft)
	return k.F.CanVMAMergeLeft(k, vmg)
}
func (k *Kernel) CanVMAMergeRight(vmg *VMG, canMergeLeft bool) bool {
	k.Cover(FnCanVMAMergeRight)
	return k.F.CanVMAMergeRight(k, vmg, canMergeLeft)
}
func (k *Kernel) DupAnonVMA(dst, src vmaID, dup *vmaID) int {
	k.Enter(FnDupAnonVMA)
	defer k.Leave()
	return k.F.DupAnonVMA(k, dst, src, dup)
}
func (k *Kernel) CommitMerge(vmg *VMG) int {
	k.Enter(FnCommitMerge)
	defer k.Leave()
	return k.F.CommitMerge(k, vmg)
}
func (k *Kernel) VMAMergeExistingRange(vmg *VMG) vmaID {
	k.Enter(FnVMAMergeExistingRange)
	defer k.Leave()
	return k.F.VMAMergeExistingRange(k, vmg)
}
func (k *Kernel) VMAMergeNewRange(vmg *VMG) vmaID {
	k.Enter(FnVMAMergeNewRange)
	defer k.Leave()
	return k.F.VMAMergeNewRange(k, vmg)
}
func (k *Kernel) VMAExpand(vmg *VMG) int {
	k.Enter(FnVMAExpand)
	defer k.Leave()
	return k.F.VMAExpand(k, vmg)
}
func (k *Kernel) VMAModify(vmg *VMG) (vmaID, int) {
	k.Enter(FnVMAModify)
	defer k.Leave()
	return k.F.VMAModify(k, vmg)
}
func (k *Kernel) VMAModifyFlags(prev, vma vmaID, start, end uint8, fl flags) (vmaID, int) {
	k.Enter(FnVMAModifyFlags)
	defer k.Leave()
	return k.F.VMAModifyFlags(k, prev, vma, start, end, fl)
}
func (k *Kernel) SplitVMAChecked(mm int, vma vmaID, addr uint8, newBelow bool) int {
	k.Enter(FnSplitVMAChecked)
	defer k.Leave()
	return k.F.SplitVMAChecked(k, mm, vma, addr, newBelow)
}
func (k *Kernel) VMSGatherMunmapVMAs(vms *VMS) int {
	k.Enter(FnVMSGatherMunmapVMAs)
	defer k.Leave()
	return k.F.VMSGatherMunmapVMAs(k, vms)
}
func (k *Kernel) VMSClearPTEs(vms *VMS) {
	k.Enter(FnVMSClearPTEs)
	defer k.Leave()
	k.F.VMSClearPTEs(k, vms)
}
func (k *Kernel) VMSCompleteMunmapVMAs(vms *VMS) {
	k.Enter(FnVMSCompleteMunmapVMAs)
	defer k.Leave()
	k.F.VMSCompleteMunmapVMAs(k, vms)
}
func (k *Kernel) DoVMIAlignMunmap(mm int, vma vmaID, start, end uint8) int {
	k.Enter(FnDoVMIAlignMunmap)
	defer k.Leave()
	return k.F.DoVMIAlignMunmap(k, mm, vma, start, end)
}
func (k *Kernel) DoVMIMunmap(mm int, start, end uint8) int {
	k.Enter(FnDoVMIMunmap)
	defer k.Leave()
	return k.F.DoVMIMunmap(k, mm, start, end)
}
func (k *Kernel) MmapRegionInner(mm int, addr, end uint8, fl flags) int {
	k.Enter(FnMmapRegionInner)
	defer k.Leave()
	return k.F.MmapRegionInner(k, mm, addr, end, fl)
}
func (k *Kernel) MmapPrepare(mp *MmapState) int {
	k.Enter(FnMmapPrepare)
	defer k.Leave()
	return k.F.MmapPrepare(k, mp)
}
func (k *Kernel) MmapNewVMA(mp *MmapState) (vmaID, int) {
	k.Enter(FnMmapNewVMA)
	defer k.Leave()
	return k.F.MmapNewVMA(k, mp)
}
func (k *Kernel) MmapComplete(mp *MmapState, vma vmaID) {
	k.Enter(FnMmapComplete)
	defer k.Leave()
	k.F.MmapComplete(k, mp, vma)
}
func (k *Kernel) WPCanReuseAnonFolio(pg pageID, vma vmaID) bool {
	k.Enter(FnWPCanReuseAnonFolio)
	defer k.Leave()
	return k.F.WPCanReuseAnonFolio(k, pg, vma)
}
func (k *Kernel) MadviseUpdateVMA(vma, prev vmaID, start, end uint8, newFlags flags) (vmaID, int) {
	k.Enter(FnMadviseUpdateVMA)
	defer k.Leave()
	return k.F.MadviseUpdateVMA(k, vma, prev, start, end, newFlags)
}
