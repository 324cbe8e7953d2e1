// Package state holds the abstract kernel state anoncheck explores: the
// address spaces of a few processes, their VMAs with vm_prev/vm_next and
// anon_vma_chain lists, the anon_vma objects, the anonymous pages and the
// page tables, as one flat value of fixed size.
//
// In Linux:                             In anoncheck:
//
//	struct mm_struct                      MM (one per process slot)
//	struct vm_area_struct                 VMA (global pool, 1-based VMAID)
//	  vm_start, vm_end, vm_pgoff          Start, End, Pgoff (in pages)
//	  vm_flags                            Flags (the bits rmap code reads)
//	  anon_vma                            AnonVMA
//	  anon_vma_chain (same_vma list)      Chain, newest first, NChain long
//	  vm_prev, vm_next (v5.4)             Prev, Next
//	struct anon_vma                       AnonVMA (global pool, 1-based AVID)
//	  root, parent, refcount, degree      Root, Parent, Refcount, Degree
//	  num_children, num_active_vmas       NumChildren, NumActiveVMAs (v6.1)
//	  rb_root (interval tree of AVCs)     Tree, a bit set of VMAIDs
//	struct page (anonymous)               Page (global pool, 1-based PageID)
//	  mapping, index, _mapcount+1         Mapping, Index, Mapcount
//	page tables                           PT[process][page slot]
//
// An anon_vma_chain object is the pair (VMA, anon_vma): it sits on the VMA's
// Chain and, through Tree, in the anon_vma's interval tree, as in the
// kernel, so the two can disagree when modelled code is wrong; the
// self-check compares them.
//
// Every field is one or two bytes and the layout has no padding, so a
// State can be copied by value and hashed as raw bytes; Canonical renames
// VMAs, anon_vmas and pages so that states which differ only in which pool
// slots they use get the same fingerprint.
package state
