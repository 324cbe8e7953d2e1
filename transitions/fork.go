package transitions

import "anoncheck/state"

// vmAreaDupV54 models kernel/fork.c:vm_area_dup() (v5.4): a byte copy of
// the VMA, ->anon_vma and ->vm_prev/->vm_next included, with a fresh empty
// anon_vma_chain. The copy belongs to the same mm until its caller says
// otherwise.
func vmAreaDupV54(k *Kernel, orig vmaID) vmaID {
	o := *k.VMA(orig)
	nv := k.allocVMA(int(o.MM) - 1)
	n := k.S.VMA(nv)
	*n = o
	n.NChain = 0
	n.Chain = [state.MaxChain]avID{}
	return nv
}

// vmAreaFreeV54 models kernel/fork.c:vm_area_free(): the slot is released.
// A VMA that is still in some anon_vma's interval tree at this point leaves
// a dangling AVC that the next rmap walk dereferences; that is recorded as
// a use-after-free.
func vmAreaFreeV54(k *Kernel, vma vmaID) {
	for i := range k.S.AnonVMAs {
		a := &k.S.AnonVMAs[i]
		if a.Status != state.AVUnused && a.InTree(vma) {
			k.Bug(BugVMAFreedInTree)
		}
	}
	*k.S.VMA(vma) = state.VMA{}
}

// dupMmapV54 models kernel/fork.c:dup_mmap() (v5.4). For each parent VMA
// in address order: skip VM_DONTCOPY; tmp = vm_area_dup(mpnt) and move it
// to the child mm; VM_WIPEONFORK: tmp->anon_vma = NULL and
// anon_vma_prepare(tmp), else anon_vma_fork(tmp, mpnt); only then reset
// tmp->vm_next/vm_prev and link tmp at the tail of the child's list;
// map_count++; copy_page_range() unless VM_WIPEONFORK.
//
// The order matters: during anon_vma_fork() and anon_vma_prepare(), tmp's
// vm_prev and vm_next are still those of the parent's VMA (Khlebnikov,
// LKML, 6 Jan 2020, <157830736034.8148.7070851958306750616.stgit@buzz>).
// VM_LOCKED|VM_LOCKONFAULT are cleared in the child; neither is modelled.
func dupMmapV54(k *Kernel, mm, oldmm int) int {
	prev := state.NoVMA
	for mpnt := k.S.MMs[oldmm].Mmap; mpnt != state.NoVMA; mpnt = k.VMA(mpnt).Next {
		if k.VMA(mpnt).Flags&state.VMDontCopy != 0 {
			continue
		}
		tmp := k.VMAreaDup(mpnt)
		k.S.VMA(tmp).MM = uint8(mm + 1)
		if k.VMA(tmp).Flags&state.VMWipeOnFork != 0 {
			// VM_WIPEONFORK gets a clean slate in the child.
			k.VMA(tmp).AnonVMA = state.NoAV
			if k.AnonVMAPrepare(tmp) != 0 {
				return ENOMEM
			}
		} else if k.AnonVMAFork(tmp, mpnt) != 0 {
			return ENOMEM
		}
		t := k.VMA(tmp)
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
