package transitions

// The structures mm/vma.c (Linux 6.12 and later) threads through its
// merge, munmap and mmap code. Entries of Funcs take them, so they live in
// the runtime; the v6 generation fills and reads them. Fields the modelled
// mappings never set (file, mempolicy, userfaultfd context, anon_vma_name,
// VM_SPECIAL, uprobes, accounting totals, the maple tree iterator) are left
// out: for private anonymous VMAs every comparison of them agrees.

// MergeState is enum vma_merge_state (mm/vma.h).
type MergeState uint8

// The merge states.
const (
	MergeStart      MergeState = iota // VMA_MERGE_START
	MergeErrorNoMem                   // VMA_MERGE_ERROR_NOMEM
	MergeNoMerge                      // VMA_MERGE_NOMERGE
	MergeSuccess                      // VMA_MERGE_SUCCESS
)

// VMG models struct vma_merge_struct (mm/vma.h, v6.18): the description of
// a merge, threaded through vma_merge_new_range(), vma_merge_existing_range(),
// vma_expand() and commit_merge(), which update it as they go.
//
//	|------|--------|------|
//	| prev | middle | next |
//	|------|--------|------|
//
// Middle is the VMA whose range [Start, End) changes attributes (mprotect,
// madvise), or NULL for a new range (mmap). Target is the VMA that becomes
// the merged one.
type VMG struct {
	MM                         int // vmg->mm, as a process slot
	Prev, Middle, Next, Target vmaID
	Start, End                 uint8 // the range, widened by the merge to the merged VMA's
	Pgoff                      uint8
	Flags                      flags // vmg->vm_flags: the flags the range is to have
	AnonVMA                    avID  // vmg->anon_vma: middle's anon_vma, NULL for a new range
	State                      MergeState
	// CopiedFrom is vmg->copied_from (mm/vma.h of 6.18.y, not of v6.18):
	// the VMA mremap()'s copy_vma() copies, which vma_merge_copied_range()
	// moves here from middle. NoVMA in every other merge, and always in
	// v6.18.
	CopiedFrom vmaID

	// The internal flags of the merge.
	AdjustMiddleStart bool // __adjust_middle_start: middle keeps a tail, prev grows
	AdjustNextStart   bool // __adjust_next_start: middle keeps a head, next grows down
	RemoveMiddle      bool // __remove_middle
	RemoveNext        bool // __remove_next
}

// NoMem is vmg_nomem(): the merge failed for want of memory.
func (g *VMG) NoMem() bool { return g.State == MergeErrorNoMem }

// VMS models struct vma_munmap_struct (mm/vma.h, v6.18) together with the
// detached maple tree (mas_detach) the munmap code gathers the VMAs of the
// range into. The model keeps the detached VMAs linked through their
// vm_next/vm_prev in address order, Detached the first: the list stands in
// for mas_detach as the mm's list stands in for the mm's maple tree.
type VMS struct {
	MM         int
	VMA        vmaID // the first VMA to munmap
	Prev, Next vmaID // the VMAs before and after the range
	Start, End uint8
	VMACount   int  // vma_count: VMAs detached
	NrPages    int  // nr_pages: pages they span
	ClearPTEs  bool // clear_ptes: their PTEs and page tables are still to go
	Detached   vmaID
}

// MmapState models struct mmap_state (mm/vma.c, v6.18) for an anonymous
// mapping: the range, its flags and page offset, the VMAs around it and the
// munmap of whatever it replaces.
type MmapState struct {
	MM         int
	Addr, End  uint8
	Pgoff      uint8
	Flags      flags
	Prev, Next vmaID
	VMS        VMS
}
