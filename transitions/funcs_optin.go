package transitions

import "fmt"

// OptIn are the Funcs entries of the operations a scope must ask for:
// madvise(MADV_DONTNEED) (--advices +dontneed) and mremap (--ops +mremap).
// The default scope never enters them, so its coverage tables leave them
// out (Scope.Explores).
type OptIn struct {
	// mm/madvise.c and mm/memory.c: MADV_DONTNEED.
	// MadviseDontNeedFree is madvise_dontneed_free(), reached from the
	// madvise walk's dispatch on the advice (madvise_vma() in v5.4,
	// madvise_vma_behavior() in v6.18); ZapPageRange is zap_page_range()
	// (v5.4, v6.1), zap_page_range_single_batched() in v6.18.
	MadviseDontNeedFree      func(k *Kernel, vma vmaID, start, end uint8) int
	MadviseDontNeedSingleVMA func(k *Kernel, vma vmaID, start, end uint8) int
	ZapPageRange             func(k *Kernel, vma vmaID, start, end uint8)

	// mm/mremap.c, mm/vma.c (v6.18; mm/mmap.c in v5.4): mremap.
	// DoMremap is do_mremap() in v6.18, the body of the mremap system
	// call in v5.4; MremapTo is mremap_to(); MremapAt is v6.18's
	// mremap_at() (resize in place; v5.4 has it inline in DoMremap);
	// MoveVMA is move_vma(); CopyVMA is copy_vma(), which may replace
	// *vma by the VMA it merged into; MovePageTables is
	// move_page_tables() down to move_ptes().
	DoMremap       func(k *Kernel, vrm *VRM) int
	MremapTo       func(k *Kernel, vrm *VRM) int
	MremapAt       func(k *Kernel, vrm *VRM) int
	MoveVMA        func(k *Kernel, vrm *VRM) int
	CopyVMA        func(k *Kernel, vma *vmaID, addr, length, pgoff uint8) vmaID
	MovePageTables func(k *Kernel, old, new vmaID, oldAddr, newAddr, length uint8) uint8
}

// optInFns says which scope choice reaches each opt-in function.
var optInFns = map[Fn]func(sc *Scope) bool{
	FnMadviseDontNeedFree:      (*Scope).dontNeed,
	FnMadviseDontNeedSingleVMA: (*Scope).dontNeed,
	FnZapPageRange:             (*Scope).dontNeed,
	FnDoMremap:                 (*Scope).mremap,
	FnMremapTo:                 (*Scope).mremap,
	FnMremapAt:                 (*Scope).mremap,
	FnMoveVMA:                  (*Scope).mremap,
	FnCopyVMA:                  (*Scope).mremap,
	FnMovePageTables:           (*Scope).mremap,
}

// mremap reports whether the scope explores mremap.
func (sc *Scope) mremap() bool { return sc.Ops.Has(OpMremap) }

// dontNeed reports whether the scope explores madvise(MADV_DONTNEED).
func (sc *Scope) dontNeed() bool {
	if !sc.Ops.Has(OpMadvise) {
		return false
	}
	for _, a := range sc.Advices {
		if a == MadvDontNeed {
			return true
		}
	}
	return false
}

// Explores reports whether a run of the scope can enter kernel function
// fn at all: false for the functions of an opt-in operation the scope
// does not ask for.
func (sc *Scope) Explores(fn Fn) bool {
	if f, ok := optInFns[fn]; ok {
		return f(sc)
	}
	return true
}

// MadviseDontNeedFree dispatches madvise_dontneed_free().
func (k *Kernel) MadviseDontNeedFree(vma vmaID, start, end uint8) int {
	k.Enter(FnMadviseDontNeedFree)
	defer k.Leave()
	if k.Rec != nil {
		k.Rec.Args(vma.Name(), argRange(start, end))
	}
	return k.F.MadviseDontNeedFree(k, vma, start, end)
}

