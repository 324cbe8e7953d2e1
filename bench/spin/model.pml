/*
 * model.pml: anoncheck's v5.4 model, reduced, in Promela for SPIN.
 *
 * The same kernel state as state.State (the parts these operations touch)
 * and the same kernel functions as transitions/*.go with the v5.4 table,
 * one inline per Go function, statement for statement (those called from
 * several places are subroutines: see CALL below). It exists to
 * cross-check the Go explorer and to time it against SPIN:
 * bench/spin/run.sh runs both on one scope and compares the number of
 * distinct states (README.md there).
 *
 * Operations. Setup, as anoncheck's setup closure: P1 may mmap, write,
 * mprotect and munmap; every state so reached is an initial layout. After
 * setup: write fault, mprotect, munmap, fork and exit by every live
 * process; no mmap, no madvise (anoncheck --ops write,mprotect,munmap,fork,exit).
 * Each operation is one atomic sequence of the single loop in kernel():
 * choose the operation nondeterministically, then run it as one d_step
 * (and a second one that renames and clears the choice). SPIN does not
 * store the states inside an atomic sequence that never blocks. An
 * operation that changes nothing (a write to a read-only VMA, munmap of a
 * hole) is a self-loop, which adds no state; anoncheck leaves such
 * operations out.
 *
 * States. Between operations the choice variables are zero, every unused
 * slot is zero and the scratch variables are hidden, so a SPIN state is
 * an anoncheck state plus the setup flag. Each initial layout is stored
 * twice, with setup = 1 and, after the end-of-setup step, with setup = 0:
 *   SPIN "states, stored" = anoncheck states + anoncheck initial layouts.
 * Generate the verifier with spin -o2: map_count is only ever written
 * (++ and --), and SPIN would otherwise drop it from the state as a
 * write-only variable.
 *
 * Symmetry. Without -DOBJECTS, slots are allocated as the Go model
 * allocates them (lowest free slot, in the same order within each kernel
 * function) and never renamed: anoncheck --symmetry off. With -DOBJECTS,
 * canonicalise() renumbers VMAs, anon_vmas and pages after each operation
 * exactly as state.Canonical does: anoncheck --symmetry objects.
 *
 * Left out, because v5.4 without madvise never changes them: the
 * num_children/num_active_vmas counters and page flags (v6.1 only), and
 * dup_mmap()'s VM_DONTCOPY and VM_WIPEONFORK paths. Kernel.AV's check of
 * an anon_vma pointer (NULL or freed: an oops) is kept; Kernel.VMA's of a
 * VMA pointer is not: no state of these scopes has an oops in the Go model,
 * and a bad VMA pointer here would show as states anoncheck does not have.
 * Pointers are 1-based slot numbers, 0 is NULL; slot 0 of each array is
 * the NULL object and stays zero.
 */

/* The scope; run.sh passes these with -D. */
#ifndef PAGES
#define PAGES 2         /* page slots per address space (--pages) */
#endif
#ifndef PROCS
#define PROCS 2         /* processes alive at once (--procs) */
#endif
#ifndef PROTS
#define PROTS 10        /* protections, bit p set for prot p: r (1) and rw (3) */
#endif
/* Capacities: a scope needing more sets ovf, as state.Overflow does. The
 * Go model has 16 VMA and page slots; PAGES*PROCS are always enough: a
 * process has at most PAGES VMAs, split_vma links its copy at once, and a
 * used page is mapped by a PTE (wp_page_copy allocates the new page while
 * the old one is still mapped by two PTEs or more). */
#define NV (PAGES*PROCS) /* VMA slots */
#define NP (PAGES*PROCS) /* page slots */
#ifndef NA
#define NA 16           /* anon_vma slots: state.MaxAnonVMAs */
#endif
#ifndef NC
#define NC 8            /* anon_vma_chain entries per VMA: state.MaxChain */
#endif
#if PROTS == 0
#error "PROTS: at least one protection"
#endif
#if NV > 8
#error "the interval tree is a byte of VMA bits: PAGES*PROCS must be at most 8"
#endif

#define VM_WRITE   2
#define VM_ACCESS  7    /* VM_READ|VM_WRITE|VM_EXEC: prot bits are the same bits */
#define VM_ACCOUNT 8
#define AV_LIVE    1
#define AV_FREED   2
#define PTE_W      128
#define PTE_PAGE(x) ((x) & 127)
#define PT(p, a)   pt[(p)*PAGES + (a)]
#define ALL_LIVE   ((1 << PROCS) - 1)

/* transitions.Assertion numbers, as state.Bug and state.Warn record them. */
#define BUG_NULL_DEREF   1
#define BUG_UAF          2
#define BUG_FREE_REF     3
#define BUG_MERGE        4
#define BUG_SET_NO_AV    5
#define BUG_ADD_NEW      6
#define BUG_MOVE_NO_AV   7
#define WARN_LOCK_ROOT  12
#define WARN_UNLINK_DEG 13
#define WARN_MERGE_PREV 16
#define WARN_MERGE_AREA 17
#define WARN_MERGE_ADDR 18
#define WARN_ADJ_CASE8  19
#define WARN_ADJ_EXPAND 20
#define WARN_ADJ_REM2   21
#define WARN_ADJ_REM1   22
#define WARN_ADJ_IMPORT 23
#define WARN_ADJ_NEXTAV 24
#define WARN_ADJ_HIGH   25
#define WARN_MPROT_FLAG 26
/* state.Cap* codes and state.Latent* bits. */
#define CAP_VMAS  1
#define CAP_AVS   2
#define CAP_CHAIN 3
#define CAP_PAGES 4
#define LATENT_UNDERFLOW 1
#define LATENT_DANGLING  2

/*
 * Subroutines. SPIN compiles a d_step to C and allows at most 2048 jumps
 * in one; with every kernel function inlined at every call site the
 * operation does not fit. So each function called from more than one
 * place is expanded once, at its entry label after the operation's code,
 * and called with a goto: the caller sets the function's argument
 * variables and its return number n, and the function ends by jumping
 * back to the label after call site n. No function is active twice at
 * once (the call graph has no cycles), so each keeps its own variables.
 */
#define CALL(f, n) f##_ret = n; goto f##_entry; f##_ret##n: skip
#define RET2(f) if :: f##_ret == 1 -> goto f##_ret1 :: f##_ret == 2 -> goto f##_ret2 fi
#define RET3(f) if :: f##_ret == 1 -> goto f##_ret1 :: f##_ret == 2 -> goto f##_ret2 \
		   :: f##_ret == 3 -> goto f##_ret3 fi
#define RET4(f) if :: f##_ret == 1 -> goto f##_ret1 :: f##_ret == 2 -> goto f##_ret2 \
		   :: f##_ret == 3 -> goto f##_ret3 :: f##_ret == 4 -> goto f##_ret4 fi

/* Operation kinds (transitions.OpKind values). */
#define OP_MMAP     1
#define OP_WRITE    2
#define OP_MPROTECT 3
#define OP_MUNMAP   5
#define OP_FORK     6
#define OP_EXIT     7

typedef VMA {           /* state.VMA */
	byte mm;        /* owning process + 1; 0: unused slot */
	byte vm_start; byte vm_end; byte vm_pgoff; byte vm_flags;
	byte anon_vma;
	byte vm_prev; byte vm_next;
	byte nchain;
	byte chain[NC]  /* the anon_vma of each AVC, list head (newest) first */
}
typedef AV {            /* state.AnonVMA */
	byte tree;      /* interval tree: bit v-1 set when VMA v's AVC is in it */
	byte status;    /* 0 unused, AV_LIVE, AV_FREED */
	byte root; byte parent;
	short refcount;
	byte degree
}
typedef PAGE {          /* state.Page */
	byte used; byte mapping; byte index; short mapcount
}

