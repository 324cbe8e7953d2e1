package transitions

import (
	"fmt"
	"reflect"
)

// Coverage counts how often a run reached each point of the model: the
// operation kinds applied, the modelled kernel functions entered, the
// cases and decisions of the code that matter to anon_vma bookkeeping
// (which vma_merge() case merged, whether anon_vma_clone() reused an
// anon_vma, ...), and the kernel's own assertions that fired. A kernel
// with Cov set counts into it; every count is of transitions computed, so
// a state met by several paths counts once per path.
type Coverage [NumPoints]uint64

// Point is an index into Coverage.
type Point int

// The layout of Coverage: operation kinds, then functions, cases,
// assertions and the allocation failures injected (--fail-alloc).
const (
	pointOps      Point = 0
	pointFns            = pointOps + Point(numOpKinds)
	pointCases          = pointFns + Point(numFns)
	pointAsserts        = pointCases + Point(numCases)
	pointInjected       = pointAsserts + Point(numAssertions)
	// NumPoints is the number of coverage points.
	NumPoints = int(pointInjected) + int(numAllocSites)
)

// Fn names a modelled kernel function, for call recording and coverage.
type Fn uint8

// The modelled kernel functions: the Funcs entries, and the fork and exit
// paths of the user-level operations.
const (
	FnAnonVMAAlloc Fn = iota
	FnAnonVMAFree
	FnGetAnonVMA
	FnPutAnonVMA
	FnAnonVMAChainLink
	FnLockAnonVMARoot
	FnAnonVMAPrepare
	FnAnonVMAClone
	FnAnonVMAFork
	FnUnlinkAnonVMAs
	FnAnonVMAMerge
	FnPageAddNewAnonRmap
	FnPageSetAnonRmap
	FnPageMoveAnonRmap
	FnPageDupRmap
	FnPageRemoveRmap
	FnFindMergeableAnonVMA
	FnReusableAnonVMA
	FnAnonVMACompatible
	FnIsMergeableVMA
	FnIsMergeableAnonVMA
	FnCanVMAMergeBefore
	FnCanVMAMergeAfter
	FnVMAMerge
	FnVMAAdjust
	FnSplitVMA
	FnDoMunmap
	FnMmapRegion
	FnExitMmap
	FnDupMmap
	FnVMAreaDup
	FnVMAreaFree
	FnHandleMMFault
	FnDoAnonymousPage
	FnDoWPPage
	FnWPPageCopy
	FnCopyPageRange
	FnUnmapVMAs
	FnFreePgtables
	FnDoMprotectPkey
	FnMprotectFixup
	FnChangeProtection
	FnMadvise
	FnMadviseBehavior
	FnFork
	FnExit

	// The functions of Linux 6.12 and later with no 5.x counterpart
	// (mm/vma.c and its callers), after the others so that their ids stay.
	FnIsMergeableVMAVMG
	FnIsMergeableAnonVMAVMG
	FnCanVMAMergeBeforeVMG
	FnCanVMAMergeAfterVMG
	FnCanVMAMergeLeft
	FnCanVMAMergeRight
	FnDupAnonVMA
	FnCommitMerge
	FnVMAMergeExistingRange
	FnVMAMergeNewRange
	FnVMAExpand
	FnVMAModify
	FnVMAModifyFlags
	FnSplitVMAChecked
	FnVMSGatherMunmapVMAs
	FnVMSClearPTEs
	FnVMSCompleteMunmapVMAs
	FnDoVMIAlignMunmap
	FnDoVMIMunmap
	FnMmapRegionInner
	FnMmapPrepare
	FnMmapNewVMA
	FnMmapComplete
	FnWPCanReuseAnonFolio
	FnMadviseUpdateVMA

	// The functions of the opt-in operations (MADV_DONTNEED, mremap).
	FnMadviseDontNeedFree
	FnMadviseDontNeedSingleVMA
	FnZapPageRange
	FnDoMremap
	FnMremapTo
	FnMremapAt
	FnMoveVMA
	FnCopyVMA
	FnMovePageTables
	numFns
)

