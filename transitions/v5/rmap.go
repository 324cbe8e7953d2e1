package v5

import (
	"anoncheck/state"
	"anoncheck/transitions"
)

// The functions of mm/rmap.c and include/linux/rmap.h as of Linux v5.4.
// Sources: see docs/SOURCES.md; the v5.4 anon_vma code is the degree-based
// form of 7a3ef208e662 ("mm: prevent endless growth of anon_vma
// hierarchy"), before 47b390d23bf8 and 4e4a9eb92133 (both v5.5-rc1).

// anonVMAAllocV54 models mm/rmap.c:anon_vma_alloc() (v5.4): a new anon_vma
// with refcount 1, degree 1 ("reference for first vma") and itself as
// parent and root; NULL when kmem_cache_alloc() fails.
func anonVMAAllocV54(k *Kernel) avID {
	id := k.AllocAV()
	if id == state.NoAV {
		return id
	}
	a := k.S.AV(id)
	a.Refcount = 1
	a.Degree = 1
	a.Parent = id
	a.Root = id
	return id
}

// anonVMAFreeV54 models mm/rmap.c:anon_vma_free() (v5.4):
// VM_BUG_ON(atomic_read(&anon_vma->refcount)), then the slab free. The
// down_write/up_write of the root rwsem it may do (to synchronise with
// page_lock_anon_vma_read) has no effect in a sequential model. The slot
// is marked freed, not reused, while anything still points at it.
// Unchanged to v6.18, whose table uses it too.
func anonVMAFreeV54(k *Kernel, av avID) {
	a := k.AV(av)
	k.BugOn(a.Refcount != 0, transitions.BugAnonVMAFreeRefcount)
	a.Status = state.AVFreed
}

// getAnonVMAV54 models include/linux/rmap.h:get_anon_vma(): atomic_inc of
// the refcount.
// Unchanged to v6.18.
func getAnonVMAV54(k *Kernel, av avID) {
	k.AV(av).Refcount++
}

// putAnonVMAV54 models include/linux/rmap.h:put_anon_vma() with
// mm/rmap.c:__put_anon_vma() (v5.4): when the refcount drops to zero, free
// the anon_vma, then drop its reference on the root and free the root too
// if that was the last one.
// Unchanged to v6.18 (mm/rmap.c:__put_anon_vma() frees the anon_vma, then
// the root when its refcount drops to zero).
func putAnonVMAV54(k *Kernel, av avID) {
	a := k.AV(av)
	a.Refcount--
	if a.Refcount != 0 {
		return
	}
	// __put_anon_vma
	root := a.Root
	k.AnonVMAFree(av)
	if root != av {
		r := k.AV(root)
		r.Refcount--
		if r.Refcount == 0 {
			k.AnonVMAFree(root)
		}
	}
}

// anonVMAChainLinkV54 models mm/rmap.c:anon_vma_chain_link() (v5.4): the
// new AVC goes at the head of vma->anon_vma_chain and into the anon_vma's
// interval tree.
// Unchanged to v6.18.
func anonVMAChainLinkV54(k *Kernel, vma vmaID, av avID) {
	a := k.AV(av)
	k.ChainPush(k.VMA(vma), av)
	transitions.TreeInsert(a, vma)
}

// lockAnonVMARootV54 models mm/rmap.c:lock_anon_vma_root() (v5.4): switch
// to the anon_vma's root lock; meeting a second root along one chain hits
// WARN_ON_ONCE(root). Taking the rwsem reads the root, so a freed root is a
// use-after-free.
// Unchanged to v6.18.
func lockAnonVMARootV54(k *Kernel, root, av avID) avID {
	newRoot := k.AV(av).Root
	if newRoot != root {
		k.WarnOn(root != state.NoAV, transitions.WarnLockAnonVMARoot)
		root = newRoot
		k.AV(root) // down_write(&root->rwsem)
	}
	return root
}

// anonVMAPrepareV54 models mm/rmap.c:__anon_vma_prepare() (v5.4): an AVC,
// then a mergeable anon_vma of a neighbour (find_mergeable_anon_vma) or a
// new one; then, as vma->anon_vma is still NULL in a sequential model,
// set it, link the AVC and count the VMA in the degree ("vma reference or
// self-parent link for new root"). -ENOMEM, with nothing changed, when an
// allocation fails (AnonVMAPrepareFind).
func anonVMAPrepareV54(k *Kernel, vma vmaID) int {
	av, allocated, err := AnonVMAPrepareFind(k, vma)
	if err != 0 {
		return err
	}
	if AnonVMAPrepareLink(k, vma, av, allocated) {
		k.Inc(&k.AV(av).Degree)
	}
	return 0
}

