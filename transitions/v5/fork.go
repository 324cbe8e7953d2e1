package v5

import (
	"anoncheck/state"
	"anoncheck/transitions"
)

// VMAreaDupV54 models kernel/fork.c:vm_area_dup() (v5.4): a byte copy of
// the VMA, ->anon_vma and ->vm_prev/->vm_next included, with a fresh empty
// anon_vma_chain; NULL when kmem_cache_alloc() fails. The copy belongs to
// the same mm until its caller says otherwise.
func VMAreaDupV54(k *Kernel, orig vmaID) vmaID {
	o := *k.VMA(orig)
	nv := k.AllocVMADup(int(o.MM)-1, orig)
	if nv == state.NoVMA {
		return nv
	}
	n := k.S.VMA(nv)
	*n = o
	n.NChain = 0
	n.Chain = [state.MaxChain]avID{}
	return nv
}

// vmAreaFreeV54 models kernel/fork.c:vm_area_free(): the slot is released.
// A VMA that is still in some anon_vma's interval tree leaves a dangling
// AVC that the next rmap walk or tree update dereferences; the kernel does
// not notice at the free, so the model records LatentDanglingAVC and goes on.
// v6.18 has it in mm/vma_init.c; its vma_assert_detached() checks a lock the
// model does not keep.
func vmAreaFreeV54(k *Kernel, vma vmaID) {
	for i := range k.S.AnonVMAs {
		a := &k.S.AnonVMAs[i]
		if a.Status != state.AVUnused && a.InTree(vma) {
			k.S.Latent |= state.LatentDanglingAVC
			if k.Rec != nil {
				k.Rec.Event("vm_area_free of a VMA still in an anon_vma interval tree")
			}
		}
	}
	*k.S.VMA(vma) = state.VMA{}
}

// DupMmapOptions are the points where the patches of the seed thread and
// later kernels change dup_mmap(); the zero value is not v5.4, DupMmapV54Options is.
type DupMmapOptions struct {
	// LinkBeforeFork sets tmp->vm_mm, tmp->vm_prev (the child's previous
	// VMA) and tmp->vm_next = NULL right after vm_area_dup(), before
	// anon_vma_fork() (Khlebnikov, fix v1 and fix v2 2/2); otherwise tmp
	// keeps the parent's vm_prev/vm_next until it is linked.
	LinkBeforeFork bool
	// WipeOnForkPrepare calls anon_vma_prepare() for a VM_WIPEONFORK child
	// (v5.4); without it the child starts with no anon_vma (Li Xinhai, "mm:
	// don't prepare anon_vma if vma has VM_WIPEONFORK", -mm 2020, in v5.7
	// by inference from the -mm queue dates).
	WipeOnForkPrepare bool
	// Fork, if set, replaces the anon_vma_fork(tmp, mpnt) call; prev is
	// dup_mmap's local prev, the child's previous VMA (Khlebnikov fix v2
	// passes it as a third argument).
	Fork func(k *Kernel, tmp, mpnt, prev vmaID) int
}

// DupMmapV54Options are the options of Linux v5.4.
var DupMmapV54Options = DupMmapOptions{WipeOnForkPrepare: true}

