package transitions

import "anoncheck/state"

// Allocation and list helpers, shared by every generation. They stand for
// slab allocation and the list_head/rb-tree primitives; they are not
// kernel functions of interest and are not overridable.

// AllocSite names a slab allocation of the kind an allocation-failure
// budget (--fail-alloc) may make fail: the kmem_cache_alloc() of an
// anon_vma, an anon_vma_chain or a vm_area_struct, and in the 6.x
// generations the maple-tree node preallocation before a VMA tree store.
type AllocSite uint8

// The allocation sites, by the kernel function that allocates.
const (
	AllocNone         AllocSite = iota
	AllocAnonVMA                // anon_vma_alloc(): kmem_cache_alloc(anon_vma_cachep, GFP_KERNEL)
	AllocAnonVMAChain           // anon_vma_chain_alloc(): kmem_cache_alloc(anon_vma_chain_cachep, gfp)
	AllocVMADup                 // vm_area_dup(): kmem_cache_alloc(vm_area_cachep, GFP_KERNEL) and a copy
	AllocVMANew                 // vm_area_alloc(): kmem_cache_alloc(vm_area_cachep, GFP_KERNEL) for a new mapping
	// AllocMapleNodes is mas_preallocate() (vma_iter_prealloc() in 6.18):
	// the maple-tree nodes a VMA tree store needs, from maple_node_cache,
	// in the 6.x generations' commit_merge(), vma_expand() and vma_link().
	AllocMapleNodes
	// AllocMapleStore is mas_store_gfp(), which allocates the nodes it
	// needs as it stores, from maple_node_cache: the store that allocates
	// in the munmap's detached tree (6.1's munmap_sidetree(), 6.18's
	// vms_gather_munmap_vmas()) and 6.18's vma_iter_clear_gfp() of the
	// munmapped range.
	AllocMapleStore
	numAllocSites
)

var allocSiteNames = [numAllocSites]string{
	AllocAnonVMA: "anon_vma_alloc", AllocAnonVMAChain: "anon_vma_chain_alloc",
	AllocVMADup: "vm_area_dup", AllocVMANew: "vm_area_alloc", AllocMapleNodes: "mas_preallocate",
	AllocMapleStore: "mas_store_gfp",
}

// Cache is the slab cache the site allocates from, as /sys/kernel/slab
// names it: "anon_vma", "anon_vma_chain", "vm_area_struct", "maple_node".
func (a AllocSite) Cache() string {
	switch a {
	case AllocAnonVMA:
		return "anon_vma"
	case AllocAnonVMAChain:
		return "anon_vma_chain"
	case AllocVMADup, AllocVMANew:
		return "vm_area_struct"
	case AllocMapleNodes, AllocMapleStore:
		return "maple_node"
	}
	return "none"
}

// numCaches is the number of slab caches the sites allocate from.
const numCaches = 4

// cacheIndex numbers the site's cache: 0 anon_vma, 1 anon_vma_chain, 2
// vm_area_struct, 3 maple_node.
func (a AllocSite) cacheIndex() int {
	switch a {
	case AllocAnonVMA:
		return 0
	case AllocAnonVMAChain:
		return 1
	case AllocMapleNodes, AllocMapleStore:
		return 3
	}
	return 2
}

// String is the allocating kernel function's name: "anon_vma_chain_alloc".
func (a AllocSite) String() string {
	if a > AllocNone && a < numAllocSites {
		return allocSiteNames[a]
	}
	return "none"
}

// ParseAllocSite finds a site by the name String gives it.
func ParseAllocSite(name string) (AllocSite, bool) {
	for a := AllocAnonVMA; a < numAllocSites; a++ {
		if allocSiteNames[a] == name {
			return a, true
		}
	}
	return AllocNone, false
}

// AllocSites lists the allocation sites in order.
func AllocSites() []AllocSite {
	var out []AllocSite
	for a := AllocAnonVMA; a < numAllocSites; a++ {
		out = append(out, a)
	}
	return out
}

// maxAllocs is where the counts of an operation's allocations stop: more
// than MaxFail of any kind, which is as far as Op.Fail can name one.
const maxAllocs = 255