VMA  vma[NV+1];
AV   av[NA+1];
PAGE page[NP+1];
byte live = 1;          /* bit p: process p exists (state.MM.Live); P1 at start */
byte mmap[PROCS];       /* mm->mmap */
byte map_count[PROCS];  /* mm->map_count */
byte pt[PROCS*PAGES];   /* PTEs: page | PTE_W */
byte bug; byte warn; byte ovf; byte latent;
bit  setup = 1;         /* P1 is still building its layout */

/* Scratch of the kernel functions: written before read in every d_step,
 * so not part of the state (hidden). Prefixes name the function. */
hidden byte fp_v, ll_next, zi, cp_i, cd_j, lr_new, pa_a, pa_root;
hidden byte ap_v, ap_av, fm_near, cl_dst, cl_src, cl_root, cl_i, cl_av;
hidden byte fk_v, fk_pv, fk_av, ul_v, ul_root, ul_i, ul_av, ul_nkeep;
hidden byte ul_keep[NC];
hidden byte vf_v, vf_i, vd_mm;
hidden byte vm_mm, vm_prev, vm_addr, vm_end, vm_fl, vm_av, vm_pgoff, vm_pglen, vm_next, vm_area;
hidden byte vm_adjust;
hidden byte va_vma, va_start, va_end, va_pgoff, va_expand, va_mm, va_next;
hidden byte va_remove, va_exporter, va_importer, va_av, va_t, va_nextend, va_prv;
hidden short va_adj;
hidden byte sp_mm, sp_v, sp_addr, sp_nv, sp_below;
hidden byte mu_mm, mu_start, mu_end, mu_vma, mu_prev, mu_last, mu_first, mu_tail;
hidden byte um_v, um_mm, um_a, um_pg, fpt_v, rv_v, rv_n;
hidden byte mr_v, mr_fl, mr_prev, mr_nv;
hidden byte mp_vma, mp_prev, mp_nstart, mp_newflags, mp_tmp;
hidden byte mf_vma, mf_mm, mf_old, mf_new, mf_start, mf_end, mf_pgoff;
hidden byte cg_a, cg_mm;
hidden byte hf_v, hf_pte, da_pg, wp_mm, wp_pg, wc_mm, wc_old, wc_pg;
hidden byte dm_child, dm_prev, dm_mpnt, dm_tmp, cr_dmm, cr_smm, cr_a, cr_pg;
hidden byte ex_first, i, j;
hidden byte anon_vma_prepare_ret, anon_vma_clone_ret, unlink_anon_vmas_ret, free_pgtables_ret;
hidden byte split_vma_ret, do_munmap_ret, vma_merge_ret, vm_ret;
hidden byte cf_any;
hidden int  cf_ref;

/* ---- assertions (transitions/kernel.go) ---- */

/* (Written as expressions where they can be: each if costs jumps.) */
/* BUG: record the first, end the operation (Kernel.Bug's panic). */
inline oops(a) { bug = (bug == 0 -> a : bug); goto done }
inline bug_on(c, a) { if :: (c) -> oops(a) :: else fi }
inline warn_on(c, a) { warn = ((c) && warn == 0 -> a : warn) }
inline overflow(c) { ovf = (ovf == 0 -> c : ovf); goto done }
/* Kernel.AV: a NULL or freed anon_vma is an oops. */
inline chk_av(x) {
	if
	:: av[x].status != AV_LIVE -> bug = (bug == 0 -> ((x) == 0 -> BUG_NULL_DEREF : BUG_UAF) : bug); goto done
	:: else
	fi
}

/* ---- slots, lists and trees (transitions/alloc.go) ---- */

inline zero_vma(x) {
	vma[x].mm = 0; vma[x].vm_start = 0; vma[x].vm_end = 0; vma[x].vm_pgoff = 0;
	vma[x].vm_flags = 0; vma[x].anon_vma = 0; vma[x].vm_prev = 0; vma[x].vm_next = 0;
	vma[x].nchain = 0;
	for (zi : 0 .. NC-1) { vma[x].chain[zi] = 0 }
}
inline zero_av(x) {
	av[x].tree = 0; av[x].status = 0; av[x].root = 0; av[x].parent = 0;
	av[x].refcount = 0; av[x].degree = 0
}
inline zero_page(x) { page[x].used = 0; page[x].mapping = 0; page[x].index = 0; page[x].mapcount = 0 }

/* allocVMA: the lowest unused slot, zeroed, owned by process m. */
inline alloc_vma(m, ret) {
	ret = 1;
	do
	:: ret > NV -> overflow(CAP_VMAS)
	:: ret <= NV && vma[ret].mm == 0 -> break
	:: else -> ret++
	od;
	zero_vma(ret); vma[ret].mm = m + 1
}
/* allocAV: the lowest unused slot (a freed one is not unused). */
inline alloc_av(ret) {
	ret = 1;
	do
	:: ret > NA -> overflow(CAP_AVS)
	:: ret <= NA && av[ret].status == 0 -> break
	:: else -> ret++
	od;
	zero_av(ret); av[ret].status = AV_LIVE
}
inline alloc_page(ret) {
	ret = 1;
	do
	:: ret > NP -> overflow(CAP_PAGES)
	:: ret <= NP && page[ret].used == 0 -> break
	:: else -> ret++
	od;
	zero_page(ret); page[ret].used = 1
}
/* putPage: the page goes when no PTE maps it. */
inline put_page(pg) { if :: page[pg].mapcount <= 0 -> zero_page(pg) :: else fi }

/* chainPush: list_add at the head of vma's anon_vma_chain. */
inline chain_push(v, a) {
	if :: vma[v].nchain >= NC -> overflow(CAP_CHAIN) :: else fi;
	cp_i = vma[v].nchain;
	do
	:: cp_i > 0 -> vma[v].chain[cp_i] = vma[v].chain[cp_i-1]; cp_i--
	:: else -> break
	od;
	vma[v].chain[0] = a; vma[v].nchain++
}
/* chainDel: list_del of the AVC at position n. */
inline chain_del(v, n) {
	cd_j = n;
	do
	:: cd_j + 1 < vma[v].nchain -> vma[v].chain[cd_j] = vma[v].chain[cd_j+1]; cd_j++
	:: else -> break
	od;
	vma[v].nchain--; vma[v].chain[vma[v].nchain] = 0
}
/* Kernel.Dec: an unsigned counter below zero wraps and is recorded. */
inline dec(c) { latent = latent | (c == 0 -> LATENT_UNDERFLOW : 0); c = (c == 0 -> 255 : c - 1) }