var fnNames = [numFns]string{
	FnAnonVMAAlloc: "anon_vma_alloc", FnAnonVMAFree: "anon_vma_free", FnGetAnonVMA: "get_anon_vma",
	FnPutAnonVMA: "put_anon_vma", FnAnonVMAChainLink: "anon_vma_chain_link", FnLockAnonVMARoot: "lock_anon_vma_root",
	FnAnonVMAPrepare: "__anon_vma_prepare", FnAnonVMAClone: "anon_vma_clone", FnAnonVMAFork: "anon_vma_fork",
	FnUnlinkAnonVMAs: "unlink_anon_vmas", FnAnonVMAMerge: "anon_vma_merge",
	FnPageAddNewAnonRmap: "page_add_new_anon_rmap", FnPageSetAnonRmap: "__page_set_anon_rmap",
	FnPageMoveAnonRmap: "page_move_anon_rmap", FnPageDupRmap: "page_dup_rmap", FnPageRemoveRmap: "page_remove_rmap",
	FnFindMergeableAnonVMA: "find_mergeable_anon_vma", FnReusableAnonVMA: "reusable_anon_vma",
	FnAnonVMACompatible: "anon_vma_compatible", FnIsMergeableVMA: "is_mergeable_vma",
	FnIsMergeableAnonVMA: "is_mergeable_anon_vma", FnCanVMAMergeBefore: "can_vma_merge_before",
	FnCanVMAMergeAfter: "can_vma_merge_after", FnVMAMerge: "vma_merge", FnVMAAdjust: "__vma_adjust",
	FnSplitVMA: "__split_vma", FnDoMunmap: "__do_munmap", FnMmapRegion: "mmap_region", FnExitMmap: "exit_mmap",
	FnDupMmap: "dup_mmap", FnVMAreaDup: "vm_area_dup", FnVMAreaFree: "vm_area_free",
	FnHandleMMFault: "handle_mm_fault", FnDoAnonymousPage: "do_anonymous_page", FnDoWPPage: "do_wp_page",
	FnWPPageCopy: "wp_page_copy", FnCopyPageRange: "copy_page_range", FnUnmapVMAs: "unmap_vmas",
	FnFreePgtables: "free_pgtables", FnDoMprotectPkey: "do_mprotect_pkey", FnMprotectFixup: "mprotect_fixup",
	FnChangeProtection: "change_protection", FnMadvise: "madvise", FnMadviseBehavior: "madvise_behavior",
	FnFork: "fork", FnExit: "exit",
	// The merge predicates of mm/vma.c take a vma_merge_struct; "(vmg)"
	// tells them from the mm/mmap.c functions of the same name.
	FnIsMergeableVMAVMG: "is_mergeable_vma(vmg)", FnIsMergeableAnonVMAVMG: "is_mergeable_anon_vma(vmg)",
	FnCanVMAMergeBeforeVMG: "can_vma_merge_before(vmg)", FnCanVMAMergeAfterVMG: "can_vma_merge_after(vmg)",
	FnCanVMAMergeLeft: "can_vma_merge_left", FnCanVMAMergeRight: "can_vma_merge_right",
	FnDupAnonVMA: "dup_anon_vma", FnCommitMerge: "commit_merge",
	FnVMAMergeExistingRange: "vma_merge_existing_range", FnVMAMergeNewRange: "vma_merge_new_range",
	FnVMAExpand: "vma_expand", FnVMAModify: "vma_modify", FnVMAModifyFlags: "vma_modify_flags",
	FnSplitVMAChecked: "split_vma", FnVMSGatherMunmapVMAs: "vms_gather_munmap_vmas",
	FnVMSClearPTEs: "vms_clear_ptes", FnVMSCompleteMunmapVMAs: "vms_complete_munmap_vmas",
	FnDoVMIAlignMunmap: "do_vmi_align_munmap", FnDoVMIMunmap: "do_vmi_munmap",
	FnMmapRegionInner: "__mmap_region", FnMmapPrepare: "__mmap_prepare", FnMmapNewVMA: "__mmap_new_vma",
	FnMmapComplete: "__mmap_complete", FnWPCanReuseAnonFolio: "wp_can_reuse_anon_folio",
	FnMadviseUpdateVMA:    "madvise_update_vma",
	FnMadviseDontNeedFree: "madvise_dontneed_free", FnMadviseDontNeedSingleVMA: "madvise_dontneed_single_vma",
	FnZapPageRange: "zap_page_range", FnDoMremap: "do_mremap", FnMremapTo: "mremap_to", FnMremapAt: "mremap_at",
	FnMoveVMA: "move_vma", FnCopyVMA: "copy_vma", FnMovePageTables: "move_page_tables",
}