// AnonVMAPrepareFind is the start of mm/rmap.c:__anon_vma_prepare(), v5.4 ..
// v6.18: avc = anon_vma_chain_alloc(GFP_KERNEL), then the anon_vma of a
// neighbour it may share (find_mergeable_anon_vma()), else a new one
// (anon_vma_alloc()), which it also returns as allocated. When the AVC
// cannot be allocated it returns -ENOMEM at once (out_enomem); when the
// anon_vma cannot, it frees the AVC (out_enomem_free_avc: the model keeps
// no AVC objects, so nothing to undo) and returns -ENOMEM. Nothing is
// changed on either path.
func AnonVMAPrepareFind(k *Kernel, vma vmaID) (av, allocated avID, err int) {
	if !k.AllocAVC() {
		return state.NoAV, state.NoAV, transitions.ENOMEM // out_enomem
	}
	av = k.FindMergeableAnonVMA(vma)
	allocated = state.NoAV
	if av != state.NoAV {
		k.Case(transitions.CasePrepareShare)
	} else {
		av = k.AnonVMAAlloc()
		if av == state.NoAV {
			return state.NoAV, state.NoAV, transitions.ENOMEM // out_enomem_free_avc
		}
		allocated = av
	}
	return av, allocated, 0
}

// AnonVMAPrepareLink is the part of mm/rmap.c:__anon_vma_prepare() under
// the anon_vma lock and page_table_lock, v5.4 .. v6.18: if vma->anon_vma is
// still NULL, av becomes it and is linked at the head of vma's chain, and
// it reports true; the caller then counts the VMA in av, which is the
// statement 2555283eb40d changed (degree++, then num_active_vmas++).
// Otherwise it puts allocated, the anon_vma the caller allocated for
// nothing (if any), and reports false.
func AnonVMAPrepareLink(k *Kernel, vma vmaID, av, allocated avID) bool {
	if v := k.VMA(vma); v.AnonVMA == state.NoAV {
		v.AnonVMA = av
		k.AnonVMAChainLink(vma, av)
		return true
	}
	if allocated != state.NoAV {
		k.PutAnonVMA(allocated)
	}
	return false
}

// anonVMACloneV54 models mm/rmap.c:anon_vma_clone() (v5.4): link dst to
// every anon_vma on src's chain, walking it oldest first so dst's chain
// keeps the order, and reuse the first (oldest) anon_vma whose degree is
// below two ("no vma and only one anon_vma child"), never src's own. The
// v5.4 test has no src->anon_vma term (47b390d23bf8 added it in v5.5-rc1).
// An AVC that cannot be allocated ends it at enomem_failure
// (AnonVMACloneENOMEM).
func anonVMACloneV54(k *Kernel, dst, src vmaID) int {
	return AnonVMACloneLinks(k, dst, src, false)
}

// AnonVMACloneLinks is mm/rmap.c:anon_vma_clone() from its loop on, as
// every version from v5.4 to v6.0 has it: the loop (AnonVMACloneLoop) with
// the reuse test of v5.4 or, with needSrcAnonVMA, of 47b390d23bf8 (src has
// an anon_vma), then the count of dst in its anon_vma's degree. Variants
// that add a preamble to anon_vma_clone() (4e4a9eb92133 and its
// predecessors) call it after theirs.
func AnonVMACloneLinks(k *Kernel, dst, src vmaID, needSrcAnonVMA bool) int {
	reusable := reusableDegree
	if needSrcAnonVMA {
		reusable = reusableDegree47b390d23bf8
	}
	if !AnonVMACloneLoop(k, dst, src, reusable) {
		return AnonVMACloneENOMEM(k, dst)
	}
	if d := k.VMA(dst); d.AnonVMA != state.NoAV {
		k.Inc(&k.AV(d.AnonVMA).Degree)
	}
	return 0
}