/* linkList: put v after prv (at the head without one), map_count++. */
inline link_list(m, v, prv) {
	vma[v].vm_prev = prv;
	if
	:: prv != 0 -> ll_next = vma[prv].vm_next; vma[prv].vm_next = v
	:: else -> ll_next = mmap[m]; mmap[m] = v
	fi;
	vma[v].vm_next = ll_next;
	if :: ll_next != 0 -> vma[ll_next].vm_prev = v :: else fi;
	map_count[m]++
}
/* unlinkList: take v out of its list; callers drop map_count. */
inline unlink_list(m, v) {
	if
	:: vma[v].vm_prev != 0 -> vma[vma[v].vm_prev].vm_next = vma[v].vm_next
	:: else -> mmap[m] = vma[v].vm_next
	fi;
	if :: vma[v].vm_next != 0 -> vma[vma[v].vm_next].vm_prev = vma[v].vm_prev :: else fi
}
/* findVMA: the first VMA with vm_end > addr, or NULL. */
inline find_vma(m, addr, ret) {
	ret = mmap[m];
	do
	:: ret != 0 && vma[ret].vm_end <= addr -> ret = vma[ret].vm_next
	:: else -> break
	od
}
/* findPrev: the last VMA with vm_start < addr, or NULL. */
inline find_prev(m, addr, ret) {
	ret = 0; fp_v = mmap[m];
	do
	:: fp_v != 0 && vma[fp_v].vm_start < addr -> ret = fp_v; fp_v = vma[fp_v].vm_next
	:: else -> break
	od
}
/* vm_area_dup: a copy of VMA o in the lowest free slot, empty chain. */
inline vm_area_dup(o, ret) {
	vd_mm = vma[o].mm - 1;
	alloc_vma(vd_mm, ret);
	vma[ret].vm_start = vma[o].vm_start; vma[ret].vm_end = vma[o].vm_end;
	vma[ret].vm_pgoff = vma[o].vm_pgoff; vma[ret].vm_flags = vma[o].vm_flags;
	vma[ret].anon_vma = vma[o].anon_vma;
	vma[ret].vm_prev = vma[o].vm_prev; vma[ret].vm_next = vma[o].vm_next
}
/* vm_area_free: a VMA still in an interval tree leaves a dangling AVC. */
inline vm_area_free(x) {
	vf_v = x;
	for (vf_i : 1 .. NA) {
		if
		:: av[vf_i].status != 0 && (av[vf_i].tree & (1 << (vf_v - 1))) != 0 -> latent = latent | LATENT_DANGLING
		:: else
		fi
	}
	zero_vma(vf_v)
}

/* ---- mm/rmap.c ---- */

inline anon_vma_alloc(ret) {
	alloc_av(ret);
	av[ret].refcount = 1; av[ret].degree = 1; av[ret].parent = ret; av[ret].root = ret
}
inline anon_vma_free(a) {
	chk_av(a);
	bug_on(av[a].refcount != 0, BUG_FREE_REF);
	av[a].status = AV_FREED
}
/* put_anon_vma + __put_anon_vma: free at zero, then drop the root's reference. */
inline put_anon_vma(a) {
	pa_a = a;
	chk_av(pa_a);
	av[pa_a].refcount--;
	if
	:: av[pa_a].refcount == 0 ->
		pa_root = av[pa_a].root;
		anon_vma_free(pa_a);
		if
		:: pa_root != pa_a ->
			chk_av(pa_root);
			av[pa_root].refcount--;
			if :: av[pa_root].refcount == 0 -> anon_vma_free(pa_root) :: else fi
		:: else
		fi
	:: else
	fi
}
inline chain_link(v, a) {
	chk_av(a);
	chain_push(v, a);
	av[a].tree = av[a].tree | (1 << (v - 1))
}
inline lock_root(rt, a) {
	chk_av(a);
	lr_new = av[a].root;
	if
	:: lr_new != rt -> warn_on(rt != 0, WARN_LOCK_ROOT); rt = lr_new; chk_av(rt)
	:: else
	fi
}
/* reusable_anon_vma, with anon_vma_compatible(a, b). */
inline reusable(old, a, b, ret) {
	if
	:: vma[a].vm_end == vma[b].vm_start && ((vma[a].vm_flags ^ vma[b].vm_flags) & ~VM_ACCESS) == 0 &&
	   vma[b].vm_pgoff == vma[a].vm_pgoff + (vma[b].vm_start - vma[a].vm_start) &&
	   vma[old].anon_vma != 0 && vma[old].nchain == 1 -> ret = vma[old].anon_vma
	:: else
	fi
}
/* find_mergeable_anon_vma: vm_next first, then vm_prev. */
inline find_mergeable(v, ret) {
	ret = 0;
	fm_near = vma[v].vm_next;
	if :: fm_near != 0 -> reusable(fm_near, v, fm_near, ret) :: else fi;
	fm_near = vma[v].vm_prev;
	if :: ret == 0 && fm_near != 0 -> reusable(fm_near, fm_near, v, ret) :: else fi
}
/* anon_vma_prepare(ap_v) + __anon_vma_prepare. vma->anon_vma is still
 * NULL after find_mergeable_anon_vma in a sequential model, so the
 * allocated anon_vma is always used and never put. Subroutine. */
inline anon_vma_prepare() {
	if
	:: vma[ap_v].anon_vma == 0 ->
		find_mergeable(ap_v, ap_av);
		if :: ap_av == 0 -> anon_vma_alloc(ap_av) :: else fi;
		vma[ap_v].anon_vma = ap_av;
		chain_link(ap_v, ap_av);
		chk_av(ap_av); av[ap_av].degree++
	:: else
	fi
}
/* anon_vma_clone(cl_dst, cl_src) (AnonVMACloneLinks without the
 * 47b390d23bf8 test): link dst to src's anon_vmas oldest first, reuse one
 * of degree < 2. Subroutine. */
inline anon_vma_clone() {
	cl_root = 0;
	cl_i = vma[cl_src].nchain;
	do
	:: cl_i > 0 ->
		cl_i--;
		cl_av = vma[cl_src].chain[cl_i];
		lock_root(cl_root, cl_av);
		chain_link(cl_dst, cl_av);
		if
		:: vma[cl_dst].anon_vma == 0 && cl_av != vma[cl_src].anon_vma && av[cl_av].degree < 2 ->
			vma[cl_dst].anon_vma = cl_av
		:: else
		fi
	:: else -> break
	od;
	if
	:: vma[cl_dst].anon_vma != 0 -> chk_av(vma[cl_dst].anon_vma); av[vma[cl_dst].anon_vma].degree++
	:: else
	fi
}
/* anon_vma_fork, with AnonVMAForkNew: clone, else a new child anon_vma. */
inline anon_vma_fork(v, pv) {
	fk_v = v; fk_pv = pv;
	if
	:: vma[fk_pv].anon_vma != 0 ->
		vma[fk_v].anon_vma = 0;
		cl_dst = fk_v; cl_src = fk_pv; CALL(anon_vma_clone, 3);
		if
		:: vma[fk_v].anon_vma == 0 ->
			anon_vma_alloc(fk_av);
			chk_av(vma[fk_pv].anon_vma);
			av[fk_av].root = av[vma[fk_pv].anon_vma].root;
			av[fk_av].parent = vma[fk_pv].anon_vma;
			chk_av(av[fk_av].root); av[av[fk_av].root].refcount++;
			vma[fk_v].anon_vma = fk_av;
			chain_link(fk_v, fk_av);
			chk_av(av[fk_av].parent); av[av[fk_av].parent].degree++
		:: else
		fi
	:: else
	fi
}
/* unlink_anon_vmas(ul_v) (v5.4: leaves vma->anon_vma set). Subroutine. */
inline unlink_anon_vmas() {
	ul_root = 0; ul_nkeep = 0; ul_i = 0;
	do
	:: ul_i < vma[ul_v].nchain ->
		ul_av = vma[ul_v].chain[ul_i];
		lock_root(ul_root, ul_av);
		chk_av(ul_av);
		av[ul_av].tree = av[ul_av].tree & ~(1 << (ul_v - 1));
		if
		:: av[ul_av].tree == 0 ->
			chk_av(av[ul_av].parent); dec(av[av[ul_av].parent].degree);
			ul_keep[ul_nkeep] = ul_av; ul_nkeep++; ul_i++
		:: else -> chain_del(ul_v, ul_i)
		fi
	:: else -> break
	od;
	if
	:: vma[ul_v].anon_vma != 0 -> chk_av(vma[ul_v].anon_vma); dec(av[vma[ul_v].anon_vma].degree)
	:: else
	fi;
	ul_i = 0;
	do
	:: ul_i < ul_nkeep ->
		chk_av(ul_keep[ul_i]);
		warn_on(av[ul_keep[ul_i]].degree != 0, WARN_UNLINK_DEG);
		put_anon_vma(ul_keep[ul_i]);
		ul_i++
	:: else -> break
	od;
	vma[ul_v].nchain = 0;
	for (zi : 0 .. NC-1) { vma[ul_v].chain[zi] = 0 }
}
/* page_add_new_anon_rmap with __page_set_anon_rmap(exclusive). */
inline page_add_new_anon_rmap(pg, v, addr) {
	bug_on(addr < vma[v].vm_start || addr >= vma[v].vm_end, BUG_ADD_NEW);
	page[pg].mapcount = 1;
	bug_on(vma[v].anon_vma == 0, BUG_SET_NO_AV);
	if
	:: page[pg].mapping == 0 ->
		page[pg].mapping = vma[v].anon_vma;
		page[pg].index = vma[v].vm_pgoff + (addr - vma[v].vm_start)
	:: else
	fi
}