// String is the kernel function's name.
func (f Fn) String() string {
	if f < numFns {
		return fnNames[f]
	}
	return fmt.Sprintf("fn%d", uint8(f))
}

// Case names a branch of modelled code that coverage counts.
type Case uint8

// The cases and decisions counted.
const (
	CaseMergePrevNext  Case = iota // vma_merge: prev and next merge over the range (cases 1, 6)
	CaseMergePrev                  // vma_merge: prev grows over the range (cases 2, 5, 7)
	CaseMergeNextShift             // vma_merge: prev shrinks, next grows down (case 4)
	CaseMergeNext                  // vma_merge: next grows down over the range (cases 3, 8)
	CaseAdjustRemove1              // __vma_adjust: remove_next == 1
	CaseAdjustRemove2              // __vma_adjust: remove_next == 2 (case 6)
	CaseAdjustRemove3              // __vma_adjust: remove_next == 3 (case 8)
	CaseAdjustNext                 // __vma_adjust: adjust_next (cases 4, 5)
	CaseAdjustImport               // __vma_adjust: the importer takes the exporter's anon_vma and clones its chain
	CaseCloneReuse                 // anon_vma_clone: dst reuses an anon_vma of src's chain
	CaseForkNewAnonVMA             // anon_vma_fork: the child VMA gets an anon_vma of its own
	CasePrepareShare               // __anon_vma_prepare: find_mergeable_anon_vma() found a neighbour's anon_vma
	CaseWPReuse                    // do_wp_page: the page is reused (wp_page_reuse)

	// The cases of mm/vma.c (Linux 6.12 and later).
	CaseExistingBoth  // vma_merge_existing_range: merge_both, prev takes middle and next
	CaseExistingLeft  // vma_merge_existing_range: merge_left, prev takes the range
	CaseExistingRight // vma_merge_existing_range: merge_right, next takes the range
	CaseNewBoth       // vma_merge_new_range: prev takes the range and next
	CaseNewOne        // vma_merge_new_range: prev or next takes the range
	CaseAdjustStart   // commit_merge: the VMA the range leaves keeps the rest (__adjust_*_start)
	CaseDupAnonVMA    // dup_anon_vma: dst takes src's anon_vma and a clone of its chain
	CaseUncowedRefuse // is_mergeable_anon_vma: refused, a VMA with parents' anon_vmas would share or pass on its anon_vma
	numCases
)

// caseShort are the cases' names in coverage tables.
var caseShort = [numCases]string{
	CaseMergePrevNext: "merge 1,6", CaseMergePrev: "merge 2,5,7", CaseMergeNextShift: "merge 4", CaseMergeNext: "merge 3,8",
	CaseAdjustRemove1: "remove_next=1", CaseAdjustRemove2: "remove_next=2", CaseAdjustRemove3: "remove_next=3",
	CaseAdjustNext: "adjust_next", CaseAdjustImport: "import anon_vma", CaseCloneReuse: "clone reuses",
	CaseForkNewAnonVMA: "fork new anon_vma", CasePrepareShare: "prepare shares", CaseWPReuse: "wp reuse",
	CaseExistingBoth: "existing both", CaseExistingLeft: "existing left", CaseExistingRight: "existing right",
	CaseNewBoth: "new both", CaseNewOne: "new one side", CaseAdjustStart: "adjust start",
	CaseDupAnonVMA: "dup_anon_vma", CaseUncowedRefuse: "uncowed refused",
}

