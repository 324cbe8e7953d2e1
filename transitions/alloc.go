package transitions

import "anoncheck/state"

// Allocation and list helpers, shared by every generation. They stand for
// slab allocation and the list_head/rb-tree primitives; they are not
// kernel functions of interest and are not overridable.

// AllocAV takes an unused anon_vma slot (kmem_cache_alloc).
func (k *Kernel) AllocAV() avID {
	for i := range k.S.AnonVMAs {
		if k.S.AnonVMAs[i].Status == state.AVUnused {
			k.S.AnonVMAs[i] = state.AnonVMA{Status: state.AVLive}
			return avID(i + 1)
		}
	}
	k.overflow(state.CapAnonVMAs)
	return state.NoAV
}

// AllocVMA takes an unused VMA slot for process mm (vm_area_alloc).
func (k *Kernel) AllocVMA(mm int) vmaID {
	for i := range k.S.VMAs {
		if k.S.VMAs[i].MM == 0 {
			k.S.VMAs[i] = state.VMA{MM: uint8(mm + 1)}
			return vmaID(i + 1)
		}
	}
	k.overflow(state.CapVMAs)
	return state.NoVMA
}

// AllocPage takes an unused page slot (alloc_zeroed_user_highpage_movable).
func (k *Kernel) AllocPage() pageID {
	for i := range k.S.Pages {
		if k.S.Pages[i].Used == 0 {
			k.S.Pages[i] = state.Page{Used: 1}
			return pageID(i + 1)
		}
	}
	k.overflow(state.CapPages)
	return state.NoPage
}

// PutPage drops the page-table reference of a page that was just unmapped;
// the page is freed when no PTE maps it any more. page->mapping is not
// cleared (page_remove_rmap() leaves it stale) but the page is gone.
func (k *Kernel) PutPage(pg pageID) {
	p := k.S.Page(pg)
	if p.Mapcount <= 0 {
		*p = state.Page{}
	}
}

// ChainPush adds an anon_vma at the head of vma's anon_vma_chain
// (list_add(&avc->same_vma, &vma->anon_vma_chain)).
func (k *Kernel) ChainPush(v *state.VMA, av avID) {
	if v.NChain >= state.MaxChain {
		k.overflow(state.CapChain)
	}
	copy(v.Chain[1:v.NChain+1], v.Chain[:v.NChain])
	v.Chain[0] = av
	v.NChain++
}

// ChainDel removes the AVC at position i of vma's chain (list_del).
func ChainDel(v *state.VMA, i uint8) {
	copy(v.Chain[i:v.NChain-1], v.Chain[i+1:v.NChain])
	v.NChain--
	v.Chain[v.NChain] = state.NoAV
}

// TreeInsert stands for anon_vma_interval_tree_insert(): v joins a's tree.
func TreeInsert(a *state.AnonVMA, v vmaID) { a.Tree |= 1 << (v - 1) }

// TreeRemove stands for anon_vma_interval_tree_remove(): v leaves a's tree.
func TreeRemove(a *state.AnonVMA, v vmaID) { a.Tree &^= 1 << (v - 1) }

// Inc increments an unsigned anon_vma counter.
func (k *Kernel) Inc(c *uint8) { *c++ }

// Dec decrements an unsigned anon_vma counter; below zero it records
// LatentUnderflow and wraps, as the kernel's unsigned counter would.
func (k *Kernel) Dec(c *uint8) {
	if *c == 0 {
		k.S.Latent |= state.LatentUnderflow
		if k.Rec != nil {
			k.Rec.Event("anon_vma counter underflow")
		}
	}
	*c--
}

// LinkList puts vma into process mm's vm_next/vm_prev list after prev (at
// the head when prev is NULL), as __vma_link_list() does in v5.4
// mm/util.c/mm/mmap.c, and counts it in map_count (__vma_link + map_count++
// of vma_link/__insert_vm_struct).
func (k *Kernel) LinkList(mm int, vma, prev vmaID) {
	m := &k.S.MMs[mm]
	v := k.VMA(vma)
	v.Prev = prev
	var next vmaID
	if prev != state.NoVMA {
		p := k.VMA(prev)
		next = p.Next
		p.Next = vma
	} else {
		next = m.Mmap
		m.Mmap = vma
	}
	v.Next = next
	if next != state.NoVMA {
		k.VMA(next).Prev = vma
	}
	m.MapCount++
}

// UnlinkList takes vma out of its process's list (__vma_unlink_common);
// callers drop map_count themselves, as the kernel does.
func (k *Kernel) UnlinkList(mm int, vma vmaID) {
	m := &k.S.MMs[mm]
	v := k.VMA(vma)
	if v.Prev != state.NoVMA {
		k.VMA(v.Prev).Next = v.Next
	} else {
		m.Mmap = v.Next
	}
	if v.Next != state.NoVMA {
		k.VMA(v.Next).Prev = v.Prev
	}
}

// FindPrev returns the VMA after which a new VMA starting at addr goes, as
// find_vma_links() computes it for vma_link(): the last VMA with
// vm_start < addr, or NULL.
func (k *Kernel) FindPrev(mm int, addr uint8) vmaID {
	var prev vmaID
	n := 0
	for v := k.S.MMs[mm].Mmap; v != state.NoVMA && n < state.MaxVMAs; v = k.VMA(v).Next {
		if k.VMA(v).Start >= addr {
			break
		}
		prev = v
		n++
	}
	return prev
}

// FindVMA is find_vma(): the first VMA with vm_end > addr, or NULL.
func (k *Kernel) FindVMA(mm int, addr uint8) vmaID {
	n := 0
	for v := k.S.MMs[mm].Mmap; v != state.NoVMA && n < state.MaxVMAs; v = k.VMA(v).Next {
		if k.VMA(v).End > addr {
			return v
		}
		n++
	}
	return state.NoVMA
}

// LinearPageIndex is linear_page_index(vma, address).
func LinearPageIndex(v *state.VMA, addr uint8) uint8 {
	return v.Pgoff + (addr - v.Start)
}