/* ---- mm/mmap.c ---- */

#define MERGEABLE_AV(a1, a2, v) ((((a1) == 0 || (a2) == 0) && ((v) == 0 || vma[v].nchain == 1)) || (a1) == (a2))
#define MERGE_AFTER(v, fl, a, pg)  (vma[v].vm_flags == (fl) && MERGEABLE_AV(a, vma[v].anon_vma, v) && \
				    vma[v].vm_pgoff + vma[v].vm_end - vma[v].vm_start == (pg))
#define MERGE_BEFORE(v, fl, a, pg) (vma[v].vm_flags == (fl) && MERGEABLE_AV(a, vma[v].anon_vma, v) && \
				    vma[v].vm_pgoff == (pg))

/* vma_merge(vm_mm, vm_prev, vm_addr, vm_end, vm_fl, vm_av, vm_pgoff):
 * the eight cases; vm_ret is the VMA now covering [addr,end) or NULL. The
 * __vma_adjust arguments of each case are computed first and the one call
 * made after. Subroutine. */
inline vma_merge() {
	vm_pglen = vm_end - vm_addr;
	if :: vm_prev != 0 -> vm_next = vma[vm_prev].vm_next :: else -> vm_next = mmap[vm_mm] fi;
	vm_area = vm_next;
	if :: vm_area != 0 && vma[vm_area].vm_end == vm_end -> vm_next = vma[vm_next].vm_next :: else fi;
	warn_on(vm_prev != 0 && vm_addr <= vma[vm_prev].vm_start, WARN_MERGE_PREV);
	warn_on(vm_area != 0 && vm_end > vma[vm_area].vm_end, WARN_MERGE_AREA);
	warn_on(vm_addr >= vm_end, WARN_MERGE_ADDR);
	vm_ret = 0; vm_adjust = 0;
	if
	:: vm_prev != 0 && vma[vm_prev].vm_end == vm_addr && MERGE_AFTER(vm_prev, vm_fl, vm_av, vm_pgoff) ->
		if
		:: vm_next != 0 && vm_end == vma[vm_next].vm_start &&
		   MERGE_BEFORE(vm_next, vm_fl, vm_av, vm_pgoff + vm_pglen) &&
		   MERGEABLE_AV(vma[vm_prev].anon_vma, vma[vm_next].anon_vma, 0) ->
			va_end = vma[vm_next].vm_end            /* cases 1, 6 */
		:: else -> va_end = vm_end                      /* cases 2, 5, 7 */
		fi;
		va_vma = vm_prev; va_start = vma[vm_prev].vm_start; va_pgoff = vma[vm_prev].vm_pgoff;
		va_expand = vm_prev; vm_ret = vm_prev; vm_adjust = 1
	:: else ->
		if
		:: vm_next != 0 && vm_end == vma[vm_next].vm_start && MERGE_BEFORE(vm_next, vm_fl, vm_av, vm_pgoff + vm_pglen) ->
			if
			:: vm_prev != 0 && vm_addr < vma[vm_prev].vm_end ->     /* case 4 */
				va_vma = vm_prev; va_start = vma[vm_prev].vm_start; va_end = vm_addr;
				va_pgoff = vma[vm_prev].vm_pgoff; vm_ret = vm_area
			:: else ->                                              /* cases 3, 8 */
				va_vma = vm_area; va_start = vm_addr; va_end = vma[vm_next].vm_end;
				va_pgoff = vma[vm_next].vm_pgoff - vm_pglen; vm_ret = vm_next
			fi;
			va_expand = vm_next; vm_adjust = 1
		:: else
		fi
	fi;
	if :: vm_adjust -> vma_adjust_merge() :: else fi
}

/* __vma_adjust without insert (vma_merge's worker) on va_vma with
 * va_start, va_end, va_pgoff, va_expand: choose importer and exporter,
 * give the importer the exporter's anon_vma and chain, set the ranges,
 * remove the swallowed VMAs (remove_next 1, 2 for case 6, 3 for case 8). */
inline vma_adjust_merge() {
	va_mm = vma[va_vma].mm - 1;
	va_next = vma[va_vma].vm_next;
	va_adj = 0; va_remove = 0; va_exporter = 0; va_importer = 0;
	if
	:: va_next != 0 ->
		if
		:: va_end >= vma[va_next].vm_end ->
			if
			:: va_next == va_expand ->                      /* case 8: swap */
				warn_on(va_end != vma[va_next].vm_end, WARN_ADJ_CASE8);
				va_remove = 3;
				va_t = va_vma; va_vma = va_next; va_next = va_t
			:: else ->
				warn_on(va_expand != va_vma, WARN_ADJ_EXPAND);
				va_remove = 1;
				if :: va_end > vma[va_next].vm_end -> va_remove = 2 :: else fi;
				warn_on(va_remove == 2 && va_end != vma[vma[va_next].vm_next].vm_end, WARN_ADJ_REM2);
				warn_on(va_remove == 1 && va_end != vma[va_next].vm_end, WARN_ADJ_REM1);
				va_end = vma[va_next].vm_end
			fi;
			va_exporter = va_next; va_importer = va_vma;
			if :: va_remove == 2 && vma[va_next].anon_vma == 0 -> va_exporter = vma[va_next].vm_next :: else fi
		:: else ->
			if
			:: va_end > vma[va_next].vm_start ->           /* case 5 */
				va_adj = va_end - vma[va_next].vm_start;
				va_exporter = va_next; va_importer = va_vma;
				warn_on(va_expand != va_importer, WARN_ADJ_IMPORT)
			:: else ->
				if
				:: va_end < vma[va_vma].vm_end ->       /* case 4 */
					va_adj = va_end - vma[va_vma].vm_end;
					va_exporter = va_vma; va_importer = va_next;
					warn_on(va_expand != va_importer, WARN_ADJ_IMPORT)
				:: else
				fi
			fi
		fi;
		if
		:: va_exporter != 0 && vma[va_exporter].anon_vma != 0 && vma[va_importer].anon_vma == 0 ->
			vma[va_importer].anon_vma = vma[va_exporter].anon_vma;
			cl_dst = va_importer; cl_src = va_exporter; CALL(anon_vma_clone, 1)
		:: else
		fi
	:: else
	fi;
	do      /* "again:" */
	:: true ->
		va_av = vma[va_vma].anon_vma;
		if :: va_av == 0 && va_adj != 0 -> va_av = vma[va_next].anon_vma :: else fi;
		if
		:: va_av != 0 ->
			warn_on(va_adj != 0 && vma[va_next].anon_vma != 0 && va_av != vma[va_next].anon_vma, WARN_ADJ_NEXTAV);
			chk_av(va_av)
		:: else
		fi;
		vma[va_vma].vm_start = va_start; vma[va_vma].vm_end = va_end; vma[va_vma].vm_pgoff = va_pgoff;
		if
		:: va_adj != 0 ->
			vma[va_next].vm_start = vma[va_next].vm_start + va_adj;
			vma[va_next].vm_pgoff = vma[va_next].vm_pgoff + va_adj
		:: else
		fi;
		if
		:: va_remove != 0 ->
			unlink_list(va_mm, va_next);
			va_nextend = vma[va_next].vm_end;
			if
			:: vma[va_next].anon_vma != 0 ->        /* anon_vma_merge */
				bug_on(vma[va_vma].anon_vma != vma[va_next].anon_vma, BUG_MERGE);
				ul_v = va_next; CALL(unlink_anon_vmas, 1)
			:: else
			fi;
			map_count[va_mm]--;
			vm_area_free(va_next);
			if :: va_remove != 3 -> va_next = vma[va_vma].vm_next :: else -> va_next = va_vma fi;
			if
			:: va_remove == 2 -> va_remove = 1; va_end = vma[va_next].vm_end
			:: else ->
				warn_on(va_next == 0 && va_nextend != vma[va_vma].vm_end, WARN_ADJ_HIGH);
				break
			fi
		:: else -> break
		fi
	od
}