var caseNames = [numCases]string{
	CaseMergePrevNext:  "vma_merge: prev and next merge over the range (cases 1, 6)",
	CaseMergePrev:      "vma_merge: prev grows over the range (cases 2, 5, 7)",
	CaseMergeNextShift: "vma_merge: prev shrinks and next grows down (case 4)",
	CaseMergeNext:      "vma_merge: next grows down over the range (cases 3, 8)",
	CaseAdjustRemove1:  "__vma_adjust: remove_next = 1",
	CaseAdjustRemove2:  "__vma_adjust: remove_next = 2",
	CaseAdjustRemove3:  "__vma_adjust: remove_next = 3",
	CaseAdjustNext:     "__vma_adjust: adjust_next",
	CaseAdjustImport:   "__vma_adjust: importer takes the exporter's anon_vma",
	CaseCloneReuse:     "anon_vma_clone: reuses an anon_vma",
	CaseForkNewAnonVMA: "anon_vma_fork: a new anon_vma for the child",
	CasePrepareShare:   "__anon_vma_prepare: shares a neighbour's anon_vma",
	CaseWPReuse:        "do_wp_page: reuses the page",
	CaseExistingBoth:   "vma_merge_existing_range: prev takes middle and next (merge_both)",
	CaseExistingLeft:   "vma_merge_existing_range: prev takes the range (merge_left)",
	CaseExistingRight:  "vma_merge_existing_range: next takes the range (merge_right)",
	CaseNewBoth:        "vma_merge_new_range: prev takes the new range and next",
	CaseNewOne:         "vma_merge_new_range: prev or next takes the new range",
	CaseAdjustStart:    "commit_merge: the VMA the range leaves keeps the rest (__adjust_middle_start, __adjust_next_start)",
	CaseDupAnonVMA:     "dup_anon_vma: dst takes src's anon_vma and a clone of its chain",
	CaseUncowedRefuse:  "is_mergeable_anon_vma: refused for a VMA linked to its parents' anon_vmas (vma_had_uncowed_parents)",
}

// String describes the case.
func (c Case) String() string {
	if c < numCases {
		return caseNames[c]
	}
	return fmt.Sprintf("case%d", uint8(c))
}

// Short is the case's name in coverage tables: "merge 2,5,7".
func (c Case) Short() string {
	if c < numCases {
		return caseShort[c]
	}
	return c.String()
}

// Fns lists the modelled kernel functions in order.
func Fns() []Fn { return upTo(numFns) }

// Cases lists the counted cases in order.
func Cases() []Case { return upTo(numCases) }

// upTo returns 0, 1, ..., n-1.
func upTo[T ~uint8](n T) []T {
	out := make([]T, n)
	for i := range out {
		out[i] = T(i)
	}
	return out
}

// Assertions lists the modelled assertions in order.
func Assertions() []Assertion {
	var out []Assertion
	for a := AssertNone + 1; a < numAssertions; a++ {
		if a != lastBug {
			out = append(out, a)
		}
	}
	return out
}

// Op returns how often operation kind k was applied.
func (c *Coverage) Op(k OpKind) uint64 { return c[pointOps+Point(k)] }

// Fn returns how often kernel function f was entered.
func (c *Coverage) Fn(f Fn) uint64 { return c[pointFns+Point(f)] }

// Case returns how often case x was taken.
func (c *Coverage) Case(x Case) uint64 { return c[pointCases+Point(x)] }

// Assertion returns how often assertion a fired.
func (c *Coverage) Assertion(a Assertion) uint64 { return c[pointAsserts+Point(a)] }

// Add adds o's counts to c.
func (c *Coverage) Add(o *Coverage) {
	for i := range c {
		c[i] += o[i]
	}
}

