package state

import (
	"math/bits"
	"unsafe"

	"github.com/zeebo/xxh3"
)

// Canonical writes to dst the canonical form of s: the same kernel state
// with VMAs, anon_vmas and pages renumbered in the order a fixed walk meets
// them, and every unused slot zeroed. Kernel objects have no names, only
// identities, so two states that differ only in which slots hold which
// object are the same kernel state; after Canonical they are the same bytes.
//
// The walk: processes in slot order, each process's VMAs along vm_next;
// VMA ids in that order; anon_vmas as met in each VMA's ->anon_vma and then
// its chain, then as page->mapping of the pages met in page-table order,
// then as ->parent and ->root of anon_vmas already named; pages in
// page-table order. Objects the walk cannot reach (a leak, a corrupt list)
// follow in slot order, so the renaming is always a bijection and never
// merges two different states.
//
// Processes keep their slots: process symmetry is a separate reduction.
func Canonical(dst, s *State) {
	var vmap [MaxVMAs + 1]VMAID
	var amap [MaxAnonVMAs + 1]AVID
	var pmap [MaxPages + 1]PageID
	var vorder [MaxVMAs]VMAID
	var aorder [MaxAnonVMAs]AVID
	var porder [MaxPages]PageID
	nv, na, np := 0, 0, 0

	nameAV := func(a AVID) {
		if a != NoAV && amap[a] == NoAV {
			aorder[na] = a
			na++
			amap[a] = AVID(na)
		}
	}
	for p := 0; p < MaxProcs; p++ {
		if s.MMs[p].Live == 0 {
			continue
		}
		for v, n := s.MMs[p].Mmap, 0; v != NoVMA && n < MaxVMAs && vmap[v] == NoVMA; v, n = s.VMAs[v-1].Next, n+1 {
			vorder[nv] = v
			nv++
			vmap[v] = VMAID(nv)
		}
	}
	for i := range s.VMAs {
		if s.VMAs[i].MM != 0 && vmap[i+1] == NoVMA {
			vorder[nv] = VMAID(i + 1)
			nv++
			vmap[i+1] = VMAID(nv)
		}
	}
	for i := 0; i < nv; i++ {
		v := &s.VMAs[vorder[i]-1]
		nameAV(v.AnonVMA)
		for j := uint8(0); j < v.NChain && j < MaxChain; j++ {
			nameAV(v.Chain[j])
		}
	}
	for p := 0; p < MaxProcs; p++ {
		for a := 0; a < MaxSlots; a++ {
			pg := s.PT[p][a].Page()
			if pg != NoPage && pmap[pg] == NoPage {
				porder[np] = pg
				np++
				pmap[pg] = PageID(np)
				nameAV(s.Pages[pg-1].Mapping)
			}
		}
	}
	for i := range s.Pages {
		if s.Pages[i].Used != 0 && pmap[i+1] == NoPage {
			porder[np] = PageID(i + 1)
			np++
			pmap[i+1] = PageID(np)
			nameAV(s.Pages[i].Mapping)
		}
	}
	for i := 0; i < na; i++ {
		a := &s.AnonVMAs[aorder[i]-1]
		nameAV(a.Parent)
		nameAV(a.Root)
	}
	for i := range s.AnonVMAs {
		if s.AnonVMAs[i].Status != AVUnused && amap[i+1] == NoAV {
			nameAV(AVID(i + 1))
			for j := na - 1; j < na; j++ {
				a := &s.AnonVMAs[aorder[j]-1]
				nameAV(a.Parent)
				nameAV(a.Root)
			}
		}
	}

	*dst = State{Bug: s.Bug, Warn: s.Warn, Overflow: s.Overflow, Latent: s.Latent, FailedAllocs: s.FailedAllocs}
	for p := 0; p < MaxProcs; p++ {
		if s.MMs[p].Live != 0 {
			dst.MMs[p] = MM{Live: 1, Mmap: vmap[s.MMs[p].Mmap], MapCount: s.MMs[p].MapCount}
		}
		for a := 0; a < MaxSlots; a++ {
			pte := s.PT[p][a]
			if pte.Page() != NoPage {
				dst.PT[p][a] = MakePTE(pmap[pte.Page()], pte.Writable())
			}
		}
	}
	for i := 0; i < nv; i++ {
		v := s.VMAs[vorder[i]-1]
		d := &dst.VMAs[i]
		*d = VMA{MM: v.MM, Start: v.Start, End: v.End, Pgoff: v.Pgoff, Flags: v.Flags,
			AnonVMA: amap[v.AnonVMA], Prev: vmap[v.Prev], Next: vmap[v.Next], NChain: v.NChain}
		for j := uint8(0); j < v.NChain && j < MaxChain; j++ {
			d.Chain[j] = amap[v.Chain[j]]
		}
	}
	for i := 0; i < na; i++ {
		a := s.AnonVMAs[aorder[i]-1]
		var tree uint16
		for t := a.Tree; t != 0; t &= t - 1 {
			bit := bits.TrailingZeros16(t)
			if nvid := vmap[bit+1]; nvid != NoVMA {
				tree |= 1 << (nvid - 1)
			}
		}
		dst.AnonVMAs[i] = AnonVMA{Tree: tree, Status: a.Status, Root: amap[a.Root], Parent: amap[a.Parent],
			Refcount: a.Refcount, Degree: a.Degree, NumChildren: a.NumChildren, NumActiveVMAs: a.NumActiveVMAs}
	}
	for i := 0; i < np; i++ {
		pg := s.Pages[porder[i]-1]
		dst.Pages[i] = Page{Used: pg.Used, Mapping: amap[pg.Mapping], Index: pg.Index, Mapcount: pg.Mapcount, Flags: pg.Flags}
	}
}

// Bytes returns the state's memory as a byte slice, without copying. The
// layout has no padding (TestNoPadding checks it), so equal states have
// equal bytes.
func (s *State) Bytes() []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(s)), unsafe.Sizeof(*s))
}

// Fingerprint hashes a state that is already canonical: 64 bits of XXH3,
// stable across runs and machines of one byte order. A state that spent
// none of an allocation-failure budget (FailedAllocs 0, the only value
// without --fail-alloc) is hashed without its last bytes (BaseSize), so
// that its fingerprint, and every digest written into trace files, is
// the one it had before the field existed; one that did is hashed whole,
// so the two can never be confused.
func (s *State) Fingerprint() uint64 {
	b := s.Bytes()
	if s.FailedAllocs == 0 && b[len(b)-1] == 0 {
		return xxh3.Hash(b[:BaseSize])
	}
	return xxh3.Hash(b)
}