// DupMmap models kernel/fork.c:dup_mmap() (v5.4, and with opt the
// variants named in DupMmapOptions). For each parent VMA in address order:
// skip VM_DONTCOPY; tmp = vm_area_dup(mpnt) and move it to the child mm;
// VM_WIPEONFORK: tmp->anon_vma = NULL (and, in v5.4, anon_vma_prepare(tmp)),
// else anon_vma_fork(tmp, mpnt); then reset tmp->vm_next/vm_prev (from
// v5.7 vm_area_dup() has reset them already and dup_mmap() no longer does:
// the same state), link tmp at the tail of the child's list, map_count++,
// and copy_page_range() unless VM_WIPEONFORK.
//
// The order matters: in v5.4, during anon_vma_fork() and
// anon_vma_prepare(), tmp's vm_prev and vm_next are still those of the
// parent's VMA (Khlebnikov, LKML, 6 Jan 2020,
// <157830736034.8148.7070851958306750616.stgit@buzz>). VM_LOCKED and
// VM_LOCKONFAULT, cleared in the child, are not modelled.
//
// On failure: vm_area_dup() returning NULL goes to fail_nomem, an
// anon_vma_fork() or anon_vma_prepare() that failed (and undid its own
// work) to fail_nomem_anon_vma_fork, which frees tmp (vm_area_free()), and
// -ENOMEM. The VMAs linked into the child before stay: dup_mm() hands the
// partial mm to mmput() (forkV54). In 6.1's dup_mmap() (the
// maple-tree loop of "kernel/fork: use maple tree for dup_mmap() during
// forking", 6.1) the labels are the same, plus fail_nomem_mas_store for a
// maple node allocation the model does not make fail: it would end the
// fork with the copies made so far, as a failed vm_area_dup() of the next
// VMA does.
func DupMmap(k *Kernel, mm, oldmm int, opt DupMmapOptions) int {
	prev := state.NoVMA
	for mpnt := k.S.MMs[oldmm].Mmap; mpnt != state.NoVMA; mpnt = k.VMA(mpnt).Next {
		if k.VMA(mpnt).Flags&state.VMDontCopy != 0 {
			continue
		}
		tmp := k.VMAreaDup(mpnt)
		if tmp == state.NoVMA {
			return transitions.ENOMEM // goto fail_nomem
		}
		t := k.S.VMA(tmp)
		t.MM = uint8(mm + 1)
		if opt.LinkBeforeFork {
			t.Prev, t.Next = prev, state.NoVMA
		}
		var err int
		if t.Flags&state.VMWipeOnFork != 0 {
			// VM_WIPEONFORK gets a clean slate in the child.
			t.AnonVMA = state.NoAV
			if opt.WipeOnForkPrepare {
				err = k.AnonVMAPrepare(tmp)
			}
		} else if opt.Fork != nil {
			err = opt.Fork(k, tmp, mpnt, prev)
		} else {
			err = k.AnonVMAFork(tmp, mpnt)
		}
		if err != 0 {
			// fail_nomem_anon_vma_fork: mpol_put(), then
			// fail_nomem_policy: vm_area_free(tmp).
			k.VMAreaFree(tmp)
			return transitions.ENOMEM
		}
		t = k.VMA(tmp)
		t.Next, t.Prev = state.NoVMA, state.NoVMA
		// *pprev = tmp; pprev = &tmp->vm_next; tmp->vm_prev = prev
		if prev != state.NoVMA {
			k.VMA(prev).Next = tmp
		} else {
			k.S.MMs[mm].Mmap = tmp
		}
		t.Prev = prev
		prev = tmp
		k.S.MMs[mm].MapCount++
		if t.Flags&state.VMWipeOnFork == 0 {
			if err := k.CopyPageRange(tmp, mpnt); err != 0 {
				return err
			}
		}
	}
	return 0
}

// dupMmapV54 is dup_mmap() of v5.4.
func dupMmapV54(k *Kernel, mm, oldmm int) int { return DupMmap(k, mm, oldmm, DupMmapV54Options) }

// DupMmapV57 is dup_mmap() from v5.7: "mm: don't prepare anon_vma if vma
// has VM_WIPEONFORK" (Li Xinhai, -mm 2020) gives a VM_WIPEONFORK child no
// anon_vma at fork.
// So does v6.18, whose dup_mmap() is in mm/mmap.c: __mt_dup() copies the
// parent's tree first, a VM_DONTCOPY VMA is cleared from it, each other VMA
// is replaced by its vm_area_dup() after anon_vma_fork() (or anon_vma = NULL
// for VM_WIPEONFORK), then copy_page_range(); nothing in between looks at
// the child's tree. On failure (mm/mmap.c:1719-1889, fail_nomem and
// fail_nomem_anon_vma_fork as in 5.4) the child's tree still holds the
// parent's VMAs from the failing one on: loop_out stores XA_ZERO_ENTRY over
// the failing VMA's range, and exit_mmap(), unmap_vmas() and
// free_pgtables() stop at that marker (mm/mmap.c:1269, 1309,
// mm/memory.c:390, 410, 2109). The model's child list holds just the
// VMAs linked before the failure, so its exit_mmap() walks exactly those:
// the list ends where the marker stands. The map_count that exit_mmap()'s
// BUG_ON compares with counts the same VMAs.
func DupMmapV57(k *Kernel, mm, oldmm int) int {
	opt := DupMmapV54Options
	opt.WipeOnForkPrepare = false
	return DupMmap(k, mm, oldmm, opt)
}

// VMAreaDupV57 models kernel/fork.c:vm_area_dup() from v5.7: v5.4's copy,
// then new->vm_next = new->vm_prev = NULL ("mm: set vm_next and vm_prev to
// NULL in vm_area_dup()", Li Xinhai, -mm 2020).
// v6.18 has it in mm/vma_init.c (vm_area_init_from(): the fields, ->anon_vma
// included, with no list pointers under the maple tree, and INIT_LIST_HEAD
// of the chain): the same copy.
func VMAreaDupV57(k *Kernel, orig vmaID) vmaID {
	nv := VMAreaDupV54(k, orig)
	if nv == state.NoVMA {
		return nv
	}
	n := k.S.VMA(nv)
	n.Next, n.Prev = state.NoVMA, state.NoVMA
	return nv
}