/* __split_vma(sp_mm, sp_v, sp_addr, sp_below), with __vma_adjust's
 * insert path: the copy takes the lower (below) or upper part, clones the
 * chain, vma shrinks and the copy is linked into the list. Subroutine. */
inline split_vma() {
	vm_area_dup(sp_v, sp_nv);
	if
	:: sp_below -> vma[sp_nv].vm_end = sp_addr
	:: else ->
		vma[sp_nv].vm_start = sp_addr;
		vma[sp_nv].vm_pgoff = vma[sp_nv].vm_pgoff + (sp_addr - vma[sp_v].vm_start)
	fi;
	cl_dst = sp_nv; cl_src = sp_v; CALL(anon_vma_clone, 2);
	if
	:: sp_below ->
		va_start = sp_addr; va_end = vma[sp_v].vm_end;
		va_pgoff = vma[sp_v].vm_pgoff + (sp_addr - vma[sp_nv].vm_start)
	:: else -> va_start = vma[sp_v].vm_start; va_end = sp_addr; va_pgoff = vma[sp_v].vm_pgoff
	fi;
	/* __vma_adjust(vma, ..., insert = sp_nv, expand = NULL) */
	va_av = vma[sp_v].anon_vma;
	if :: va_av != 0 -> chk_av(va_av) :: else fi;
	vma[sp_v].vm_start = va_start; vma[sp_v].vm_end = va_end; vma[sp_v].vm_pgoff = va_pgoff;
	sp_addr = vma[sp_nv].vm_start;
	find_prev(sp_mm, sp_addr, va_prv);
	link_list(sp_mm, sp_nv, va_prv)
}

/* unmap_vmas: zap the PTEs of the VMAs from first on in [lo, hi). */
inline unmap_vmas(first, lo, hi) {
	um_v = first;
	do
	:: um_v != 0 ->
		um_mm = vma[um_v].mm - 1;
		um_a = (vma[um_v].vm_start > lo -> vma[um_v].vm_start : lo);
		do
		:: um_a < vma[um_v].vm_end && um_a < hi ->
			um_pg = PTE_PAGE(PT(um_mm, um_a));
			if
			:: um_pg != 0 -> PT(um_mm, um_a) = 0; page[um_pg].mapcount--; put_page(um_pg)
			:: else
			fi;
			um_a++
		:: else -> break
		od;
		um_v = vma[um_v].vm_next
	:: else -> break
	od
}
/* free_pgtables(fpt_v): unlink_anon_vmas of each VMA from fpt_v on.
 * Subroutine. */
inline free_pgtables() {
	do
	:: fpt_v != 0 -> ul_v = fpt_v; CALL(unlink_anon_vmas, 2); fpt_v = vma[fpt_v].vm_next
	:: else -> break
	od
}
/* remove_vma_list: free each VMA from first on. */
inline remove_vma_list(first) {
	rv_v = first;
	do
	:: rv_v != 0 -> rv_n = vma[rv_v].vm_next; vm_area_free(rv_v); rv_v = rv_n
	:: else -> break
	od
}

/* __do_munmap(mu_mm, mu_start, mu_end). Subroutine. */
inline do_munmap() {
	find_vma(mu_mm, mu_start, mu_vma);
	if
	:: mu_vma != 0 && vma[mu_vma].vm_start < mu_end ->
		mu_prev = vma[mu_vma].vm_prev;
		if
		:: mu_start > vma[mu_vma].vm_start ->
			sp_mm = mu_mm; sp_v = mu_vma; sp_addr = mu_start; sp_below = 0; CALL(split_vma, 1);
			mu_prev = mu_vma
		:: else
		fi;
		find_vma(mu_mm, mu_end, mu_last);
		if
		:: mu_last != 0 && mu_end > vma[mu_last].vm_start ->
			sp_mm = mu_mm; sp_v = mu_last; sp_addr = mu_end; sp_below = 1; CALL(split_vma, 2)
		:: else
		fi;
		if :: mu_prev != 0 -> mu_vma = vma[mu_prev].vm_next :: else -> mu_vma = mmap[mu_mm] fi;
		/* detach_vmas_to_be_unmapped */
		mu_first = mu_vma;
		vma[mu_vma].vm_prev = 0;
		mu_tail = 0;
		do
		:: mu_vma != 0 && vma[mu_vma].vm_start < mu_end ->
			map_count[mu_mm]--; mu_tail = mu_vma; mu_vma = vma[mu_vma].vm_next
		:: else -> break
		od;
		if :: mu_prev != 0 -> vma[mu_prev].vm_next = mu_vma :: else -> mmap[mu_mm] = mu_vma fi;
		if :: mu_vma != 0 -> vma[mu_vma].vm_prev = mu_prev :: else fi;
		vma[mu_tail].vm_next = 0;
		/* unmap_region, remove_vma_list */
		unmap_vmas(mu_first, mu_start, mu_end);
		fpt_v = mu_first; CALL(free_pgtables, 1);
		remove_vma_list(mu_first)
	:: else
	fi
}

/* mmap_region: MAP_FIXED|MAP_PRIVATE|MAP_ANONYMOUS of [lo, hi). */
inline mmap_region(m, lo, hi, fl) {
	do
	:: true ->
		find_vma(m, lo, mr_v);
		if
		:: mr_v != 0 && vma[mr_v].vm_start < hi -> mu_mm = m; mu_start = lo; mu_end = hi; CALL(do_munmap, 1)
		:: else -> break
		fi
	od;
	mr_fl = fl;
	if :: (mr_fl & VM_WRITE) != 0 -> mr_fl = mr_fl | VM_ACCOUNT :: else fi;
	find_prev(m, lo, mr_prev);
	vm_mm = m; vm_prev = mr_prev; vm_addr = lo; vm_end = hi; vm_fl = mr_fl; vm_av = 0; vm_pgoff = lo;
	CALL(vma_merge, 1);
	if
	:: vm_ret == 0 ->
		alloc_vma(m, mr_nv);
		vma[mr_nv].vm_start = lo; vma[mr_nv].vm_end = hi;
		vma[mr_nv].vm_flags = mr_fl; vma[mr_nv].vm_pgoff = lo;
		link_list(m, mr_nv, mr_prev)
	:: else
	fi
}

