package v5

import (
	"anoncheck/state"
)

// madvise(MADV_DONTNEED) as of Linux v5.4 (mm/madvise.c, mm/memory.c). It
// takes the pages of the range away and nothing else: the VMA keeps its
// anon_vma and its anon_vma_chain, so a later write fault takes
// do_anonymous_page() with vma->anon_vma already set (anon_vma_prepare()
// does nothing) and the new page goes to that anon_vma.

// madviseDontNeedFreeV54 models mm/madvise.c:madvise_dontneed_free() (v5.4)
// for MADV_DONTNEED: *prev = vma (the walk sets it); can_madv_lru_vma()
// refuses VM_LOCKED, VM_HUGETLB and VM_PFNMAP VMAs, none of which is
// modelled; userfaultfd_remove() is true without a userfaultfd context;
// then madvise_dontneed_single_vma(). v6.1 has the same function; v6.18's
// takes the same steps on the madv_behavior range
// (madvise_dontneed_free_valid_vma() refuses VM_PFNMAP and VM_LOCKED; its
// early return for an empty range cannot be taken, the walk never passes
// one), so both tables use this one.
func madviseDontNeedFreeV54(k *Kernel, vma vmaID, start, end uint8) int {
	return k.MadviseDontNeedSingleVMA(vma, start, end)
}

// madviseDontNeedSingleVMAV54 models mm/madvise.c:
// madvise_dontneed_single_vma() (v5.4, v6.1): zap_page_range(vma, start,
// end - start); it returns 0. v6.18 calls zap_page_range_single_batched()
// with even_cows set, which the anonymous private VMAs modelled need no
// more than the default: every anonymous page of the range is zapped.
func madviseDontNeedSingleVMAV54(k *Kernel, vma vmaID, start, end uint8) int {
	k.ZapPageRange(vma, start, end)
	return 0
}

// zapPageRangeV54 models mm/memory.c:zap_page_range() (v5.4): the mmu
// notifier range, then unmap_single_vma() for vma and each following VMA
// that starts below end. madvise gives it a range inside vma (the walk
// clips it to vm_end), so only vma is zapped. v6.1's zap_page_range()
// walks the maple tree the same way, and v6.18's
// zap_page_range_single_batched() calls unmap_single_vma() on vma alone;
// the tables use this function (named for v6.18 in Names).
func zapPageRangeV54(k *Kernel, vma vmaID, start, end uint8) {
	for v := vma; v != state.NoVMA && k.VMA(v).Start < end; v = k.VMA(v).Next {
		UnmapSingleVMA(k, v, start, end)
	}
}