// AnonVMACloneLoop is the loop of mm/rmap.c:anon_vma_clone(), v5.4 .. v6.18:
// for each anon_vma on src's chain, walking it oldest first so dst's chain
// keeps the order, allocate an AVC (anon_vma_chain_alloc(GFP_NOWAIT), then,
// dropping the root lock, GFP_KERNEL: one allocation here, failing when
// both do) and link dst to the anon_vma under lock_anon_vma_root(); while
// dst has no anon_vma, the first anon_vma that reusable accepts becomes
// dst's. The reuse test is what 47b390d23bf8 and 2555283eb40d changed; the
// count of dst in its anon_vma after the loop is the caller's. It reports
// false when an AVC could not be allocated: the AVCs linked so far stay,
// for the caller's enomem_failure (AnonVMACloneENOMEM) to unlink.
func AnonVMACloneLoop(k *Kernel, dst, src vmaID, reusable func(k *Kernel, src *state.VMA, av avID) bool) bool {
	root := state.NoAV
	s := k.VMA(src)
	for i := int(s.NChain) - 1; i >= 0; i-- {
		if !k.AllocAVC() {
			return false // goto enomem_failure (unlock_anon_vma_root() first)
		}
		av := s.Chain[i]
		root = k.LockAnonVMARoot(root, av)
		k.AnonVMAChainLink(dst, av)
		if d := k.VMA(dst); d.AnonVMA == state.NoAV && reusable(k, s, av) {
			k.Case(transitions.CaseCloneReuse)
			d.AnonVMA = av
		}
	}
	return true
}

// AnonVMACloneENOMEM is the enomem_failure path of mm/rmap.c:
// anon_vma_clone(), the same from v5.4 (since c4ea95d7cd08, 3.19) to
// v6.18: "dst->anon_vma is dropped here otherwise its degree [v6.x: its
// num_active_vmas] can be incorrectly decremented in unlink_anon_vmas()",
// then unlink_anon_vmas(dst) takes dst off every anon_vma the loop linked
// it to, and -ENOMEM. Callers free dst (__split_vma(), dup_mmap()) or, having
// set dst->anon_vma themselves (__vma_adjust()'s importer, dup_anon_vma()),
// rely on it being NULL again.
func AnonVMACloneENOMEM(k *Kernel, dst vmaID) int {
	k.VMA(dst).AnonVMA = state.NoAV
	k.UnlinkAnonVMAs(dst)
	return transitions.ENOMEM
}

// reusableDegree is the reuse test of mm/rmap.c:anon_vma_clone() in v5.4
// (7a3ef208e662): an anon_vma of degree below two, "no vma and only one
// anon_vma child", that is not src's own.
func reusableDegree(k *Kernel, src *state.VMA, av avID) bool {
	return av != src.AnonVMA && k.AV(av).Degree < 2
}

// reusableDegree47b390d23bf8 is the reuse test of mm/rmap.c:anon_vma_clone()
// with 47b390d23bf8 ("don't reuse anon_vma if we just want a copy", v5.5-rc1
// .. v6.0): v5.4's, and only when src has an anon_vma, which only
// anon_vma_fork() clears in dst before cloning.
func reusableDegree47b390d23bf8(k *Kernel, src *state.VMA, av avID) bool {
	return src.AnonVMA != state.NoAV && av != src.AnonVMA && k.AV(av).Degree < 2
}

// anonVMAForkV54 models mm/rmap.c:anon_vma_fork() (v5.4): attach the child
// VMA to all of the parent VMA's anon_vmas (anon_vma_clone, which may reuse
// one), else give it a new anon_vma (AnonVMAForkNew).
func anonVMAForkV54(k *Kernel, vma, pvma vmaID) int {
	if done, err := AnonVMAForkClone(k, vma, pvma); done {
		return err
	}
	return AnonVMAForkNew(k, vma, pvma)
}

// AnonVMAForkClone is the start of mm/rmap.c:anon_vma_fork(), v5.4 ..
// v6.18: nothing to do when pvma has no anon_vma ("Don't bother if the
// parent process has no anon_vma here"); otherwise drop the anon_vma vma
// inherited from the struct copy and attach vma to all the anon_vmas pvma
// is attached to with anon_vma_clone(), which may reuse one. It reports
// done, with anon_vma_fork()'s result, unless vma still needs an anon_vma
// of its own.
func AnonVMAForkClone(k *Kernel, vma, pvma vmaID) (done bool, err int) {
	if k.VMA(pvma).AnonVMA == state.NoAV {
		return true, 0
	}
	k.VMA(vma).AnonVMA = state.NoAV
	if err := k.AnonVMAClone(vma, pvma); err != 0 {
		return true, err
	}
	return k.VMA(vma).AnonVMA != state.NoAV, 0
}