/* exit_mmap, then the mm is gone (exit). */
inline exit_mm(m) {
	ex_first = mmap[m];
	if
	:: ex_first != 0 ->
		unmap_vmas(ex_first, 0, 255);
		fpt_v = ex_first; CALL(free_pgtables, 2);
		remove_vma_list(ex_first)
	:: else
	fi;
	live = live & ~(1 << m); mmap[m] = 0; map_count[m] = 0;
	for (i : 0 .. PAGES-1) { PT(m, i) = 0 }
}

/* ---- mm/mprotect.c ---- */

/* change_protection: present PTEs in [lo, hi) become read-only. */
inline change_protection(v, lo, hi) {
	cg_mm = vma[v].mm - 1; cg_a = lo;
	do
	:: cg_a < hi -> if :: PTE_PAGE(PT(cg_mm, cg_a)) != 0 -> PT(cg_mm, cg_a) = PTE_PAGE(PT(cg_mm, cg_a)) :: else fi; cg_a++
	:: else -> break
	od
}
/* mprotect_fixup on [mf_start, mf_end) of mf_vma; mp_prev is *pprev, in and out. */
inline mprotect_fixup() {
	mf_mm = vma[mf_vma].mm - 1; mf_old = vma[mf_vma].vm_flags;
	if
	:: mf_new == mf_old -> mp_prev = mf_vma
	:: else ->
		if
		:: (mf_new & VM_WRITE) != 0 && (mf_old & (VM_ACCOUNT | VM_WRITE)) == 0 -> mf_new = mf_new | VM_ACCOUNT
		:: else
		fi;
		mf_pgoff = vma[mf_vma].vm_pgoff + (mf_start - vma[mf_vma].vm_start);
		vm_mm = mf_mm; vm_prev = mp_prev; vm_addr = mf_start; vm_end = mf_end; vm_fl = mf_new;
		vm_av = vma[mf_vma].anon_vma; vm_pgoff = mf_pgoff;
		CALL(vma_merge, 2);
		if
		:: vm_ret != 0 ->
			mf_vma = vm_ret;
			warn_on(vma[mf_vma].vm_flags != mf_new, WARN_MPROT_FLAG);
			mp_prev = vm_ret
		:: else ->
			mp_prev = mf_vma;
			if
			:: mf_start != vma[mf_vma].vm_start ->
				sp_mm = mf_mm; sp_v = mf_vma; sp_addr = mf_start; sp_below = 1; CALL(split_vma, 3)
			:: else
			fi;
			if
			:: mf_end != vma[mf_vma].vm_end ->
				sp_mm = mf_mm; sp_v = mf_vma; sp_addr = mf_end; sp_below = 0; CALL(split_vma, 4)
			:: else
			fi
		fi;
		vma[mf_vma].vm_flags = mf_new;
		change_protection(mf_vma, mf_start, mf_end)
	fi
}
/* do_mprotect_pkey of [lo, hi) in process m to prot. */
inline do_mprotect(m, lo, hi, pr) {
	find_vma(m, lo, mp_vma);
	if
	:: mp_vma == 0 || vma[mp_vma].vm_start > lo -> skip  /* -ENOMEM */
	:: else ->
		mp_prev = vma[mp_vma].vm_prev;
		if :: lo > vma[mp_vma].vm_start -> mp_prev = mp_vma :: else fi;
		mp_nstart = lo;
		do
		:: true ->
			mp_newflags = pr | (vma[mp_vma].vm_flags & ~VM_ACCESS);
			mp_tmp = (vma[mp_vma].vm_end < hi -> vma[mp_vma].vm_end : hi);
			mf_vma = mp_vma; mf_start = mp_nstart; mf_end = mp_tmp; mf_new = mp_newflags;
			mprotect_fixup();
			mp_nstart = mp_tmp;
			if :: mp_nstart < vma[mp_prev].vm_end -> mp_nstart = vma[mp_prev].vm_end :: else fi;
			if :: mp_nstart >= hi -> break :: else fi;
			mp_vma = vma[mp_prev].vm_next;
			if :: mp_vma == 0 || vma[mp_vma].vm_start != mp_nstart -> break :: else fi  /* -ENOMEM */
		od
	fi
}

/* ---- mm/memory.c ---- */

#define MKPTE(pg, v) ((pg) | ((vma[v].vm_flags & VM_WRITE) != 0 -> PTE_W : 0))

inline do_anonymous_page(v, addr) {
	ap_v = v; CALL(anon_vma_prepare, 1);
	alloc_page(da_pg);
	page_add_new_anon_rmap(da_pg, v, addr);
	PT(vma[v].mm - 1, addr) = MKPTE(da_pg, v)
}
inline wp_page_copy(v, addr) {
	ap_v = v; CALL(anon_vma_prepare, 2);
	wc_mm = vma[v].mm - 1;
	wc_old = PTE_PAGE(PT(wc_mm, addr));
	alloc_page(wc_pg);
	page_add_new_anon_rmap(wc_pg, v, addr);
	PT(wc_mm, addr) = MKPTE(wc_pg, v);
	page[wc_old].mapcount--;
	put_page(wc_old)
}
/* do_wp_page: reuse a page mapped once (page_move_anon_rmap), else copy. */
inline do_wp_page(v, addr) {
	wp_mm = vma[v].mm - 1;
	wp_pg = PTE_PAGE(PT(wp_mm, addr));
	if
	:: page[wp_pg].mapcount <= 1 ->
		if
		:: page[wp_pg].mapcount == 1 ->
			bug_on(vma[v].anon_vma == 0, BUG_MOVE_NO_AV);
			page[wp_pg].mapping = vma[v].anon_vma
		:: else
		fi;
		PT(wp_mm, addr) = MKPTE(wp_pg, v)
	:: else -> wp_page_copy(v, addr)
	fi
}
/* handle_mm_fault for a write: SIGSEGV without a writable VMA, no fault
 * on a writable PTE. */
inline handle_mm_fault(m, addr) {
	find_vma(m, addr, hf_v);
	if
	:: hf_v == 0 || vma[hf_v].vm_start > addr || (vma[hf_v].vm_flags & VM_WRITE) == 0 -> skip
	:: else ->
		hf_pte = PT(m, addr);
		if
		:: PTE_PAGE(hf_pte) == 0 -> do_anonymous_page(hf_v, addr)
		:: PTE_PAGE(hf_pte) != 0 && (hf_pte & PTE_W) == 0 -> do_wp_page(hf_v, addr)
		:: else
		fi
	fi
}
/* copy_page_range: the child maps the parent's pages read-only. */
inline copy_page_range(dst, src) {
	if
	:: vma[src].anon_vma != 0 ->
		cr_dmm = vma[dst].mm - 1; cr_smm = vma[src].mm - 1;
		cr_a = vma[src].vm_start;
		do
		:: cr_a < vma[src].vm_end ->
			cr_pg = PTE_PAGE(PT(cr_smm, cr_a));
			if
			:: cr_pg != 0 -> PT(cr_smm, cr_a) = cr_pg; PT(cr_dmm, cr_a) = cr_pg; page[cr_pg].mapcount++
			:: else
			fi;
			cr_a++
		:: else -> break
		od
	:: else
	fi
}

