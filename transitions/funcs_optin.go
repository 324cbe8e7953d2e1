package transitions

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
}

// optInFns says which scope choice reaches each opt-in function.
var optInFns = map[Fn]func(sc *Scope) bool{
	FnMadviseDontNeedFree:      (*Scope).dontNeed,
	FnMadviseDontNeedSingleVMA: (*Scope).dontNeed,
	FnZapPageRange:             (*Scope).dontNeed,
}

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
