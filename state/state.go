package state

import (
	"fmt"
	"unsafe"
)

// Capacities of the flat state. A scope (pages, processes) must fit them;
// an operation that would need more sets State.Overflow instead of
// corrupting the state, and the run reports the scope as too small.
const (
	MaxProcs    = 4  // processes (mm_structs) alive at once
	MaxSlots    = 8  // page slots in each address space
	MaxVMAs     = 16 // vm_area_structs alive at once, all processes together
	MaxAnonVMAs = 16 // anon_vmas alive or freed-but-referenced at once
	MaxChain    = 8  // anon_vma_chain entries of one VMA
	MaxPages    = 16 // anonymous pages alive at once
)

// VMAID names a VMA slot: 1..MaxVMAs; NoVMA is the NULL pointer.
type VMAID uint8

// AVID names an anon_vma slot: 1..MaxAnonVMAs; NoAV is the NULL pointer.
type AVID uint8

// PageID names a page slot: 1..MaxPages; NoPage means none.
type PageID uint8

// Name is how traces and explanations name a VMA: A, B, C, ..., or NULL.
func (v VMAID) Name() string {
	if v == NoVMA {
		return "NULL"
	}
	return string(rune('A' + int(v) - 1))
}

// Name is how traces and explanations name an anon_vma: av1, av2, ...,
// or NULL.
func (a AVID) Name() string {
	if a == NoAV {
		return "NULL"
	}
	return fmt.Sprintf("av%d", a)
}

// Null values of the three pointer types.
const (
	NoVMA  VMAID  = 0
	NoAV   AVID   = 0
	NoPage PageID = 0
)

// Flags are the vm_flags bits that the modelled code reads. The kernel's
// values differ; only their identity matters here. VM_MAYREAD, VM_MAYWRITE
// and VM_MAYEXEC are set on every anonymous mapping and VM_SOFTDIRTY on
// every new or expanded one, and no modelled check depends on them, so
// they are left out; VM_SHARED is never set on the private mappings
// modelled.
type Flags uint8

// The modelled vm_flags bits.
const (
	VMRead       Flags = 1 << iota // VM_READ
	VMWrite                        // VM_WRITE
	VMExec                         // VM_EXEC
	VMAccount                      // VM_ACCOUNT: charged private writable memory
	VMDontCopy                     // VM_DONTCOPY: MADV_DONTFORK
	VMWipeOnFork                   // VM_WIPEONFORK: MADV_WIPEONFORK

	// VMAccessFlags are the bits anon_vma_compatible() lets differ.
	VMAccessFlags = VMRead | VMWrite | VMExec
)

// String renders flags the way traces print them: "rw-" plus markers.
func (f Flags) String() string {
	b := []byte("---")
	if f&VMRead != 0 {
		b[0] = 'r'
	}
	if f&VMWrite != 0 {
		b[1] = 'w'
	}
	if f&VMExec != 0 {
		b[2] = 'x'
	}
	s := string(b)
	if f&VMAccount != 0 {
		s += " account"
	}
	if f&VMDontCopy != 0 {
		s += " dontcopy"
	}
	if f&VMWipeOnFork != 0 {
		s += " wipeonfork"
	}
	return s
}

// AnonVMA models struct anon_vma. Status tells whether the slot is in use:
// a freed anon_vma keeps its slot, marked AVFreed, for as long as anything
// in the state still points at it, so that a use-after-free is a state the
// properties can see.
type AnonVMA struct {
	Tree          uint16 // rb_root: bit v-1 set when VMA v's AVC is in the interval tree
	Status        uint8  // AVUnused, AVLive or AVFreed
	Root          AVID   // ->root
	Parent        AVID   // ->parent
	Refcount      int8   // ->refcount (atomic_t)
	Degree        uint8  // ->degree (unsigned; v3.19 .. v5.19)
	NumChildren   uint8  // ->num_children (unsigned long; after 2555283eb40d)
	NumActiveVMAs uint8  // ->num_active_vmas (unsigned long; after 2555283eb40d)
	_             uint8  // keeps the size even: no padding anywhere
}

// Status values of an AnonVMA slot.
const (
	AVUnused uint8 = iota
	AVLive
	AVFreed
)

// VMA models struct vm_area_struct for a private anonymous mapping.
// Addresses are page slot numbers; Pgoff is the page offset the kernel
// gives private anonymous mappings, addr >> PAGE_SHIFT.
type VMA struct {
	MM      uint8 // owning process slot + 1; 0: the VMA slot is unused
	Start   uint8 // vm_start
	End     uint8 // vm_end (exclusive)
	Pgoff   uint8 // vm_pgoff
	Flags   Flags
	AnonVMA AVID  // ->anon_vma
	Prev    VMAID // ->vm_prev
	Next    VMAID // ->vm_next
	NChain  uint8
	Chain   [MaxChain]AVID // ->anon_vma_chain: the anon_vma of each AVC, list head (newest) first
}

// Pages returns vma_pages(vma).
func (v *VMA) Pages() uint8 { return v.End - v.Start }

// Page models the struct page fields of an anonymous page that rmap uses.
type Page struct {
	Used     uint8 // 1 while the page is allocated
	Mapping  AVID  // page->mapping with PAGE_MAPPING_ANON stripped
	Index    uint8 // page->index
	Mapcount int8  // page_mapcount(): number of PTEs mapping the page
	Flags    uint8 // page flags: PageAnonExclusive (v5.19+)
}

// PageAnonExclusive marks a page known to be mapped by one process only
// (PG_anon_exclusive, v5.19 and later; never set by older variants).
const PageAnonExclusive uint8 = 1

// PTE is a page table entry: the page it maps and a write bit.
type PTE uint8

