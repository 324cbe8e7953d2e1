package transitions

import "fmt"

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

// The layout of Coverage: operation kinds, then functions, cases and
// assertions.
const (
	pointOps     Point = 0
	pointFns           = pointOps + Point(numOpKinds)
	pointCases         = pointFns + Point(numFns)
	pointAsserts       = pointCases + Point(numCases)
	// NumPoints is the number of coverage points.
	NumPoints = int(pointAsserts) + int(numAssertions)
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
	numCases
)

// caseShort are the cases' names in coverage tables.
var caseShort = [numCases]string{
	CaseMergePrevNext: "merge 1,6", CaseMergePrev: "merge 2,5,7", CaseMergeNextShift: "merge 4", CaseMergeNext: "merge 3,8",
	CaseAdjustRemove1: "remove_next=1", CaseAdjustRemove2: "remove_next=2", CaseAdjustRemove3: "remove_next=3",
	CaseAdjustNext: "adjust_next", CaseAdjustImport: "import anon_vma", CaseCloneReuse: "clone reuses",
	CaseForkNewAnonVMA: "fork new anon_vma", CasePrepareShare: "prepare shares", CaseWPReuse: "wp reuse",
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

// PointKind groups coverage points for reports.
type PointKind int

// The groups of coverage points.
const (
	PointOp        PointKind = iota // an operation kind applied
	PointFunction                   // a kernel function entered
	PointCase                       // a case or decision taken
	PointAssertion                  // a kernel assertion that fired
)

// Describe returns a point's group and name.
func (p Point) Describe() (PointKind, string) {
	switch {
	case p < pointFns:
		return PointOp, OpKind(p - pointOps).String()
	case p < pointCases:
		return PointFunction, Fn(p - pointFns).String()
	case p < pointAsserts:
		return PointCase, Case(p - pointCases).String()
	}
	return PointAssertion, Assertion(p - pointAsserts).String()
}

// Used reports whether the point names something: operation kind 0 and
// assertion 0 stand for nothing and are never counted.
func (p Point) Used() bool {
	return p != pointOps && p != pointAsserts && p != pointAsserts+Point(lastBug)
}

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