// allocFails is an allocation point of the kernel code: the
// kmem_cache_alloc() of an anon_vma, anon_vma_chain or vm_area_struct
// (site). It counts the operation's allocations in the order the code
// makes them and reports whether this is the one the operation makes fail
// (Op.Fail: the slab allocator returns NULL). A failure is recorded in the
// state (FailedAllocs, the budget it spends), in coverage and, with a
// recorder, as the call line "site(arg) = NULL (fault injected)", except
// for anon_vma_alloc(), whose dispatch method records that line as its
// own result.
func (k *Kernel) allocFails(site AllocSite, arg string) bool {
	if k.allocs < maxAllocs {
		k.allocs++
	}
	c := &k.cacheAllocs[site.cacheIndex()]
	if *c < maxAllocs {
		*c++
	}
	if k.failAt == 0 || k.allocs != k.failAt || k.injected != AllocNone {
		return false
	}
	k.injected, k.injectedNth = site, *c
	if k.S.FailedAllocs < 255 {
		k.S.FailedAllocs++
	}
	k.coverInjected(site)
	if k.Rec != nil && site != AllocAnonVMA {
		ret := "NULL"
		if site.Cache() == "maple_node" {
			ret = "-ENOMEM"
		}
		k.Rec.Enter(site.String() + "(" + arg + ") = " + ret + " (fault injected)")
		k.Rec.Leave()
	}
	return true
}

// MasPreallocate is mas_preallocate() (vma_iter_prealloc() in 6.18) of
// the maple-tree nodes that storing vma in its mm's tree needs: it reports
// false when the allocation fails (allocFails), which the caller returns
// as -ENOMEM. The model keeps no tree nodes, so there is nothing to take.
func (k *Kernel) MasPreallocate(vma vmaID) bool {
	return !k.allocFails(AllocMapleNodes, vmaName(k, vma))
}

// MasStoreGFP is mas_store_gfp() of vma into a maple tree that allocates
// its nodes as it stores: false when that fails (allocFails).
func (k *Kernel) MasStoreGFP(vma vmaID) bool {
	return !k.allocFails(AllocMapleStore, vmaName(k, vma))
}

// AllocAVC is anon_vma_chain_alloc(): the model keeps an AVC as the
// anon_vma on a VMA's chain (ChainPush), so there is no slot to take;
// it reports false when the allocation fails (allocFails). In
// anon_vma_clone() the GFP_NOWAIT attempt and the GFP_KERNEL retry after
// it are one allocation that fails when both do.
func (k *Kernel) AllocAVC() bool { return !k.allocFails(AllocAnonVMAChain, "") }

// AllocAV takes an unused anon_vma slot (kmem_cache_alloc), or returns
// NULL when the allocation fails (allocFails).
func (k *Kernel) AllocAV() avID {
	if k.allocFails(AllocAnonVMA, "") {
		return state.NoAV
	}
	for i := range k.S.AnonVMAs {
		if k.S.AnonVMAs[i].Status == state.AVUnused {
			k.S.AnonVMAs[i] = state.AnonVMA{Status: state.AVLive}
			return avID(i + 1)
		}
	}
	k.overflow(state.CapAnonVMAs)
	return state.NoAV
}

// AllocVMA takes an unused VMA slot for process mm (vm_area_alloc()), or
// returns NULL when the allocation fails (allocFails).
func (k *Kernel) AllocVMA(mm int) vmaID {
	if k.allocFails(AllocVMANew, "") {
		return state.NoVMA
	}
	return k.takeVMA(mm)
}

// AllocVMADup takes an unused VMA slot for a copy of orig, of process mm
// (the kmem_cache_alloc() of vm_area_dup()), or returns NULL when the
// allocation fails (allocFails).
func (k *Kernel) AllocVMADup(mm int, orig vmaID) vmaID {
	if k.allocFails(AllocVMADup, vmaName(k, orig)) {
		return state.NoVMA
	}
	return k.takeVMA(mm)
}

// vmaName names v for a recorded call, only when recording.
func vmaName(k *Kernel, v vmaID) string {
	if k.Rec == nil {
		return ""
	}
	return v.Name()
}

// takeVMA takes an unused VMA slot for process mm.
func (k *Kernel) takeVMA(mm int) vmaID {
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
	k.InsertList(mm, vma, prev)
	k.S.MMs[mm].MapCount++
}

// InsertList puts vma into process mm's vm_next/vm_prev list after prev
// (at the head when prev is NULL) without counting it in map_count: for
// a VMA that was taken out of the list and is put back (v6.18's
// reattach_vmas(), in the model that takes detached VMAs out of the list).
func (k *Kernel) InsertList(mm int, vma, prev vmaID) {
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