/* ---- kernel/fork.c ---- */

/* fork: a new mm in the lowest free process slot, filled by dup_mmap. */
inline fork(par) {
	dm_child = 0;
	do :: (live & (1 << dm_child)) != 0 -> dm_child++ :: else -> break od;
	live = live | (1 << dm_child); mmap[dm_child] = 0; map_count[dm_child] = 0;
	for (i : 0 .. PAGES-1) { PT(dm_child, i) = 0 }
	/* dup_mmap; VM_DONTCOPY and VM_WIPEONFORK are never set without madvise */
	dm_prev = 0; dm_mpnt = mmap[par];
	do
	:: dm_mpnt != 0 ->
		vm_area_dup(dm_mpnt, dm_tmp);
		vma[dm_tmp].mm = dm_child + 1;
		anon_vma_fork(dm_tmp, dm_mpnt);
		vma[dm_tmp].vm_next = 0; vma[dm_tmp].vm_prev = 0;
		if :: dm_prev != 0 -> vma[dm_prev].vm_next = dm_tmp :: else -> mmap[dm_child] = dm_tmp fi;
		vma[dm_tmp].vm_prev = dm_prev; dm_prev = dm_tmp;
		map_count[dm_child]++;
		copy_page_range(dm_tmp, dm_mpnt);
		dm_mpnt = vma[dm_mpnt].vm_next
	:: else -> break
	od
}

/* ---- after each operation (Kernel.run) ---- */

/* collectFreed: release freed anon_vmas nothing live points at. */
inline collect_freed() {
	cf_any = 0;
	for (i : 1 .. NA) { if :: av[i].status == AV_FREED -> cf_any = 1 :: else fi }
	if
	:: cf_any ->
		cf_ref = 0;
		for (i : 1 .. NV) {
			if
			:: vma[i].mm != 0 ->
				cf_ref = cf_ref | (1 << vma[i].anon_vma);
				for (j : 0 .. NC-1) { if :: j < vma[i].nchain -> cf_ref = cf_ref | (1 << vma[i].chain[j]) :: else fi }
			:: else
			fi
		}
		for (i : 1 .. NA) {
			if :: av[i].status == AV_LIVE -> cf_ref = cf_ref | (1 << av[i].parent) | (1 << av[i].root) :: else fi
		}
		for (i : 1 .. NP) {
			if :: page[i].used != 0 -> cf_ref = cf_ref | (1 << page[i].mapping) :: else fi
		}
		for (i : 1 .. NA) {
			if :: av[i].status == AV_FREED && (cf_ref & (1 << i)) == 0 -> zero_av(i) :: else fi
		}
	:: else
	fi
}

#ifdef OBJECTS
/*
 * canonicalise: state.Canonical. Renumber VMAs, anon_vmas and pages in
 * the order a fixed walk meets them and zero the unused slots: VMAs by
 * process along vm_next; anon_vmas as each VMA's ->anon_vma and chain,
 * then page->mapping in page-table order, then ->parent and ->root of
 * those named; pages in page-table order; what the walk misses follows
 * in slot order.
 */
hidden VMA  ovma[NV+1];
hidden AV   oav[NA+1];
hidden PAGE opage[NP+1];
hidden byte vmap[NV+1], amap[NA+1], pmap[NP+1], vorder[NV], aorder[NA], porder[NP];
hidden byte cn_nv, cn_na, cn_np, cn_v, cn_a, cn_k;

inline name_av() {      /* give anon_vma cn_a the next number */
	if :: cn_a != 0 && amap[cn_a] == 0 -> aorder[cn_na] = cn_a; cn_na++; amap[cn_a] = cn_na :: else fi
}
inline name_page(pg) {  /* give page pg the next number, then its mapping */
	if
	:: pg != 0 && pmap[pg] == 0 ->
		porder[cn_np] = pg; cn_np++; pmap[pg] = cn_np; cn_a = page[pg].mapping; name_av()
	:: else
	fi
}
inline canonicalise() {
	for (i : 0 .. NV) { vmap[i] = 0 }
	for (i : 0 .. NA) { amap[i] = 0 }
	for (i : 0 .. NP) { pmap[i] = 0 }
	cn_nv = 0; cn_na = 0; cn_np = 0;
	/* the walk */
	for (i : 0 .. PROCS-1) {
		if
		:: (live & (1 << i)) != 0 ->
			cn_v = mmap[i];
			do
			:: cn_v != 0 && vmap[cn_v] == 0 -> vorder[cn_nv] = cn_v; cn_nv++; vmap[cn_v] = cn_nv; cn_v = vma[cn_v].vm_next
			:: else -> break
			od
		:: else
		fi
	}
	for (i : 1 .. NV) { if :: vma[i].mm != 0 && vmap[i] == 0 -> vorder[cn_nv] = i; cn_nv++; vmap[i] = cn_nv :: else fi }
	cn_k = 0;
	do
	:: cn_k < cn_nv ->
		cn_v = vorder[cn_k];
		cn_a = vma[cn_v].anon_vma; name_av();
		for (j : 0 .. NC-1) { if :: j < vma[cn_v].nchain -> cn_a = vma[cn_v].chain[j]; name_av() :: else fi }
		cn_k++
	:: else -> break
	od;
	for (i : 0 .. PROCS*PAGES-1) { cn_v = PTE_PAGE(pt[i]); name_page(cn_v) }
	for (i : 1 .. NP) { if :: page[i].used != 0 -> name_page(i) :: else fi }
	cn_k = 0;
	do
	:: cn_k < cn_na -> cn_a = av[aorder[cn_k]].parent; name_av(); cn_a = av[aorder[cn_k]].root; name_av(); cn_k++
	:: else -> break
	od;
	for (i : 1 .. NA) {
		if
		:: av[i].status != 0 && amap[i] == 0 ->
			cn_a = i; name_av();
			cn_k = cn_na - 1;
			do
			:: cn_k < cn_na -> cn_a = av[aorder[cn_k]].parent; name_av(); cn_a = av[aorder[cn_k]].root; name_av(); cn_k++
			:: else -> break
			od
		:: else
		fi
	}
	/* the renamed state */
	for (i : 1 .. NV) {
		ovma[i].mm = vma[i].mm; ovma[i].vm_start = vma[i].vm_start; ovma[i].vm_end = vma[i].vm_end;
		ovma[i].vm_pgoff = vma[i].vm_pgoff; ovma[i].vm_flags = vma[i].vm_flags; ovma[i].anon_vma = vma[i].anon_vma;
		ovma[i].vm_prev = vma[i].vm_prev; ovma[i].vm_next = vma[i].vm_next; ovma[i].nchain = vma[i].nchain;
		for (j : 0 .. NC-1) { ovma[i].chain[j] = vma[i].chain[j] }
		zero_vma(i)
	}
	for (i : 1 .. NA) {
		oav[i].tree = av[i].tree; oav[i].status = av[i].status; oav[i].root = av[i].root;
		oav[i].parent = av[i].parent; oav[i].refcount = av[i].refcount; oav[i].degree = av[i].degree;
		zero_av(i)
	}
	for (i : 1 .. NP) {
		opage[i].used = page[i].used; opage[i].mapping = page[i].mapping;
		opage[i].index = page[i].index; opage[i].mapcount = page[i].mapcount;
		zero_page(i)
	}
	for (i : 0 .. PROCS-1) { mmap[i] = vmap[mmap[i]] }
	for (i : 0 .. PROCS*PAGES-1) { pt[i] = pmap[PTE_PAGE(pt[i])] | (pt[i] & PTE_W) }
	for (i : 1 .. NV) {
		if
		:: i <= cn_nv ->
			cn_v = vorder[i-1];
			vma[i].mm = ovma[cn_v].mm; vma[i].vm_start = ovma[cn_v].vm_start; vma[i].vm_end = ovma[cn_v].vm_end;
			vma[i].vm_pgoff = ovma[cn_v].vm_pgoff; vma[i].vm_flags = ovma[cn_v].vm_flags;
			vma[i].anon_vma = amap[ovma[cn_v].anon_vma];
			vma[i].vm_prev = vmap[ovma[cn_v].vm_prev]; vma[i].vm_next = vmap[ovma[cn_v].vm_next];
			vma[i].nchain = ovma[cn_v].nchain;
			for (j : 0 .. NC-1) { vma[i].chain[j] = amap[ovma[cn_v].chain[j]] }
		:: else
		fi
	}
	for (i : 1 .. NA) {
		if
		:: i <= cn_na ->
			cn_a = aorder[i-1];
			for (j : 1 .. NV) {
				if
				:: (oav[cn_a].tree & (1 << (j - 1))) != 0 && vmap[j] != 0 -> av[i].tree = av[i].tree | (1 << (vmap[j] - 1))
				:: else
				fi
			}
			av[i].status = oav[cn_a].status; av[i].root = amap[oav[cn_a].root]; av[i].parent = amap[oav[cn_a].parent];
			av[i].refcount = oav[cn_a].refcount; av[i].degree = oav[cn_a].degree
		:: else
		fi
	}
	for (i : 1 .. NP) {
		if
		:: i <= cn_np ->
			cn_v = porder[i-1];
			page[i].used = opage[cn_v].used; page[i].mapping = amap[opage[cn_v].mapping];
			page[i].index = opage[cn_v].index; page[i].mapcount = opage[cn_v].mapcount
		:: else
		fi
	}
}
#else
inline canonicalise() { skip }
#endif