// PTEWrite marks a writable PTE.
const PTEWrite PTE = 0x80

// Page returns the mapped page, NoPage if the PTE is none.
func (p PTE) Page() PageID { return PageID(p &^ PTEWrite) }

// Writable reports the PTE's write bit.
func (p PTE) Writable() bool { return p&PTEWrite != 0 }

// MakePTE builds a PTE.
func MakePTE(pg PageID, writable bool) PTE {
	if writable {
		return PTE(pg) | PTEWrite
	}
	return PTE(pg)
}

// MM models struct mm_struct.
type MM struct {
	Live     uint8 // 1 while the process exists
	Mmap     VMAID // ->mmap: the lowest VMA
	MapCount uint8 // ->map_count
}

// State is the whole modelled kernel state. Bug and Overflow record why an
// operation ended early (the kernel oopsed, or the model ran out of room);
// a state with either has no successors. Warn records the first warning;
// the kernel carries on after a warning, and so does the model.
type State struct {
	AnonVMAs [MaxAnonVMAs]AnonVMA
	MMs      [MaxProcs]MM
	PT       [MaxProcs][MaxSlots]PTE
	VMAs     [MaxVMAs]VMA
	Pages    [MaxPages]Page
	Bug      uint8 // first BUG_ON/VM_BUG_ON, NULL dereference or use-after-free hit (an assertion id)
	Warn     uint8 // first WARN_ON/VM_WARN_ON hit (an assertion id)
	Overflow uint8 // a capacity of this package was exceeded (a Cap* value)
	Latent   uint8 // faults the kernel does not stop at: Latent* bits

	// FailedAllocs counts the allocations of anon_vma, anon_vma_chain
	// and vm_area_struct the trace made fail by injection (--fail-alloc):
	// the budget a scope gives a trace is spent here, so the state says
	// how much of it is left. Always 0 without --fail-alloc.
	FailedAllocs uint8
	_            uint8 // keeps the size even: no padding anywhere
}

// BaseSize is the size of a State up to, not including, FailedAllocs: a
// state whose FailedAllocs and the byte after it are 0 is hashed over
// these bytes only (Fingerprint), so that runs without --fail-alloc see
// the same fingerprints, digests and trace files as before the field
// existed.
const BaseSize = int(unsafe.Offsetof(State{}.FailedAllocs))

// Latent fault bits: what went wrong without the kernel noticing at once.
const (
	// LatentUnderflow: an anon_vma counter was decremented below zero (an
	// unsigned wrap in the kernel).
	LatentUnderflow uint8 = 1 << iota
	// LatentDanglingAVC: a VMA was freed while still in an anon_vma's
	// interval tree; the next rmap walk or tree update uses freed memory.
	LatentDanglingAVC
)

// Capacity overflow codes for State.Overflow.
const (
	CapNone uint8 = iota
	CapVMAs
	CapAnonVMAs
	CapChain
	CapPages
	CapProcs
)

// CapName names an overflow code.
func CapName(c uint8) string {
	switch c {
	case CapVMAs:
		return "VMAs (MaxVMAs)"
	case CapAnonVMAs:
		return "anon_vmas (MaxAnonVMAs)"
	case CapChain:
		return "anon_vma_chain length (MaxChain)"
	case CapPages:
		return "pages (MaxPages)"
	case CapProcs:
		return "processes (MaxProcs)"
	}
	return "none"
}

// VMA returns the VMA with the given id; id must not be NoVMA.
func (s *State) VMA(id VMAID) *VMA { return &s.VMAs[id-1] }

// AV returns the anon_vma with the given id; id must not be NoAV.
func (s *State) AV(id AVID) *AnonVMA { return &s.AnonVMAs[id-1] }

// Page returns the page with the given id; id must not be NoPage.
func (s *State) Page(id PageID) *Page { return &s.Pages[id-1] }

// Faulted reports whether the state ended in an oops or an overflow and so
// has no successors.
func (s *State) Faulted() bool { return s.Bug != 0 || s.Overflow != 0 }

// InTree reports whether VMA v's AVC is in anon_vma a's interval tree.
func (a *AnonVMA) InTree(v VMAID) bool { return a.Tree&(1<<(v-1)) != 0 }

// ChainHas reports whether anon_vma a is on v's anon_vma_chain.
func (v *VMA) ChainHas(a AVID) bool {
	for i := uint8(0); i < v.NChain; i++ {
		if v.Chain[i] == a {
			return true
		}
	}
	return false
}

// LiveProcs returns the number of live processes.
func (s *State) LiveProcs() int {
	n := 0
	for i := range s.MMs {
		if s.MMs[i].Live != 0 {
			n++
		}
	}
	return n
}

// FindVMA returns the VMA of process p that contains page slot addr, or
// NoVMA. It walks the vm_next list like find_vma() followed by the
// vm_start check every caller makes.
func (s *State) FindVMA(p int, addr uint8) VMAID {
	n := 0
	for v := s.MMs[p].Mmap; v != NoVMA && n <= MaxVMAs; v = s.VMA(v).Next {
		vv := s.VMA(v)
		if addr < vv.End {
			if addr >= vv.Start {
				return v
			}
			return NoVMA
		}
		n++
	}
	return NoVMA
}

// ForEachVMA calls f for each VMA of process p in address order (the vm_next
// list). It stops early if f returns false, and after MaxVMAs steps if the
// list is corrupt.
func (s *State) ForEachVMA(p int, f func(VMAID) bool) {
	n := 0
	for v := s.MMs[p].Mmap; v != NoVMA && n < MaxVMAs; v = s.VMA(v).Next {
		if !f(v) {
			return
		}
		n++
	}
}