// AnonVMAForkNew is the end of mm/rmap.c:anon_vma_fork() ("Then add our own
// anon_vma", v5.4 .. v6.0): a new anon_vma and an AVC (AnonVMAForkLink), the
// anon_vma counted in its parent's degree. When the anon_vma cannot be
// allocated it takes out_error, when the AVC cannot out_error_free_anon_vma
// (AnonVMAForkError).
func AnonVMAForkNew(k *Kernel, vma, pvma vmaID) int {
	av := k.AnonVMAAlloc()
	if av == state.NoAV {
		return AnonVMAForkError(k, vma, state.NoAV) // goto out_error
	}
	if !k.AllocAVC() {
		return AnonVMAForkError(k, vma, av) // goto out_error_free_anon_vma
	}
	AnonVMAForkLink(k, vma, pvma, av)
	k.Inc(&k.AV(k.S.AV(av).Parent).Degree)
	return 0
}

// AnonVMAForkError is the error exit of mm/rmap.c:anon_vma_fork(), the same
// from v5.4 to v6.18: out_error_free_anon_vma puts the anon_vma just
// allocated (av, when not NULL: its only reference, so __put_anon_vma()
// frees it; it is its own root, not yet linked anywhere), then out_error
// undoes anon_vma_clone() with unlink_anon_vmas(vma), and -ENOMEM.
// dup_mmap() then frees vma.
func AnonVMAForkError(k *Kernel, vma vmaID, av avID) int {
	if av != state.NoAV {
		k.PutAnonVMA(av) // out_error_free_anon_vma
	}
	k.UnlinkAnonVMAs(vma) // out_error
	return transitions.ENOMEM
}

// AnonVMAForkLink is the middle of "Then add our own anon_vma" in
// mm/rmap.c:anon_vma_fork(), v5.4 .. v6.18, once the anon_vma and its AVC
// are allocated: av gets
// pvma->anon_vma as parent and its root, which get_anon_vma() pins; it
// becomes vma->anon_vma and is linked at the head of vma's chain. The
// counts around it are what 2555283eb40d changed.
func AnonVMAForkLink(k *Kernel, vma, pvma vmaID, av avID) {
	k.Case(transitions.CaseForkNewAnonVMA)
	pv := k.VMA(pvma)
	a := k.S.AV(av)
	a.Root = k.AV(pv.AnonVMA).Root
	a.Parent = pv.AnonVMA
	k.GetAnonVMA(a.Root)
	k.VMA(vma).AnonVMA = av
	k.AnonVMAChainLink(vma, av)
}

// unlinkAnonVMAsV54 models mm/rmap.c:unlink_anon_vmas() (v5.4). First loop
// (UnlinkAVCs): an anon_vma whose tree the VMA leaves empty drops a degree
// of its parent. Then the VMA's own anon_vma loses the VMA's degree. Second
// loop: each emptied anon_vma must have degree 0 (VM_WARN_ON) and is put.
// v5.4 leaves vma->anon_vma set, and so does 5.7.14 (the "vma->anon_vma =
// NULL" line came with ee8ab1903e3d in v5.12); every caller frees or
// clears the VMA right after.
func unlinkAnonVMAsV54(k *Kernel, vma vmaID) {
	v := k.VMA(vma)
	emptied, n := UnlinkAVCs(k, v, vma, parentDegreeDec)
	if v.AnonVMA != state.NoAV {
		k.Dec(&k.AV(v.AnonVMA).Degree)
	}
	for _, av := range emptied[:n] {
		k.WarnOn(k.AV(av).Degree != 0, transitions.WarnUnlinkDegree)
		k.PutAnonVMA(av)
	}
	v.NChain = 0
	v.Chain = [state.MaxChain]avID{}
}