// MadviseDontNeedSingleVMA dispatches madvise_dontneed_single_vma().
func (k *Kernel) MadviseDontNeedSingleVMA(vma vmaID, start, end uint8) int {
	k.Enter(FnMadviseDontNeedSingleVMA)
	defer k.Leave()
	return k.F.MadviseDontNeedSingleVMA(k, vma, start, end)
}

// ZapPageRange dispatches zap_page_range() (zap_page_range_single_batched()
// in v6.18).
func (k *Kernel) ZapPageRange(vma vmaID, start, end uint8) {
	k.Enter(FnZapPageRange)
	defer k.Leave()
	if k.Rec != nil {
		k.Rec.Args(vma.Name(), argRange(start, end))
	}
	k.F.ZapPageRange(k, vma, start, end)
}

// DoMremap dispatches do_mremap() (the mremap system call's body in v5.4).
func (k *Kernel) DoMremap(vrm *VRM) int {
	k.Enter(FnDoMremap)
	defer k.Leave()
	if k.Rec != nil {
		k.Rec.Args(argMM(vrm.MM), argRange(vrm.Addr, vrm.Addr+vrm.OldLen), "new="+argRange(vrm.NewAddr, vrm.NewAddr+vrm.NewLen), vrm.Flags.String())
	}
	return k.F.DoMremap(k, vrm)
}

// MremapTo dispatches mremap_to().
func (k *Kernel) MremapTo(vrm *VRM) int { return k.remapCall(FnMremapTo, vrm, k.F.MremapTo) }

// MremapAt dispatches mremap_at().
func (k *Kernel) MremapAt(vrm *VRM) int { return k.remapCall(FnMremapAt, vrm, k.F.MremapAt) }

// MoveVMA dispatches move_vma().
func (k *Kernel) MoveVMA(vrm *VRM) int { return k.remapCall(FnMoveVMA, vrm, k.F.MoveVMA) }

// CopyVMA dispatches copy_vma() and records the VMA it returns.
func (k *Kernel) CopyVMA(vma *vmaID, addr, length, pgoff uint8) vmaID {
	k.Enter(FnCopyVMA)
	defer k.Leave()
	if k.Rec == nil {
		return k.F.CopyVMA(k, vma, addr, length, pgoff)
	}
	call := k.Rec.Args(vma.Name(), argRange(addr, addr+length), fmt.Sprintf("pgoff=%d", pgoff))
	v := k.F.CopyVMA(k, vma, addr, length, pgoff)
	k.Rec.Result(call, "-> "+v.Name())
	return v
}

// MovePageTables dispatches move_page_tables(); it returns the length
// moved.
func (k *Kernel) MovePageTables(old, new vmaID, oldAddr, newAddr, length uint8) uint8 {
	k.Enter(FnMovePageTables)
	defer k.Leave()
	if k.Rec != nil {
		k.Rec.Args(old.Name(), new.Name(), argRange(oldAddr, oldAddr+length), "to="+argSlot(newAddr))
	}
	return k.F.MovePageTables(k, old, new, oldAddr, newAddr, length)
}

// WithoutMremap empties the mremap entries: a table of a kernel whose
// mremap the model does not have (yet) explores no mremap, and its
// coverage does not list mremap's functions as never entered. The
// operation is refused (Syscalls.Supports), so a scope with mremap
// explores the same states as without it for that kernel.
func (f *Funcs) WithoutMremap() {
	f.Sys.Mremap = nil
	f.DoMremap, f.MremapTo, f.MremapAt, f.MoveVMA, f.CopyVMA, f.MovePageTables = nil, nil, nil, nil, nil, nil
}

// remapCall enters fn, records the VMA and both ranges, and calls f.
func (k *Kernel) remapCall(fn Fn, vrm *VRM, f func(k *Kernel, vrm *VRM) int) int {
	k.Enter(fn)
	defer k.Leave()
	if k.Rec != nil {
		k.Rec.Args(vrm.VMA.Name(), argRange(vrm.Addr, vrm.Addr+vrm.OldLen), "new="+argRange(vrm.NewAddr, vrm.NewAddr+vrm.NewLen))
	}
	return f(k, vrm)
}