#ifdef DUMP
/* One line per state, in the format of go run ./bench/spin --dump. */
inline dump_state() {
	printf("live=%d", live);
	for (i : 0 .. PROCS-1) { printf(" mm%d=%d,%d", i, mmap[i], map_count[i]) }
	printf(" pt=");
	for (i : 0 .. PROCS*PAGES-1) { printf("%d,", pt[i]) }
	for (i : 1 .. NV) {
		printf(" v%d=%d,%d,%d,%d,%d,%d,%d,%d,%d:", i, vma[i].mm, vma[i].vm_start, vma[i].vm_end,
		       vma[i].vm_pgoff, vma[i].vm_flags, vma[i].anon_vma, vma[i].vm_prev, vma[i].vm_next, vma[i].nchain);
		for (j : 0 .. NC-1) { printf("%d,", vma[i].chain[j]) }
	}
	for (i : 1 .. NA) {
		printf(" a%d=%d,%d,%d,%d,%d,%d", i, av[i].tree, av[i].status, av[i].root, av[i].parent, av[i].refcount, av[i].degree)
	}
	for (i : 1 .. NP) { printf(" p%d=%d,%d,%d,%d", i, page[i].used, page[i].mapping, page[i].index, page[i].mapcount) }
	printf(" bug=%d warn=%d ovf=%d latent=%d\n", bug, warn, ovf, latent)
}
#else
inline dump_state() { skip }
#endif

active proctype kernel()
{
	/* The operation being chosen (transitions.Op); zero between operations. */
	byte op_kind, op_proc, op_start, op_end, op_prot;
end:
	do
	:: d_step { setup -> setup = 0 }  /* the layout is an initial layout */
	:: atomic {
		bug == 0 && ovf == 0 && live != 0 ->
		if
		:: setup -> /* P1 builds its layout */
			if
			:: op_kind = OP_MMAP
			:: op_kind = OP_WRITE
			:: op_kind = OP_MPROTECT
			:: op_kind = OP_MUNMAP
			fi
		:: else ->
			if
			:: (live & 1) != 0 -> op_proc = 0
			:: PROCS > 1 && (live & 2) != 0 -> op_proc = 1
			:: PROCS > 2 && (live & 4) != 0 -> op_proc = 2
			:: PROCS > 3 && (live & 8) != 0 -> op_proc = 3
			fi;
			if
			:: op_kind = OP_WRITE
			:: op_kind = OP_MPROTECT
			:: op_kind = OP_MUNMAP
			:: live != ALL_LIVE -> op_kind = OP_FORK
			:: op_kind = OP_EXIT
			fi
		fi;
		/* a page, or a range [op_start, op_end) */
		if
		:: op_kind == OP_WRITE || op_kind == OP_MMAP || op_kind == OP_MPROTECT || op_kind == OP_MUNMAP ->
			do
			:: op_start < PAGES - 1 -> op_start++
			:: break
			od
		:: else
		fi;
		if
		:: op_kind == OP_MMAP || op_kind == OP_MPROTECT || op_kind == OP_MUNMAP ->
			op_end = op_start + 1;
			do
			:: op_end < PAGES -> op_end++
			:: break
			od
		:: else
		fi;
		if
		:: op_kind == OP_MMAP || op_kind == OP_MPROTECT ->
			if
			:: (PROTS & 1) != 0 -> op_prot = 0
			:: (PROTS & 2) != 0 -> op_prot = 1
			:: (PROTS & 4) != 0 -> op_prot = 2
			:: (PROTS & 8) != 0 -> op_prot = 3
			:: (PROTS & 16) != 0 -> op_prot = 4
			:: (PROTS & 32) != 0 -> op_prot = 5
			:: (PROTS & 64) != 0 -> op_prot = 6
			:: (PROTS & 128) != 0 -> op_prot = 7
			fi
		:: else
		fi;
		d_step {
			if
			:: op_kind == OP_MMAP -> mmap_region(op_proc, op_start, op_end, op_prot)
			:: op_kind == OP_WRITE -> handle_mm_fault(op_proc, op_start)
			:: op_kind == OP_MPROTECT -> do_mprotect(op_proc, op_start, op_end, op_prot)
			:: op_kind == OP_MUNMAP ->
				mu_mm = op_proc; mu_start = op_start; mu_end = op_end; CALL(do_munmap, 2)
			:: op_kind == OP_FORK -> fork(op_proc)
			:: op_kind == OP_EXIT -> exit_mm(op_proc)
			fi;
			collect_freed();
			goto done;
			/* the subroutines */
anon_vma_prepare_entry:	anon_vma_prepare(); RET2(anon_vma_prepare);
anon_vma_clone_entry:	anon_vma_clone(); RET3(anon_vma_clone);
unlink_anon_vmas_entry:	unlink_anon_vmas(); RET2(unlink_anon_vmas);
free_pgtables_entry:	free_pgtables(); RET2(free_pgtables);
split_vma_entry:	split_vma(); RET4(split_vma);
do_munmap_entry:	do_munmap(); RET2(do_munmap);
vma_merge_entry:	vma_merge(); RET2(vma_merge);
done:
			skip
		};
		d_step {        /* separate: one d_step would exceed SPIN's 2048 jumps */
			canonicalise();
			dump_state();
			op_kind = 0; op_proc = 0; op_start = 0; op_end = 0; op_prot = 0
		}
	   }
	od
}