// UnlinkAVCs is the first loop of mm/rmap.c:unlink_anon_vmas(), v5.4 ..
// v6.18. Newest AVC first, under lock_anon_vma_root(), each AVC of v (the
// VMA vma) leaves its anon_vma's interval tree
// (anon_vma_interval_tree_remove). An anon_vma whose tree is now empty
// drops its link to its parent through dropChild (the statement
// 2555283eb40d changed: anon_vma->parent->degree--, then
// ->num_children--), and its AVC stays on the chain ("Leave empty
// anon_vmas on the list - we'll need to free them outside the lock");
// the other AVCs are taken off the chain and freed (list_del,
// anon_vma_chain_free). It returns the emptied anon_vmas, newest first,
// which the second loop puts.
func UnlinkAVCs(k *Kernel, v *state.VMA, vma vmaID, dropChild func(k *Kernel, parent avID)) (emptied [state.MaxChain]avID, n uint8) {
	root := state.NoAV
	for i := uint8(0); i < v.NChain; {
		av := v.Chain[i]
		root = k.LockAnonVMARoot(root, av)
		a := k.AV(av)
		transitions.TreeRemove(a, vma)
		if a.Tree == 0 {
			dropChild(k, a.Parent)
			emptied[n] = av
			n++
			i++
			continue
		}
		transitions.ChainDel(v, i)
	}
	return emptied, n
}

// parentDegreeDec is "anon_vma->parent->degree--" in the first loop of
// mm/rmap.c:unlink_anon_vmas() (v5.4).
func parentDegreeDec(k *Kernel, parent avID) { k.Dec(&k.AV(parent).Degree) }

// anonVMAMergeV54 models include/linux/rmap.h:anon_vma_merge() (v5.4):
// VM_BUG_ON_VMA(vma->anon_vma != next->anon_vma), then unlink next's chain.
// Unchanged to v6.18, where vma_complete() (mm/vma.c) calls it.
func anonVMAMergeV54(k *Kernel, vma, next vmaID) {
	k.BugOn(k.VMA(vma).AnonVMA != k.VMA(next).AnonVMA, transitions.BugAnonVMAMerge)
	k.UnlinkAnonVMAs(next)
}

// pageAddNewAnonRmapV54 models mm/rmap.c:page_add_new_anon_rmap() (v5.4)
// for a small page: the address must lie in the VMA, the mapcount starts at
// one, and the page is set up exclusive to the VMA.
func pageAddNewAnonRmapV54(k *Kernel, pg pageID, vma vmaID, addr uint8) {
	v := k.VMA(vma)
	k.BugOn(addr < v.Start || addr >= v.End, transitions.BugPageAddNewAnonRmap)
	k.S.Page(pg).Mapcount = 1
	k.PageSetAnonRmap(pg, vma, addr, true)
}

// PageSetAnonRmapV54 models mm/rmap.c:__page_set_anon_rmap() (v5.4):
// BUG_ON(!vma->anon_vma); a page that is already anonymous is left alone;
// otherwise page->mapping is vma->anon_vma, or its root when the page is
// not exclusive ("we must use the _oldest_ possible anon_vma"), and
// page->index is linear_page_index(vma, address).
func PageSetAnonRmapV54(k *Kernel, pg pageID, vma vmaID, addr uint8, exclusive bool) {
	v := k.VMA(vma)
	av := v.AnonVMA
	k.BugOn(av == state.NoAV, transitions.BugPageSetAnonRmapNoAV)
	p := k.S.Page(pg)
	if p.Mapping != state.NoAV {
		return
	}
	if !exclusive {
		av = k.AV(av).Root
	}
	p.Mapping = av
	p.Index = transitions.LinearPageIndex(v, addr)
}

// PageMoveAnonRmapV54 models mm/rmap.c:page_move_anon_rmap() (v5.4): the
// page (locked by the caller) now belongs to vma->anon_vma;
// VM_BUG_ON_VMA(!anon_vma). page->index is unchanged.
func PageMoveAnonRmapV54(k *Kernel, pg pageID, vma vmaID) {
	av := k.VMA(vma).AnonVMA
	k.BugOn(av == state.NoAV, transitions.BugPageMoveAnonRmapNoAV)
	k.S.Page(pg).Mapping = av
}

// pageDupRmapV54 models include/linux/rmap.h:page_dup_rmap() for a small
// page: one more mapping.
func pageDupRmapV54(k *Kernel, pg pageID) { k.S.Page(pg).Mapcount++ }

// pageRemoveRmapV54 models mm/rmap.c:page_remove_rmap() for a small anon
// page (v5.4): one mapping fewer; page->mapping is deliberately left set.
// v6.18's folio_remove_rmap_pte() (zap_present_ptes(), wp_page_copy()) does
// the same to a small anonymous folio.
func pageRemoveRmapV54(k *Kernel, pg pageID) { k.S.Page(pg).Mapcount-- }