// Reached reports whether the run ever entered kernel function f.
func (c *Coverage) Reached(f Fn) bool { return c[pointFns+Point(f)] > 0 }

// count adds one to point p when coverage is on.
func (k *Kernel) count(p Point) {
	if k.Cov != nil {
		k.Cov[p]++
	}
}

// Cover counts kernel function f.
func (k *Kernel) Cover(f Fn) { k.count(pointFns + Point(f)) }

// Case counts a case or decision of the modelled code.
func (k *Kernel) Case(c Case) { k.count(pointCases + Point(c)) }

// coverOp counts an operation applied.
func (k *Kernel) coverOp(kind OpKind) { k.count(pointOps + Point(kind)) }

// coverAssertion counts an assertion that fired.
func (k *Kernel) coverAssertion(a Assertion) { k.count(pointAsserts + Point(a)) }

// coverInjected counts an allocation failure injected at site.
func (k *Kernel) coverInjected(site AllocSite) { k.count(pointInjected + Point(site)) }

// Injected returns how often an allocation at site was made to fail.
func (c *Coverage) Injected(site AllocSite) uint64 { return c[pointInjected+Point(site)] }

// fnField names the Funcs entry of each kernel function (fork and exit
// are Syscalls entries).
var fnField = [numFns]string{FnAnonVMAAlloc: "AnonVMAAlloc", FnAnonVMAChainLink: "AnonVMAChainLink", FnAnonVMAClone: "AnonVMAClone", FnAnonVMACompatible: "AnonVMACompatible", FnAnonVMAFork: "AnonVMAFork", FnAnonVMAFree: "AnonVMAFree", FnAnonVMAMerge: "AnonVMAMerge", FnAnonVMAPrepare: "AnonVMAPrepare", FnCanVMAMergeAfter: "CanVMAMergeAfter", FnCanVMAMergeAfterVMG: "CanVMAMergeAfterVMG", FnCanVMAMergeBefore: "CanVMAMergeBefore", FnCanVMAMergeBeforeVMG: "CanVMAMergeBeforeVMG", FnCanVMAMergeLeft: "CanVMAMergeLeft", FnCanVMAMergeRight: "CanVMAMergeRight", FnChangeProtection: "ChangeProtection", FnCommitMerge: "CommitMerge", FnCopyPageRange: "CopyPageRange", FnDoAnonymousPage: "DoAnonymousPage", FnDoMprotectPkey: "DoMprotectPkey", FnDoMunmap: "DoMunmap", FnDoVMIAlignMunmap: "DoVMIAlignMunmap", FnDoVMIMunmap: "DoVMIMunmap", FnDoWPPage: "DoWPPage", FnDupAnonVMA: "DupAnonVMA", FnDupMmap: "DupMmap", FnExitMmap: "ExitMmap", FnFindMergeableAnonVMA: "FindMergeableAnonVMA", FnFreePgtables: "FreePgtables", FnGetAnonVMA: "GetAnonVMA", FnHandleMMFault: "HandleMMFault", FnIsMergeableAnonVMA: "IsMergeableAnonVMA", FnIsMergeableAnonVMAVMG: "IsMergeableAnonVMAVMG", FnIsMergeableVMA: "IsMergeableVMA", FnIsMergeableVMAVMG: "IsMergeableVMAVMG", FnLockAnonVMARoot: "LockAnonVMARoot", FnMadvise: "Madvise", FnMadviseBehavior: "MadviseBehavior", FnMadviseUpdateVMA: "MadviseUpdateVMA", FnMmapComplete: "MmapComplete", FnMmapNewVMA: "MmapNewVMA", FnMmapPrepare: "MmapPrepare", FnMmapRegion: "MmapRegion", FnMmapRegionInner: "MmapRegionInner", FnMprotectFixup: "MprotectFixup", FnPageAddNewAnonRmap: "PageAddNewAnonRmap", FnPageDupRmap: "PageDupRmap", FnPageMoveAnonRmap: "PageMoveAnonRmap", FnPageRemoveRmap: "PageRemoveRmap", FnPageSetAnonRmap: "PageSetAnonRmap", FnPutAnonVMA: "PutAnonVMA", FnReusableAnonVMA: "ReusableAnonVMA", FnSplitVMA: "SplitVMA", FnSplitVMAChecked: "SplitVMAChecked", FnUnlinkAnonVMAs: "UnlinkAnonVMAs", FnUnmapVMAs: "UnmapVMAs", FnVMAAdjust: "VMAAdjust", FnVMAExpand: "VMAExpand", FnVMAMerge: "VMAMerge", FnVMAMergeExistingRange: "VMAMergeExistingRange", FnVMAMergeNewRange: "VMAMergeNewRange", FnVMAModify: "VMAModify", FnVMAModifyFlags: "VMAModifyFlags", FnVMAreaDup: "VMAreaDup", FnVMAreaFree: "VMAreaFree", FnVMSClearPTEs: "VMSClearPTEs", FnVMSCompleteMunmapVMAs: "VMSCompleteMunmapVMAs", FnVMSGatherMunmapVMAs: "VMSGatherMunmapVMAs", FnWPCanReuseAnonFolio: "WPCanReuseAnonFolio", FnWPPageCopy: "WPPageCopy", FnMadviseDontNeedFree: "MadviseDontNeedFree", FnMadviseDontNeedSingleVMA: "MadviseDontNeedSingleVMA", FnZapPageRange: "ZapPageRange", FnDoMremap: "DoMremap", FnMremapTo: "MremapTo", FnMremapAt: "MremapAt", FnMoveVMA: "MoveVMA", FnCopyVMA: "CopyVMA", FnMovePageTables: "MovePageTables"}

// Has reports whether the table fills kernel function fn's entry: whether
// a kernel running it can ever enter fn. Reports count coverage against
// the functions a variant's table has, not every generation's.
func (f *Funcs) Has(fn Fn) bool {
	switch fn {
	case FnFork:
		return f.Sys.Fork != nil
	case FnExit:
		return f.Sys.Exit != nil
	}
	if fn >= numFns {
		return false
	}
	return !reflect.ValueOf(f).Elem().FieldByName(fnField[fn]).IsNil()
}

// caseFn is the kernel function each case is a branch of.
var caseFn = [numCases]Fn{
	CaseMergePrevNext: FnVMAMerge, CaseMergePrev: FnVMAMerge, CaseMergeNextShift: FnVMAMerge, CaseMergeNext: FnVMAMerge,
	CaseAdjustRemove1: FnVMAAdjust, CaseAdjustRemove2: FnVMAAdjust, CaseAdjustRemove3: FnVMAAdjust,
	CaseAdjustNext: FnVMAAdjust, CaseAdjustImport: FnVMAAdjust, CaseCloneReuse: FnAnonVMAClone,
	CaseForkNewAnonVMA: FnAnonVMAFork, CasePrepareShare: FnAnonVMAPrepare, CaseWPReuse: FnDoWPPage,
	CaseExistingBoth: FnVMAMergeExistingRange, CaseExistingLeft: FnVMAMergeExistingRange,
	CaseExistingRight: FnVMAMergeExistingRange, CaseNewBoth: FnVMAMergeNewRange, CaseNewOne: FnVMAMergeNewRange,
	CaseAdjustStart: FnCommitMerge, CaseDupAnonVMA: FnDupAnonVMA, CaseUncowedRefuse: FnIsMergeableAnonVMAVMG,
}

// Fn is the kernel function the case is a branch of: a table without
// that function never takes the case.
func (c Case) Fn() Fn { return caseFn[c] }

// Name is fn's name in the generation whose table f is (Funcs.Names), or
// its 5.x name.
func (f *Funcs) Name(fn Fn) string {
	if name, ok := f.Names[fn]; ok {
		return name
	}
	return fn.String()
}
