package transitions_test

// Scenario tests of the v5.4 model, one or more per kernel function. Each
// scenario is drawn above its test in the style of tools/testing/vma: one
// column per page slot, a letter per VMA, '.' for a hole. The expected
// values are those of the v5.4 code as transcribed in /tmp/kref/*.md and
// kernel-reference.md (section numbers refer to the latter). Every
// operation is also checked for BUG/WARN (none may fire) and against the
// invariants of checkInvariants (helpers_test.go).

import (
	"slices"
	"testing"

	"anoncheck/state"
	"anoncheck/transitions"
)

// ---------------------------------------------------------------------------
// __anon_vma_prepare (mm/rmap.c), from do_anonymous_page (mm/memory.c)

// The first write fault in a VMA without an anon_vma runs
// __anon_vma_prepare(): find_mergeable_anon_vma() finds nothing, so
// anon_vma_alloc() makes one (refcount 1, degree 1 "reference for first
// vma", root = parent = itself), and the link adds the VMA's degree
// ("vma reference or self-parent link for new root"): degree 2. The page
// gets page_add_new_anon_rmap(): mapping = vma->anon_vma, index =
// linear_page_index(), mapcount 1; the PTE is writable (VM_WRITE). A read
// fault is not modelled; mmap alone gives no anon_vma.
//
//	0123
//	.AA.    A: rw (pgoff 1); written at 2, then at 1, then at 2 again
func TestAnonVMAPrepareOnWriteFault(t *testing.T) {
	e := newEnv(t, 4, 1)
	e.mmap(0, 1, 3, pRW)
	e.wantLayout(0, ".AA.")
	a := e.vmaAt(0, 1)
	e.wantVMA(a, 1, 3, 1, fRW)
	e.wantChain(a, state.NoAV)
	if n := len(e.liveAVs()); n != 0 {
		t.Fatalf("mmap allocated %d anon_vmas, want none", n)
	}

	e.write(0, 2)
	av := e.avAt(0, 2)
	e.wantChain(a, av, av)
	e.wantAV(av, avWant{root: av, parent: av, ref: 1, degree: 2, tree: []state.VMAID{a}})
	pg := e.wantPTE(0, 2, true)
	e.wantPage(pg, av, 2, 1)

	// anon_vma_prepare() is a no-op once vma->anon_vma is set.
	e.write(0, 1)
	if got := e.liveAVs(); !slices.Equal(got, []state.AVID{av}) {
		t.Errorf("live anon_vmas %v after the second fault, want [av%d]", got, av)
	}
	e.wantAV(av, avWant{root: av, parent: av, ref: 1, degree: 2, tree: []state.VMAID{a}})
	e.wantPage(e.wantPTE(0, 1, true), av, 1, 1)

	// A write to a page mapped writable takes no fault at all.
	before := *e.s
	e.write(0, 2)
	if *e.s != before {
		t.Errorf("a write through a writable PTE changed the state")
	}
}

// A write to a VMA without VM_WRITE, or to a hole, is SIGSEGV from
// access_error()/bad_area before handle_mm_fault(): no state change.
//
//	0123
//	A.B.    A: r; B: rw
func TestWriteFaultSegv(t *testing.T) {
	e := newEnv(t, 4, 1)
	e.mmap(0, 0, 1, pR)
	e.mmap(0, 2, 3, pRW)
	before := *e.s
	e.apply(transitions.Op{Kind: transitions.OpWrite, Proc: 0, Start: 0}, transitions.EFAULT)
	e.apply(transitions.Op{Kind: transitions.OpWrite, Proc: 0, Start: 1}, transitions.EFAULT)
	if *e.s != before {
		t.Errorf("a SIGSEGV write changed the state")
	}
}

// ---------------------------------------------------------------------------
// find_mergeable_anon_vma / reusable_anon_vma / anon_vma_compatible
// (mm/mmap.c), section 4.4

// __anon_vma_prepare() of the written VMA takes a neighbour's anon_vma when
// the neighbour is anon_vma_compatible() (adjacent, flags equal but for
// VM_READ|VM_WRITE|VM_EXEC|VM_SOFTDIRTY, pgoff continuous) and its chain is
// singular; vm_next is tried before vm_prev. A shared anon_vma gains one
// degree and no reference; the chain is just [av].
func TestFindMergeableAnonVMA(t *testing.T) {
	cases := []struct {
		name   string
		draw   string
		layout string
		setup  func(e *env) int // builds the layout; returns the process
		target int              // the page whose write fault prepares the VMA
		from   int              // page of the neighbour whose anon_vma it gets; -1: a fresh one
	}{
		{
			name:   "next before prev",
			draw:   "PAN  P, N: rwx, written; A: rw -> N's anon_vma",
			layout: "ABC.",
			setup: func(e *env) int {
				e.mmap(0, 0, 1, pRWX)
				e.write(0, 0)
				e.mmap(0, 2, 3, pRWX)
				e.write(0, 2)
				e.mmap(0, 1, 2, pRW)
				return 0
			},
			target: 1, from: 2,
		},
		{
			name:   "prev when next has no anon_vma",
			draw:   "PAN  P: rwx, written; N: rwx, never written; A: rw -> P's",
			layout: "ABC.",
			setup: func(e *env) int {
				e.mmap(0, 0, 1, pRWX)
				e.write(0, 0)
				e.mmap(0, 2, 3, pRWX)
				e.mmap(0, 1, 2, pRW)
				return 0
			},
			target: 1, from: 0,
		},
		{
			name:   "prev when next is not adjacent",
			draw:   "PA.N  P: rwx, written; N: rw, written; A: rw -> P's",
			layout: "AB.C",
			setup: func(e *env) int {
				e.mmap(0, 0, 1, pRWX)
				e.write(0, 0)
				e.mmap(0, 3, 4, pRW)
				e.write(0, 3)
				e.mmap(0, 1, 2, pRW)
				return 0
			},
			target: 1, from: 0,
		},
		{
			name:   "read-only neighbour: only VM_WRITE differs",
			draw:   "PA  P: rw, written, then mprotect r; A: rw -> P's",
			layout: "AB..",
			setup: func(e *env) int {
				e.mmap(0, 0, 1, pRW)
				e.write(0, 0)
				e.mprotect(0, 0, 1, pR)
				e.mmap(0, 1, 2, pRW)
				return 0
			},
			target: 1, from: 0,
		},
		{
			name:   "VM_DONTCOPY differs",
			draw:   "PA  P: rw, written, MADV_DONTFORK; A: rw -> fresh",
			layout: "AB..",
			setup: func(e *env) int {
				e.mmap(0, 0, 1, pRW)
				e.write(0, 0)
				e.madvise(0, 0, 1, transitions.MadvDontFork)
				e.mmap(0, 1, 2, pRW)
				return 0
			},
			target: 1, from: -1,
		},
		{
			// Every VM_WRITE VMA the operations make is charged, and
			// the charge is never dropped, so a neighbour without
			// VM_ACCOUNT but with an anon_vma is set up by hand: it
			// stands for a MAP_NORESERVE mapping, which the model's
			// mmap does not offer.
			name:   "VM_ACCOUNT differs",
			draw:   "PA  P: rw without VM_ACCOUNT (MAP_NORESERVE), written; A: rw -> fresh",
			layout: "AB..",
			setup: func(e *env) int {
				e.mmap(0, 0, 1, pRW)
				e.write(0, 0)
				e.s.VMA(e.vmaAt(0, 0)).Flags &^= state.VMAccount
				e.mmap(0, 1, 2, pRW)
				return 0
			},
			target: 1, from: -1,
		},
		{
			// In the child, N's chain is [av2 av1]: not singular, so
			// neither vma_merge() (is_mergeable_anon_vma) nor
			// reusable_anon_vma() uses it.
			name:   "forked neighbour",
			draw:   "AN  P1: N rw, written; fork; P2: mmap A rw, written -> fresh",
			layout: "AB..",
			setup: func(e *env) int {
				e.mmap(0, 1, 2, pRW)
				e.write(0, 1)
				c := e.fork(0)
				e.mmap(c, 0, 1, pRW)
				return c
			},
			target: 0, from: -1,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Logf("layout: %s", tc.draw)
			e := newEnv(t, 4, 2)
			p := tc.setup(e)
			e.wantLayout(p, tc.layout)
			a := e.vmaAt(p, tc.target)
			if e.s.VMA(a).AnonVMA != state.NoAV {
				t.Fatalf("target VMA has an anon_vma before the fault")
			}
			before := e.liveAVs()
			var want state.AVID
			var wantDegree uint8
			var wantTree []state.VMAID
			if tc.from >= 0 {
				n := e.vmaAt(p, tc.from)
				want = e.s.VMA(n).AnonVMA
				wantDegree = e.s.AV(want).Degree + 1
				wantTree = []state.VMAID{n, a}
			}
			e.write(p, tc.target)
			got := e.s.VMA(a).AnonVMA
			if tc.from >= 0 {
				if got != want {
					t.Fatalf("anon_vma av%d, want the neighbour's av%d", got, want)
				}
				e.wantChain(a, want, want)
				e.wantAV(want, avWant{root: want, parent: want, ref: 1, degree: wantDegree, tree: wantTree})
				if after := e.liveAVs(); !slices.Equal(after, before) {
					t.Errorf("live anon_vmas %v, want %v: nothing allocated", after, before)
				}
			} else {
				if slices.Contains(before, got) {
					t.Fatalf("anon_vma av%d was reused, want a fresh one", got)
				}
				e.wantChain(a, got, got)
				e.wantAV(got, avWant{root: got, parent: got, ref: 1, degree: 2, tree: []state.VMAID{a}})
			}
			e.wantPage(e.wantPTE(p, tc.target, true), got, tc.target, 1)
		})
	}
}

// ---------------------------------------------------------------------------
// anon_vma_fork / anon_vma_clone (mm/rmap.c), dup_mmap (kernel/fork.c),
// sections 4.5, 4.6, 4.9

// Fork of a VMA with an anon_vma: anon_vma_clone() links the child VMA to
// each anon_vma of the parent VMA's chain, oldest first (so the order is
// kept), and reuses none (the parent's own anon_vma is excluded, and a root
// has degree >= 2); anon_vma_fork() then allocates the child's anon_vma:
// parent = pvma->anon_vma, root = its root, which get_anon_vma() pins; it
// goes at the head of the child's chain and the parent's degree grows by
// one. The child's anon_vma keeps the degree 1 of anon_vma_alloc() for
// the child VMA. Forking the child again makes a third level.
//
//	01
//	AA    P1: A rw, written at 0; fork P1 -> P2; fork P2 -> P3
func TestAnonVMAForkChain(t *testing.T) {
	e := newEnv(t, 2, 3)
	e.mmap(0, 0, 2, pRW)
	e.write(0, 0)
	a1 := e.vmaAt(0, 0)
	av1 := e.avAt(0, 0)
	pg := e.wantPTE(0, 0, true)

	c2 := e.fork(0)
	if c2 != 1 {
		t.Fatalf("child slot %d, want 1 (lowest free)", c2)
	}
	e.wantLayout(c2, "AA")
	a2 := e.vmaAt(c2, 0)
	e.wantVMA(a2, 0, 2, 0, fRW)
	av2 := e.s.VMA(a2).AnonVMA
	if av2 == av1 || av2 == state.NoAV {
		t.Fatalf("child VMA's anon_vma av%d, want a new one", av2)
	}
	e.wantChain(a2, av2, av2, av1)
	e.wantChain(a1, av1, av1) // the parent's chain is not touched
	e.wantAV(av2, avWant{root: av1, parent: av1, ref: 1, degree: 1, tree: []state.VMAID{a2}})
	e.wantAV(av1, avWant{root: av1, parent: av1, ref: 2, degree: 3, tree: []state.VMAID{a1, a2}})
	e.wantPage(pg, av1, 0, 2)

	c3 := e.fork(c2)
	a3 := e.vmaAt(c3, 0)
	av3 := e.s.VMA(a3).AnonVMA
	if av3 == av1 || av3 == av2 || av3 == state.NoAV {
		t.Fatalf("grandchild VMA's anon_vma av%d, want a new one", av3)
	}
	e.wantChain(a3, av3, av3, av2, av1)
	e.wantAV(av3, avWant{root: av1, parent: av2, ref: 1, degree: 1, tree: []state.VMAID{a3}})
	e.wantAV(av2, avWant{root: av1, parent: av1, ref: 1, degree: 2, tree: []state.VMAID{a2, a3}})
	e.wantAV(av1, avWant{root: av1, parent: av1, ref: 3, degree: 3, tree: []state.VMAID{a1, a2, a3}})
	e.wantPage(pg, av1, 0, 3)
}

// anon_vma_fork() of a parent VMA without an anon_vma does nothing: the
// child VMA keeps the NULL anon_vma vm_area_dup() copied and an empty
// chain, and copy_page_range() copies nothing for it.
//
//	0123
//	AA.B    A: rw, never written; B: rw, written at 3; fork
func TestAnonVMAForkUnfaultedVMA(t *testing.T) {
	e := newEnv(t, 4, 2)
	e.mmap(0, 0, 2, pRW)
	e.mmap(0, 3, 4, pRW)
	e.write(0, 3)
	avB := e.avAt(0, 3)
	c := e.fork(0)
	e.wantLayout(c, "AA.B")
	e.wantChain(e.vmaAt(c, 0), state.NoAV)
	if got := e.chain(e.vmaAt(c, 3)); len(got) != 2 || got[1] != avB {
		t.Errorf("child B chain %v, want [new av%d]", got, avB)
	}
	e.wantNoPTE(c, 0)
	e.wantNoPTE(c, 1)
	if len(e.liveAVs()) != 2 {
		t.Errorf("live anon_vmas %v, want B's and the child B's", e.liveAVs())
	}
}

// The root is never reused by anon_vma_clone(): it keeps its self-parent
// link and a child. P1 forks P2 and exits: P1's anon_vma av1 stays (P2's
// VMA is in its tree, av2 pins it) with degree 2 (self-link + av2), no
// VMA of its own. When P2 forks P3, anon_vma_clone() walks [av1 av2]
// oldest first: av1 has degree 2 (not < 2), av2 is src->anon_vma. So no
// reuse: P3 gets a new av3 (parent av2, root av1), and av1's degree is
// unchanged while its refcount grows to 3.
//
//	0
//	A     P1: A rw, written; fork P1 -> P2; exit P1; fork P2 -> P3 (slot of P1)
func TestAnonVMACloneRootNotReused(t *testing.T) {
	e := newEnv(t, 1, 2)
	e.mmap(0, 0, 1, pRW)
	e.write(0, 0)
	av1 := e.avAt(0, 0)
	pg := e.wantPTE(0, 0, true)
	c2 := e.fork(0)
	a2 := e.vmaAt(c2, 0)
	av2 := e.avAt(c2, 0)

	e.exit(0)
	e.wantAV(av1, avWant{root: av1, parent: av1, ref: 2, degree: 2, tree: []state.VMAID{a2}})
	e.wantAV(av2, avWant{root: av1, parent: av1, ref: 1, degree: 1, tree: []state.VMAID{a2}})
	e.wantPage(pg, av1, 0, 1)
	e.wantPTE(c2, 0, false)

	c3 := e.fork(c2)
	if c3 != 0 {
		t.Fatalf("P3 in slot %d, want 0 (P1's, now free)", c3)
	}
	a3 := e.vmaAt(c3, 0)
	av3 := e.avAt(c3, 0)
	if av3 == av1 || av3 == av2 {
		t.Fatalf("P3's VMA reused av%d, want a new anon_vma", av3)
	}
	e.wantChain(a3, av3, av3, av2, av1)
	e.wantAV(av3, avWant{root: av1, parent: av2, ref: 1, degree: 1, tree: []state.VMAID{a3}})
	e.wantAV(av2, avWant{root: av1, parent: av1, ref: 1, degree: 2, tree: []state.VMAID{a2, a3}})
	e.wantAV(av1, avWant{root: av1, parent: av1, ref: 3, degree: 2, tree: []state.VMAID{a2, a3}})
	e.wantPage(pg, av1, 0, 2)
}

// anon_vma_clone() reuses an anon_vma of degree < 2 that is not
// src->anon_vma: "no vma and only one anon_vma child". P1 -> P2 -> P3;
// P2 exits, so P2's av2 keeps only its child av3 (degree 1, tree {P3's
// VMA}). P3 forks P4: the clone walks [av1 av2 av3]; av1 has degree 3,
// av2 has degree 1 and is not P3's own av3, so P4's VMA takes av2 as its
// anon_vma (degree 2) while its chain is a full copy [av3 av2 av1] and no
// anon_vma is allocated: the child's anon_vma is not the head of its
// chain. A COW fault in P4 then puts the new page in av2.
//
//	0
//	A     P1: A rw, written; P1 -> P2 -> P3; exit P2; P3 -> P4; P4 writes 0
func TestAnonVMACloneReusesAbandonedAnonVMA(t *testing.T) {
	e := newEnv(t, 1, 3)
	e.mmap(0, 0, 1, pRW)
	e.write(0, 0)
	a1 := e.vmaAt(0, 0)
	av1 := e.avAt(0, 0)
	pg := e.wantPTE(0, 0, true)
	c2 := e.fork(0)
	av2 := e.avAt(c2, 0)
	c3 := e.fork(c2)
	a3 := e.vmaAt(c3, 0)
	av3 := e.avAt(c3, 0)
	e.wantChain(a3, av3, av3, av2, av1)

	e.exit(c2)
	e.wantAV(av2, avWant{root: av1, parent: av1, ref: 1, degree: 1, tree: []state.VMAID{a3}})
	e.wantAV(av1, avWant{root: av1, parent: av1, ref: 3, degree: 3, tree: []state.VMAID{a1, a3}})

	liveBefore := e.liveAVs()
	c4 := e.fork(c3)
	if c4 != c2 {
		t.Fatalf("P4 in slot %d, want %d (P2's)", c4, c2)
	}
	a4 := e.vmaAt(c4, 0)
	e.wantChain(a4, av2, av3, av2, av1)
	if got := e.liveAVs(); !slices.Equal(got, liveBefore) {
		t.Errorf("live anon_vmas %v, want %v: the fork reused one", got, liveBefore)
	}
	e.wantAV(av2, avWant{root: av1, parent: av1, ref: 1, degree: 2, tree: []state.VMAID{a3, a4}})
	e.wantAV(av3, avWant{root: av1, parent: av2, ref: 1, degree: 1, tree: []state.VMAID{a3, a4}})
	e.wantAV(av1, avWant{root: av1, parent: av1, ref: 3, degree: 3, tree: []state.VMAID{a1, a3, a4}})
	e.wantPage(pg, av1, 0, 3)

	e.write(c4, 0)
	npg := e.wantPTE(c4, 0, true)
	if npg == pg {
		t.Fatalf("P4's write reused the shared page")
	}
	e.wantPage(npg, av2, 0, 1)
	e.wantPage(pg, av1, 0, 2)
}

// dup_mmap() skips VM_DONTCOPY VMAs: the child has no copy, the parent's
// PTEs there are not write-protected, the anon_vma is untouched.
//
//	012
//	A.B    A: rw, written at 0, MADV_DONTFORK; B: rw, written at 2; fork
func TestDupMmapDontCopy(t *testing.T) {
	e := newEnv(t, 3, 2)
	e.mmap(0, 0, 1, pRW)
	e.write(0, 0)
	e.madvise(0, 0, 1, transitions.MadvDontFork)
	e.mmap(0, 2, 3, pRW)
	e.write(0, 2)
	a := e.vmaAt(0, 0)
	b := e.vmaAt(0, 2)
	avA, avB := e.avAt(0, 0), e.avAt(0, 2)
	e.wantVMA(a, 0, 1, 0, fRW|state.VMDontCopy)

	c := e.fork(0)
	e.wantLayout(c, "..A")
	if n := e.s.MMs[c].MapCount; n != 1 {
		t.Errorf("child map_count %d, want 1", n)
	}
	e.wantNoPTE(c, 0)
	pgA := e.wantPTE(0, 0, true)
	e.wantPage(pgA, avA, 0, 1)
	e.wantAV(avA, avWant{root: avA, parent: avA, ref: 1, degree: 2, tree: []state.VMAID{a}})

	cb := e.vmaAt(c, 2)
	e.wantVMA(cb, 2, 3, 2, fRW)
	if ch := e.chain(cb); len(ch) != 2 || ch[1] != avB {
		t.Errorf("child B chain %v, want [new av%d]", ch, avB)
	}
	e.wantAV(avB, avWant{root: avB, parent: avB, ref: 2, degree: 3, tree: []state.VMAID{b, cb}})
	pgB := e.wantPTE(0, 2, false)
	if e.wantPTE(c, 2, false) != pgB {
		t.Errorf("child maps another page at 2")
	}
	e.wantPage(pgB, avB, 2, 2)
}

// dup_mmap() and VM_WIPEONFORK (v5.4): tmp->anon_vma = NULL and
// anon_vma_prepare(tmp) instead of anon_vma_fork(), and no
// copy_page_range(). The child VMA keeps VM_WIPEONFORK, is not linked to
// the parent's anon_vma and has no PTEs; the parent's PTEs stay writable.
// v5.4 prepares even when the parent VMA has no anon_vma (later kernels
// leave it to the first fault).
//
//	0123
//	AA.B    A: rw, written at 0; B: rw, never written; both MADV_WIPEONFORK
func TestDupMmapWipeOnFork(t *testing.T) {
	e := newEnv(t, 4, 2)
	e.mmap(0, 0, 2, pRW)
	e.write(0, 0)
	e.mmap(0, 3, 4, pRW)
	e.madvise(0, 0, 2, transitions.MadvWipeOnFork)
	e.madvise(0, 3, 4, transitions.MadvWipeOnFork)
	e.wantLayout(0, "AA.B")
	a := e.vmaAt(0, 0)
	avA := e.avAt(0, 0)
	pg := e.wantPTE(0, 0, true)

	c := e.fork(0)
	e.wantLayout(c, "AA.B")
	ca, cb := e.vmaAt(c, 0), e.vmaAt(c, 3)
	e.wantVMA(ca, 0, 2, 0, fRW|state.VMWipeOnFork)
	e.wantVMA(cb, 3, 4, 3, fRW|state.VMWipeOnFork)
	for _, v := range []state.VMAID{ca, cb} {
		av := e.s.VMA(v).AnonVMA
		if av == state.NoAV || av == avA {
			t.Errorf("child VMA %d: anon_vma av%d, want a fresh one", v, av)
			continue
		}
		e.wantChain(v, av, av)
		e.wantAV(av, avWant{root: av, parent: av, ref: 1, degree: 2, tree: []state.VMAID{v}})
	}
	e.wantNoPTE(c, 0)
	e.wantPTE(0, 0, true)
	e.wantPage(pg, avA, 0, 1)
	e.wantAV(avA, avWant{root: avA, parent: avA, ref: 1, degree: 2, tree: []state.VMAID{a}})

	// The child's first write gets a fresh zeroed page in its own anon_vma.
	e.write(c, 0)
	npg := e.wantPTE(c, 0, true)
	if npg == pg {
		t.Fatalf("child maps the parent's page")
	}
	e.wantPage(npg, e.s.VMA(ca).AnonVMA, 0, 1)
}

// VM_WIPEONFORK in v5.4, section 4.4 [inferred]: anon_vma_prepare(tmp)
// runs while tmp->vm_next/vm_prev are still the parent's (vm_area_dup
// copied them; dup_mmap resets them only afterwards), so
// find_mergeable_anon_vma() looks at the PARENT's neighbours. The child's
// A' thus shares the parent B's anon_vma, chain [avB]; the child's B'
// finds the parent's A without an anon_vma and gets a fresh one.
//
//	01
//	AB    A: rw, B: rwx (two VMAs), both MADV_WIPEONFORK; B written at 1; fork
func TestDupMmapWipeOnForkSharesParentNeighbour(t *testing.T) {
	e := newEnv(t, 2, 2)
	e.mmap(0, 0, 1, pRW)
	e.mmap(0, 1, 2, pRWX)
	e.madvise(0, 0, 2, transitions.MadvWipeOnFork)
	e.wantLayout(0, "AB")
	e.write(0, 1)
	b := e.vmaAt(0, 1)
	avB := e.avAt(0, 1)
	e.wantChain(e.vmaAt(0, 0), state.NoAV)

	c := e.fork(0)
	e.wantLayout(c, "AB")
	ca, cb := e.vmaAt(c, 0), e.vmaAt(c, 1)
	e.wantChain(ca, avB, avB)
	e.wantAV(avB, avWant{root: avB, parent: avB, ref: 1, degree: 3, tree: []state.VMAID{b, ca}})
	avCB := e.s.VMA(cb).AnonVMA
	if avCB == state.NoAV || avCB == avB {
		t.Fatalf("child B': anon_vma av%d, want a fresh one", avCB)
	}
	e.wantChain(cb, avCB, avCB)
	e.wantAV(avCB, avWant{root: avCB, parent: avCB, ref: 1, degree: 2, tree: []state.VMAID{cb}})
	e.wantNoPTE(c, 1)
	e.wantPTE(0, 1, true)
}

// ---------------------------------------------------------------------------
// copy_page_range / copy_one_pte (mm/memory.c), section 4.10

// For a parent VMA with an anon_vma, each present PTE is write-protected in
// the parent and copied read-only to the child; page_dup_rmap() makes the
// mapcount 2; page->mapping and ->index do not change (the child reaches
// the page through av1 on its chain). No page is allocated; absent PTEs
// stay absent.
//
//	01
//	AA    A: rw, written at 0 only; fork
func TestCopyPageRange(t *testing.T) {
	e := newEnv(t, 2, 2)
	e.mmap(0, 0, 2, pRW)
	e.write(0, 0)
	av1 := e.avAt(0, 0)
	pg := e.wantPTE(0, 0, true)
	e.wantPage(pg, av1, 0, 1)

	c := e.fork(0)
	e.wantPTE(0, 0, false)
	if got := e.wantPTE(c, 0, false); got != pg {
		t.Errorf("child PTE maps page %d, want the parent's %d", got, pg)
	}
	e.wantPage(pg, av1, 0, 2)
	e.wantNoPTE(0, 1)
	e.wantNoPTE(c, 1)
	if n := e.usedPages(); n != 1 {
		t.Errorf("%d pages in use, want 1", n)
	}
}

// ---------------------------------------------------------------------------
// do_wp_page / wp_page_copy / wp_page_reuse / page_move_anon_rmap
// (mm/memory.c, mm/rmap.c), section 4.16

// After fork the child writes first: mapcount 2, so wp_page_copy(): a new
// page, page_add_new_anon_rmap() into the child VMA's own av2, writable;
// the old page drops to mapcount 1 and stays in av1. Then the parent
// writes: reuse_swap_page() sees mapcount 1, page_move_anon_rmap() puts
// the page in the parent VMA's anon_vma (av1, where it already was) and
// wp_page_reuse() makes the PTE writable; no page is allocated.
//
//	0
//	A     A: rw, written; fork; child writes 0; parent writes 0
func TestDoWPPageChildCopiesParentReuses(t *testing.T) {
	e := newEnv(t, 1, 2)
	e.mmap(0, 0, 1, pRW)
	e.write(0, 0)
	av1 := e.avAt(0, 0)
	pg := e.wantPTE(0, 0, true)
	c := e.fork(0)
	av2 := e.avAt(c, 0)

	e.write(c, 0)
	npg := e.wantPTE(c, 0, true)
	if npg == pg {
		t.Fatalf("child's write did not copy")
	}
	e.wantPage(npg, av2, 0, 1)
	e.wantPage(pg, av1, 0, 1)
	e.wantPTE(0, 0, false)

	e.write(0, 0)
	if got := e.wantPTE(0, 0, true); got != pg {
		t.Errorf("parent's write mapped page %d, want its page %d reused", got, pg)
	}
	e.wantPage(pg, av1, 0, 1)
	if n := e.usedPages(); n != 2 {
		t.Errorf("%d pages in use, want 2", n)
	}
}

// The other order shows page_move_anon_rmap() moving a page: the parent
// writes first and copies (its new page goes to av1, the parent VMA's
// anon_vma); the child's write then finds the old page mapped once and
// reuses it, moving page->mapping from av1 to the child VMA's av2 (index
// unchanged) "so the rmap code will not search our parent or siblings".
//
//	0
//	A     A: rw, written; fork; parent writes 0; child writes 0
func TestDoWPPageReuseMovesAnonRmap(t *testing.T) {
	e := newEnv(t, 1, 2)
	e.mmap(0, 0, 1, pRW)
	e.write(0, 0)
	av1 := e.avAt(0, 0)
	pg := e.wantPTE(0, 0, true)
	c := e.fork(0)
	av2 := e.avAt(c, 0)

	e.write(0, 0)
	npg := e.wantPTE(0, 0, true)
	if npg == pg {
		t.Fatalf("parent's write did not copy")
	}
	e.wantPage(npg, av1, 0, 1)
	e.wantPage(pg, av1, 0, 1)

	e.write(c, 0)
	if got := e.wantPTE(c, 0, true); got != pg {
		t.Errorf("child's write mapped page %d, want page %d reused", got, pg)
	}
	e.wantPage(pg, av2, 0, 1)
	if n := e.usedPages(); n != 2 {
		t.Errorf("%d pages in use, want 2", n)
	}
}

// mprotect never makes a private PTE writable (change_protection() with
// dirty_accountable 0); a write while read-only is SIGSEGV; after mprotect
// back to rw the write fault goes to do_wp_page(), which reuses the page
// (mapcount 1): no copy, same anon_vma. mprotect of the whole VMA does not
// split it, and the second mprotect adds no VM_ACCOUNT (already charged).
//
//	01
//	AA    A: rw, written at 0; mprotect r; write (SIGSEGV); mprotect rw; write
func TestDoWPPageReuseAfterMprotect(t *testing.T) {
	e := newEnv(t, 2, 1)
	e.mmap(0, 0, 2, pRW)
	e.write(0, 0)
	a := e.vmaAt(0, 0)
	av := e.avAt(0, 0)
	pg := e.wantPTE(0, 0, true)

	e.mprotect(0, 0, 2, pR)
	e.wantLayout(0, "AA")
	e.wantVMA(a, 0, 2, 0, fRA)
	e.wantPTE(0, 0, false)
	e.apply(transitions.Op{Kind: transitions.OpWrite, Proc: 0, Start: 0}, transitions.EFAULT)

	e.mprotect(0, 0, 2, pRW)
	e.wantVMA(a, 0, 2, 0, fRW)
	e.wantPTE(0, 0, false)

	e.write(0, 0)
	if got := e.wantPTE(0, 0, true); got != pg {
		t.Errorf("write mapped page %d, want page %d reused", got, pg)
	}
	e.wantPage(pg, av, 0, 1)
	if n := e.usedPages(); n != 1 {
		t.Errorf("%d pages in use, want 1", n)
	}
	e.wantAV(av, avWant{root: av, parent: av, ref: 1, degree: 2, tree: []state.VMAID{a}})
}

// mprotect(PROT_WRITE) of a VMA that was never writable charges it
// (VM_ACCOUNT), so it can no longer merge with an uncharged neighbour.
//
//	01
//	AB    A: r; mprotect [1,2) rw
func TestMprotectAddsAccount(t *testing.T) {
	e := newEnv(t, 2, 1)
	e.mmap(0, 0, 2, pR)
	e.wantVMA(e.vmaAt(0, 0), 0, 2, 0, state.VMRead)
	e.mprotect(0, 1, 2, pRW)
	e.wantLayout(0, "AB")
	e.wantVMA(e.vmaAt(0, 0), 0, 1, 0, state.VMRead)
	e.wantVMA(e.vmaAt(0, 1), 1, 2, 1, fRW)
	// Back to r: the charge stays, so the two still differ.
	e.mprotect(0, 1, 2, pR)
	e.wantLayout(0, "AB")
	e.wantVMA(e.vmaAt(0, 1), 1, 2, 1, fRA)
}

// ---------------------------------------------------------------------------
// __split_vma (mm/mmap.c), section 4.13, through mprotect_fixup

// mprotect of the middle page: vma_merge() finds nothing, so
// split_vma(start, new_below = 1) then split_vma(end, new_below = 0). The
// VMA mprotect works on keeps the middle; each new part is a
// vm_area_dup() copy (same anon_vma) whose chain anon_vma_clone() copies
// exactly, adding one degree each. The upper parts' pgoff is shifted by
// their start. PTEs are untouched but in the changed range.
//
//	0123
//	AAA.    A: rw, written at 0, 1, 2
//	BAC.    mprotect [1,2) r
func TestSplitVMAByMprotect(t *testing.T) {
	e := newEnv(t, 4, 1)
	e.mmap(0, 0, 3, pRW)
	for a := 0; a < 3; a++ {
		e.write(0, a)
	}
	orig := e.vmaAt(0, 0)
	av := e.avAt(0, 0)

	e.mprotect(0, 1, 2, pR)
	e.wantLayout(0, "ABC.")
	lo, mid, hi := e.vmaAt(0, 0), e.vmaAt(0, 1), e.vmaAt(0, 2)
	if mid != orig || lo == orig || hi == orig || lo == hi {
		t.Errorf("VMAs %d %d %d, want the original %d in the middle", lo, mid, hi, orig)
	}
	e.wantVMA(lo, 0, 1, 0, fRW)
	e.wantVMA(mid, 1, 2, 1, fRA)
	e.wantVMA(hi, 2, 3, 2, fRW)
	for _, v := range []state.VMAID{lo, mid, hi} {
		e.wantChain(v, av, av)
	}
	e.wantAV(av, avWant{root: av, parent: av, ref: 1, degree: 4, tree: []state.VMAID{lo, mid, hi}})
	for a, w := range []bool{true, false, true} {
		e.wantPage(e.wantPTE(0, a, w), av, a, 1)
	}
	if n := e.s.MMs[0].MapCount; n != 3 {
		t.Errorf("map_count %d, want 3", n)
	}
}

// ---------------------------------------------------------------------------
// vma_merge / __vma_adjust (mm/mmap.c), section 4.12

// Case 6 (mprotect back): A covers all of the middle VMA and prev and next
// both take it: __vma_adjust(prev, remove_next = 2) removes the middle and
// then next, each through anon_vma_merge() (unlink_anon_vmas: one degree
// less each, the tree keeps prev). The survivor is prev; the PTE made
// read-only stays read-only.
//
//	0123
//	BAC.    as left by TestSplitVMAByMprotect
//	AAA.    mprotect [1,2) rw
func TestVMAMergeCase6MprotectBack(t *testing.T) {
	e := newEnv(t, 4, 1)
	e.mmap(0, 0, 3, pRW)
	for a := 0; a < 3; a++ {
		e.write(0, a)
	}
	av := e.avAt(0, 0)
	e.mprotect(0, 1, 2, pR)
	lo, mid, hi := e.vmaAt(0, 0), e.vmaAt(0, 1), e.vmaAt(0, 2)

	e.mprotect(0, 1, 2, pRW)
	e.wantLayout(0, "AAA.")
	if got := e.vmaAt(0, 1); got != lo {
		t.Errorf("survivor VMA %d, want prev %d", got, lo)
	}
	e.wantVMA(lo, 0, 3, 0, fRW)
	e.wantVMAGone(mid)
	e.wantVMAGone(hi)
	e.wantChain(lo, av, av)
	e.wantAV(av, avWant{root: av, parent: av, ref: 1, degree: 2, tree: []state.VMAID{lo}})
	for a, w := range []bool{true, false, true} {
		e.wantPage(e.wantPTE(0, a, w), av, a, 1)
	}
	if n := e.s.MMs[0].MapCount; n != 1 {
		t.Errorf("map_count %d, want 1", n)
	}
}

// Case 7: A is all of the last VMA and only prev takes it: prev grows over
// it (remove_next = 1), next == NULL afterwards (the highest_vm_end check).
//
//	012
//	AAB    one rw VMA written at 0 and 2; mprotect [2,3) r
//	AAA    mprotect [2,3) rw
func TestVMAMergeCase7(t *testing.T) {
	e := newEnv(t, 3, 1)
	e.mmap(0, 0, 3, pRW)
	e.write(0, 0)
	e.write(0, 2)
	av := e.avAt(0, 0)
	e.mprotect(0, 2, 3, pR)
	e.wantLayout(0, "AAB")
	p, b := e.vmaAt(0, 0), e.vmaAt(0, 2)
	e.wantVMA(b, 2, 3, 2, fRA)

	e.mprotect(0, 2, 3, pRW)
	e.wantLayout(0, "AAA")
	e.wantVMA(p, 0, 3, 0, fRW)
	e.wantVMAGone(b)
	e.wantAV(av, avWant{root: av, parent: av, ref: 1, degree: 2, tree: []state.VMAID{p}})
	e.wantPage(e.wantPTE(0, 2, false), av, 2, 1)
}

// Case 8: A is all of the first VMA and only next takes it: __vma_adjust()
// swaps vma and next (remove_next = 3); next grows down over A with
// pgoff next->vm_pgoff - pglen, and A's VMA is freed.
//
//	012
//	ABB    one rw VMA written at 0 and 2; mprotect [0,1) r
//	BBB    mprotect [0,1) rw
func TestVMAMergeCase8(t *testing.T) {
	e := newEnv(t, 3, 1)
	e.mmap(0, 0, 3, pRW)
	e.write(0, 0)
	e.write(0, 2)
	av := e.avAt(0, 0)
	e.mprotect(0, 0, 1, pR)
	e.wantLayout(0, "ABB")
	a, n := e.vmaAt(0, 0), e.vmaAt(0, 2)

	e.mprotect(0, 0, 1, pRW)
	e.wantLayout(0, "AAA")
	if got := e.vmaAt(0, 0); got != n {
		t.Errorf("survivor VMA %d, want next %d", got, n)
	}
	if e.s.MMs[0].Mmap != n {
		t.Errorf("mm->mmap = VMA %d, want %d", e.s.MMs[0].Mmap, n)
	}
	e.wantVMA(n, 0, 3, 0, fRW)
	e.wantVMAGone(a)
	e.wantAV(av, avWant{root: av, parent: av, ref: 1, degree: 2, tree: []state.VMAID{n}})
	e.wantPage(e.wantPTE(0, 0, false), av, 0, 1)
	e.wantPage(e.wantPTE(0, 2, true), av, 2, 1)
}

// Case 1 by mmap into the gap: vma_merge(anon_vma = NULL) lets prev take
// the new range and next (is_mergeable_anon_vma(NULL, NULL, prev): equal;
// (NULL, avN, next): next's chain is singular; (NULL, avN, NULL)).
// __vma_adjust(prev): next is the exporter and prev, without an
// anon_vma, the importer: prev->anon_vma = avN and anon_vma_clone() copies
// N's chain (degree +1); then anon_vma_merge() unlinks N (degree -1).
//
//	012
//	P.N    P: rw, never written; N: rw, written at 2
//	PPP    mmap [1,2) rw
func TestVMAMergeCase1ImporterTakesAnonVMA(t *testing.T) {
	e := newEnv(t, 3, 1)
	e.mmap(0, 0, 1, pRW)
	e.mmap(0, 2, 3, pRW)
	e.write(0, 2)
	p, n := e.vmaAt(0, 0), e.vmaAt(0, 2)
	avN := e.avAt(0, 2)
	pg := e.wantPTE(0, 2, true)

	e.mmap(0, 1, 2, pRW)
	e.wantLayout(0, "AAA")
	if got := e.vmaAt(0, 1); got != p {
		t.Errorf("survivor VMA %d, want prev %d", got, p)
	}
	e.wantVMA(p, 0, 3, 0, fRW)
	e.wantVMAGone(n)
	e.wantChain(p, avN, avN)
	e.wantAV(avN, avWant{root: avN, parent: avN, ref: 1, degree: 2, tree: []state.VMAID{p}})
	e.wantPage(pg, avN, 2, 1)
}

// Case 2 (and not 1): prev and next have different anon_vmas, so
// is_mergeable_anon_vma(avP, avN, NULL) fails and only prev grows.
//
//	012
//	P.N    P: rw, written at 0; N: rw, written at 2
//	PPN    mmap [1,2) rw
func TestVMAMergeCase2DifferentAnonVMAs(t *testing.T) {
	e := newEnv(t, 3, 1)
	e.mmap(0, 0, 1, pRW)
	e.write(0, 0)
	e.mmap(0, 2, 3, pRW)
	e.write(0, 2)
	p, n := e.vmaAt(0, 0), e.vmaAt(0, 2)
	avP, avN := e.avAt(0, 0), e.avAt(0, 2)
	if avP == avN {
		t.Fatalf("P and N share av%d; the gap should have kept them apart", avP)
	}

	e.mmap(0, 1, 2, pRW)
	e.wantLayout(0, "AAB")
	e.wantVMA(p, 0, 2, 0, fRW)
	e.wantVMA(n, 2, 3, 2, fRW)
	e.wantAV(avP, avWant{root: avP, parent: avP, ref: 1, degree: 2, tree: []state.VMAID{p}})
	e.wantAV(avN, avWant{root: avN, parent: avN, ref: 1, degree: 2, tree: []state.VMAID{n}})
}

// Case 3: no prev; next grows down with pgoff next->vm_pgoff - pglen, so
// its pages keep their index.
//
//	012
//	..N    N: rw, written at 2
//	.NN    mmap [1,2) rw
func TestVMAMergeCase3(t *testing.T) {
	e := newEnv(t, 3, 1)
	e.mmap(0, 2, 3, pRW)
	e.write(0, 2)
	n := e.vmaAt(0, 2)
	avN := e.avAt(0, 2)
	e.mmap(0, 1, 2, pRW)
	e.wantLayout(0, ".AA")
	if got := e.vmaAt(0, 1); got != n {
		t.Errorf("VMA at 1 is %d, want N %d grown down", got, n)
	}
	e.wantVMA(n, 1, 3, 1, fRW)
	e.wantChain(n, avN, avN)
	e.wantPage(e.wantPTE(0, 2, true), avN, 2, 1)
}

// mmap over the start of a written VMA (MAP_FIXED): mmap_region()'s
// do_munmap() splits it and drops the first page; the new range then
// merges with the remainder (case 3: the remainder's chain is singular),
// which grows back down. The anon_vma and the second page survive.
//
//	01
//	AA    A: rw, written at 0 and 1; mmap [0,1) rw
func TestMmapOverWrittenVMA(t *testing.T) {
	e := newEnv(t, 2, 1)
	e.mmap(0, 0, 2, pRW)
	e.write(0, 0)
	e.write(0, 1)
	av := e.avAt(0, 0)
	pg1 := e.wantPTE(0, 1, true)

	e.mmap(0, 0, 1, pRW)
	e.wantLayout(0, "AA")
	a := e.vmaAt(0, 0)
	e.wantVMA(a, 0, 2, 0, fRW)
	e.wantChain(a, av, av)
	e.wantAV(av, avWant{root: av, parent: av, ref: 1, degree: 2, tree: []state.VMAID{a}})
	e.wantNoPTE(0, 0)
	e.wantPage(e.wantPTE(0, 1, true), av, 1, 1)
	if e.wantPTE(0, 1, true) != pg1 || e.usedPages() != 1 {
		t.Errorf("pages: want only the page at 1 left")
	}

	// mmap r over all of it: everything goes, the anon_vma is freed.
	e.mmap(0, 0, 2, pR)
	e.wantLayout(0, "AA")
	e.wantVMA(e.vmaAt(0, 0), 0, 2, 0, state.VMRead)
	e.wantChain(e.vmaAt(0, 0), state.NoAV)
	e.wantAVGone(av)
	if n := e.usedPages(); n != 0 {
		t.Errorf("%d pages in use, want 0", n)
	}
}

// layout4x1 maps [0,4) rw, writes pages 0-2, and mprotects [2,4) to r: two
// VMAs P [0,2) rw and N [2,4) r with the same anon_vma and chain.
func layout4x1(e *env) (p, n state.VMAID, av state.AVID) {
	e.t.Helper()
	e.mmap(0, 0, 4, pRW)
	for a := 0; a < 3; a++ {
		e.write(0, a)
	}
	e.mprotect(0, 2, 4, pR)
	e.wantLayout(0, "AABB")
	p, n, av = e.vmaAt(0, 0), e.vmaAt(0, 2), e.avAt(0, 0)
	e.wantChain(n, av, av)
	return
}

// Case 4: mprotect of the tail of P to N's flags: __vma_adjust(prev,
// end = addr, expand = next) with adjust_next < 0: P shrinks, N grows
// down (start and pgoff by adjust_next). vma_merge returns N, whose flags
// mprotect_fixup then sets (VM_WARN_ON: already equal).
//
//	0123
//	PPNN    P: rw, N: r, one anon_vma (layout4x1)
//	PNNN    mprotect [1,2) r
func TestVMAMergeCase4(t *testing.T) {
	e := newEnv(t, 4, 1)
	p, n, av := layout4x1(e)
	e.mprotect(0, 1, 2, pR)
	e.wantLayout(0, "ABBB")
	e.wantVMA(p, 0, 1, 0, fRW)
	e.wantVMA(n, 1, 4, 1, fRA)
	e.wantAV(av, avWant{root: av, parent: av, ref: 1, degree: 3, tree: []state.VMAID{p, n}})
	e.wantPage(e.wantPTE(0, 0, true), av, 0, 1)
	e.wantPage(e.wantPTE(0, 1, false), av, 1, 1)
	e.wantPage(e.wantPTE(0, 2, false), av, 2, 1)
}

// Case 5: mprotect of the head of N to P's flags: __vma_adjust(prev,
// end, expand = prev) with adjust_next > 0: P grows, N shrinks (start and
// pgoff up).
//
//	0123
//	PPNN    P: rw, N: r, one anon_vma (layout4x1)
//	PPPN    mprotect [2,3) rw
func TestVMAMergeCase5(t *testing.T) {
	e := newEnv(t, 4, 1)
	p, n, av := layout4x1(e)
	e.mprotect(0, 2, 3, pRW)
	e.wantLayout(0, "AAAB")
	e.wantVMA(p, 0, 3, 0, fRW)
	e.wantVMA(n, 3, 4, 3, fRA)
	e.wantAV(av, avWant{root: av, parent: av, ref: 1, degree: 3, tree: []state.VMAID{p, n}})
	// change_protection() on [2,3): the page there stays read-only.
	e.wantPage(e.wantPTE(0, 2, false), av, 2, 1)
}

// Case 4 refused: N has no anon_vma, so can_vma_merge_before(N, avP)
// calls is_mergeable_anon_vma(avP, NULL, N) with N's chain empty, not
// singular: false (the Linux 3.0 quirk Jann Horn described in 2023).
// mprotect_fixup() splits P instead.
//
//	0123
//	PPNN    one rw VMA; mprotect [2,4) r; then write at 0 (only P faults)
//	PANN    mprotect [1,2) r
func TestVMAMergeCase4RefusedTargetWithoutAnonVMA(t *testing.T) {
	e := newEnv(t, 4, 1)
	e.mmap(0, 0, 4, pRW)
	e.mprotect(0, 2, 4, pR)
	e.write(0, 0)
	av := e.avAt(0, 0)
	n := e.vmaAt(0, 2)
	e.wantChain(n, state.NoAV)

	e.mprotect(0, 1, 2, pR)
	e.wantLayout(0, "ABCC")
	e.wantVMA(e.vmaAt(0, 0), 0, 1, 0, fRW)
	e.wantVMA(e.vmaAt(0, 1), 1, 2, 1, fRA)
	e.wantVMA(n, 2, 4, 2, fRA)
	e.wantChain(e.vmaAt(0, 1), av, av)
	e.wantChain(n, state.NoAV)
	e.wantAV(av, avWant{root: av, parent: av, ref: 1, degree: 3, tree: []state.VMAID{e.vmaAt(0, 0), e.vmaAt(0, 1)}})
}

// Case 6 with an importer: A (the changed middle) and P have no anon_vma,
// X has one. __vma_adjust(prev, remove_next = 2): next (A) has no
// anon_vma, so the exporter is the VMA after it; P imports avX with a
// clone of X's chain. A goes without anon_vma_merge(), X with it.
//
//	012
//	PAX    one rw VMA; mprotect [1,2) r; write at 2 (only X faults)
//	PPP    mprotect [1,2) rw
func TestVMAMergeCase6ImportFromAfterNext(t *testing.T) {
	e := newEnv(t, 3, 1)
	e.mmap(0, 0, 3, pRW)
	e.mprotect(0, 1, 2, pR)
	e.wantLayout(0, "ABC")
	e.write(0, 2)
	p, a, x := e.vmaAt(0, 0), e.vmaAt(0, 1), e.vmaAt(0, 2)
	avX := e.avAt(0, 2)
	e.wantChain(a, state.NoAV)
	e.wantChain(p, state.NoAV)

	e.mprotect(0, 1, 2, pRW)
	e.wantLayout(0, "AAA")
	e.wantVMA(p, 0, 3, 0, fRW)
	e.wantVMAGone(a)
	e.wantVMAGone(x)
	e.wantChain(p, avX, avX)
	e.wantAV(avX, avWant{root: avX, parent: avX, ref: 1, degree: 2, tree: []state.VMAID{p}})
	e.wantPage(e.wantPTE(0, 2, true), avX, 2, 1)
}

// A VMA forked from the parent (chain [av2 av1]) takes no merge with a
// new mapping: is_mergeable_anon_vma(NULL, av2, N) needs a singular chain.
// The parent's own VMA (chain [av1]) does merge.
//
//	012
//	.N.    P1: N rw, written at 1; fork; mmap [0,1) rw in both
//	AB.    P2 (child)
//	NN.    P1 (case 3)
func TestVMAMergeRefusedForForkedVMA(t *testing.T) {
	e := newEnv(t, 3, 2)
	e.mmap(0, 1, 2, pRW)
	e.write(0, 1)
	c := e.fork(0)
	e.mmap(c, 0, 1, pRW)
	e.wantLayout(c, "AB.")
	e.mmap(0, 0, 1, pRW)
	e.wantLayout(0, "AA.")
}

// ---------------------------------------------------------------------------
// __do_munmap / unlink_anon_vmas / free_pgtables (mm/mmap.c, mm/rmap.c,
// mm/memory.c), sections 4.7, 4.15

// munmap of the middle: __split_vma(vma, start, 0) keeps [0,1) in the
// original and gives [1,4) to a copy; __split_vma(last, end, 1) cuts
// [1,3) off that copy. The detached [1,3) loses its PTEs (pages freed),
// then unlink_anon_vmas(): the tree still holds the others, so only
// the VMA's degree goes. Unmapping the rest empties the tree: the
// self-parent link and the last VMA's degree go (degree 0, no
// VM_WARN_ON), put_anon_vma() frees it and its slot is released.
//
//	0123
//	AAAA    A: rw, written at 0..3
//	A..B    munmap [1,3)
//	....    munmap [0,4)
func TestMunmapMiddle(t *testing.T) {
	e := newEnv(t, 4, 1)
	e.mmap(0, 0, 4, pRW)
	for a := 0; a < 4; a++ {
		e.write(0, a)
	}
	orig := e.vmaAt(0, 0)
	av := e.avAt(0, 0)

	e.munmap(0, 1, 3)
	e.wantLayout(0, "A..B")
	lo, hi := e.vmaAt(0, 0), e.vmaAt(0, 3)
	if lo != orig {
		t.Errorf("VMA at 0 is %d, want the original %d", lo, orig)
	}
	e.wantVMA(lo, 0, 1, 0, fRW)
	e.wantVMA(hi, 3, 4, 3, fRW)
	e.wantChain(lo, av, av)
	e.wantChain(hi, av, av)
	e.wantAV(av, avWant{root: av, parent: av, ref: 1, degree: 3, tree: []state.VMAID{lo, hi}})
	e.wantNoPTE(0, 1)
	e.wantNoPTE(0, 2)
	e.wantPage(e.wantPTE(0, 0, true), av, 0, 1)
	e.wantPage(e.wantPTE(0, 3, true), av, 3, 1)
	if n := e.usedPages(); n != 2 {
		t.Errorf("%d pages in use, want 2", n)
	}
	if n := e.s.MMs[0].MapCount; n != 2 {
		t.Errorf("map_count %d, want 2", n)
	}

	e.munmap(0, 0, 4)
	e.wantLayout(0, "....")
	e.wantAVGone(av)
	if n := e.usedPages(); n != 0 {
		t.Errorf("%d pages in use, want 0", n)
	}
	if m := e.s.MMs[0]; m.Mmap != state.NoVMA || m.MapCount != 0 {
		t.Errorf("mm: mmap %d map_count %d, want empty", m.Mmap, m.MapCount)
	}
}

// A child's exit: unlink_anon_vmas() walks [av2 av1] newest first. av2's
// tree empties: its parent av1 loses a degree, av2 is kept for the second
// loop; av1's tree still holds the parent VMA. Then the VMA's own av2
// loses its degree (0); put_anon_vma(av2) frees it and drops the root
// reference it held on av1. The parent's PTE stays read-only until it
// writes, which then reuses the page.
//
//	0
//	A     A: rw, written; fork; exit child; parent writes 0
func TestUnlinkAnonVMAsChildExit(t *testing.T) {
	e := newEnv(t, 1, 2)
	e.mmap(0, 0, 1, pRW)
	e.write(0, 0)
	a := e.vmaAt(0, 0)
	av1 := e.avAt(0, 0)
	pg := e.wantPTE(0, 0, true)
	c := e.fork(0)
	av2 := e.avAt(c, 0)

	e.exit(c)
	e.wantAVGone(av2)
	e.wantAV(av1, avWant{root: av1, parent: av1, ref: 1, degree: 2, tree: []state.VMAID{a}})
	e.wantPage(e.wantPTE(0, 0, false), av1, 0, 1)

	e.write(0, 0)
	if got := e.wantPTE(0, 0, true); got != pg {
		t.Errorf("parent's write mapped page %d, want %d reused", got, pg)
	}
	if n := e.usedPages(); n != 1 {
		t.Errorf("%d pages in use, want 1", n)
	}
}

// ---------------------------------------------------------------------------
// exit_mmap (mm/mmap.c), section 4.15

// exit of the only process: unmap_vmas() drops every page, free_pgtables()
// unlinks every VMA (each anon_vma's tree empties; degree 0; put frees
// it), remove_vma() frees the VMAs.
//
//	0123
//	AA.B    A: rw, written at 0 and 1; B: rw, written at 3; exit
func TestExitMmapOnlyProcess(t *testing.T) {
	e := newEnv(t, 4, 1)
	e.mmap(0, 0, 2, pRW)
	e.write(0, 0)
	e.write(0, 1)
	e.mmap(0, 3, 4, pRW)
	e.write(0, 3)
	avs := e.liveAVs()
	if len(avs) != 2 {
		t.Fatalf("live anon_vmas %v, want 2", avs)
	}
	e.exit(0)
	for _, av := range avs {
		e.wantAVGone(av)
	}
	if n := e.usedPages(); n != 0 {
		t.Errorf("%d pages in use, want 0", n)
	}
	for i := range e.s.VMAs {
		if e.s.VMAs[i].MM != 0 {
			t.Errorf("VMA %d still allocated", i+1)
		}
	}
	if e.s.MMs[0].Live != 0 {
		t.Errorf("P1 still live")
	}
}

// exit of the parent while the child lives: P1's VMA leaves av1's tree
// (av1.degree - 1) but av1 stays, with P2's VMA in its tree, its self-link
// and child av2 in its degree (2) and av2's root reference in its refcount
// (2). P2's write then reuses the page (mapcount 1) and moves it to av2.
// When P2 exits too, both go: av2 first (dropping its reference on the
// root), then av1.
//
//	0
//	A     P1: A rw, written; fork; exit P1; P2 writes 0; exit P2
func TestExitMmapParentExitsChildAlive(t *testing.T) {
	e := newEnv(t, 1, 2)
	e.mmap(0, 0, 1, pRW)
	e.write(0, 0)
	av1 := e.avAt(0, 0)
	pg := e.wantPTE(0, 0, true)
	c := e.fork(0)
	a2 := e.vmaAt(c, 0)
	av2 := e.avAt(c, 0)

	e.exit(0)
	e.wantAV(av1, avWant{root: av1, parent: av1, ref: 2, degree: 2, tree: []state.VMAID{a2}})
	e.wantAV(av2, avWant{root: av1, parent: av1, ref: 1, degree: 1, tree: []state.VMAID{a2}})
	e.wantChain(a2, av2, av2, av1)
	e.wantPage(e.wantPTE(c, 0, false), av1, 0, 1)

	e.write(c, 0)
	if got := e.wantPTE(c, 0, true); got != pg {
		t.Errorf("child's write mapped page %d, want %d reused", got, pg)
	}
	e.wantPage(pg, av2, 0, 1)

	e.exit(c)
	e.wantAVGone(av1)
	e.wantAVGone(av2)
	if n := e.usedPages(); n != 0 {
		t.Errorf("%d pages in use, want 0", n)
	}
}

// ---------------------------------------------------------------------------
// madvise_behavior (mm/madvise.c), section 4.17

// MADV_DONTFORK of the middle splits twice (the original VMA keeps the
// middle, VM_DONTCOPY); a fork then copies only the outer parts (the
// middle's PTEs stay writable in the parent); MADV_DOFORK merges the
// three back (case 6) into the lower part.
//
//	0123
//	AAAA    rw, written at 0..3
//	BAAC    MADV_DONTFORK [1,3)
//	A..B    fork: the child
//	AAAA    MADV_DOFORK [1,3) in the parent
func TestMadviseDontForkSplitAndMergeBack(t *testing.T) {
	e := newEnv(t, 4, 2)
	e.mmap(0, 0, 4, pRW)
	for a := 0; a < 4; a++ {
		e.write(0, a)
	}
	orig := e.vmaAt(0, 0)
	av := e.avAt(0, 0)

	e.madvise(0, 1, 3, transitions.MadvDontFork)
	e.wantLayout(0, "ABBC")
	lo, mid, hi := e.vmaAt(0, 0), e.vmaAt(0, 1), e.vmaAt(0, 3)
	if mid != orig {
		t.Errorf("middle VMA %d, want the original %d", mid, orig)
	}
	e.wantVMA(lo, 0, 1, 0, fRW)
	e.wantVMA(mid, 1, 3, 1, fRW|state.VMDontCopy)
	e.wantVMA(hi, 3, 4, 3, fRW)
	for _, v := range []state.VMAID{lo, mid, hi} {
		e.wantChain(v, av, av)
	}
	e.wantAV(av, avWant{root: av, parent: av, ref: 1, degree: 4, tree: []state.VMAID{lo, mid, hi}})

	c := e.fork(0)
	e.wantLayout(c, "A..B")
	clo, chi := e.vmaAt(c, 0), e.vmaAt(c, 3)
	avLo, avHi := e.avAt(c, 0), e.avAt(c, 3)
	e.wantChain(clo, avLo, avLo, av)
	e.wantChain(chi, avHi, avHi, av)
	e.wantAV(av, avWant{root: av, parent: av, ref: 3, degree: 6, tree: []state.VMAID{lo, mid, hi, clo, chi}})
	for a, w := range []bool{false, true, true, false} {
		e.wantPTE(0, a, w)
	}

	e.madvise(0, 1, 3, transitions.MadvDoFork)
	e.wantLayout(0, "AAAA")
	if got := e.vmaAt(0, 2); got != lo {
		t.Errorf("survivor VMA %d, want the lower part %d", got, lo)
	}
	e.wantVMA(lo, 0, 4, 0, fRW)
	e.wantVMAGone(mid)
	e.wantVMAGone(hi)
	e.wantAV(av, avWant{root: av, parent: av, ref: 3, degree: 4, tree: []state.VMAID{lo, clo, chi}})
}

// MADV_WIPEONFORK / MADV_KEEPONFORK of part of a VMA: split, then merge
// back (case 8 here: the changed range is the first VMA).
//
//	012
//	AB.     MADV_WIPEONFORK [0,1) of a 2-page rw VMA written at 0
//	AA.     MADV_KEEPONFORK [0,1)
func TestMadviseWipeOnForkKeepOnFork(t *testing.T) {
	e := newEnv(t, 3, 1)
	e.mmap(0, 0, 2, pRW)
	e.write(0, 0)
	av := e.avAt(0, 0)
	e.madvise(0, 0, 1, transitions.MadvWipeOnFork)
	e.wantLayout(0, "AB.")
	e.wantVMA(e.vmaAt(0, 0), 0, 1, 0, fRW|state.VMWipeOnFork)
	e.wantVMA(e.vmaAt(0, 1), 1, 2, 1, fRW)
	e.madvise(0, 0, 1, transitions.MadvKeepOnFork)
	e.wantLayout(0, "AA.")
	e.wantVMA(e.vmaAt(0, 0), 0, 2, 0, fRW)
	e.wantAV(av, avWant{root: av, parent: av, ref: 1, degree: 2, tree: []state.VMAID{e.vmaAt(0, 0)}})
}

// madvise() skips holes, applies the advice to every mapped piece and
// returns -ENOMEM at the end.
//
//	0123
//	A.B.    madvise [0,4) MADV_DONTFORK = -ENOMEM, both VMAs changed
func TestMadviseHole(t *testing.T) {
	e := newEnv(t, 4, 1)
	e.mmap(0, 0, 1, pRW)
	e.mmap(0, 2, 3, pRW)
	e.apply(transitions.Op{Kind: transitions.OpMadvise, Proc: 0, Start: 0, End: 4, Arg: uint8(transitions.MadvDontFork)}, transitions.ENOMEM)
	e.wantVMA(e.vmaAt(0, 0), 0, 1, 0, fRW|state.VMDontCopy)
	e.wantVMA(e.vmaAt(0, 2), 2, 3, 2, fRW|state.VMDontCopy)
}

// do_mprotect_pkey() over several VMAs calls mprotect_fixup() on each in
// turn with the updated prev: the first piece merges into the one after it
// (case 8), then that VMA, now prev, takes the last piece (case 7).
//
//	012
//	ABC    one rw VMA written at 0..2; mprotect [0,1) r; mprotect [2,3) r
//	AAA    mprotect [0,3) rw
func TestMprotectAcrossVMAs(t *testing.T) {
	e := newEnv(t, 3, 1)
	e.mmap(0, 0, 3, pRW)
	for a := 0; a < 3; a++ {
		e.write(0, a)
	}
	av := e.avAt(0, 0)
	e.mprotect(0, 0, 1, pR)
	e.mprotect(0, 2, 3, pR)
	e.wantLayout(0, "ABC")
	mid := e.vmaAt(0, 1)

	e.mprotect(0, 0, 3, pRW)
	e.wantLayout(0, "AAA")
	if got := e.vmaAt(0, 0); got != mid {
		t.Errorf("survivor VMA %d, want the middle one %d", got, mid)
	}
	e.wantVMA(mid, 0, 3, 0, fRW)
	e.wantAV(av, avWant{root: av, parent: av, ref: 1, degree: 2, tree: []state.VMAID{mid}})
	for a, w := range []bool{false, true, false} {
		e.wantPage(e.wantPTE(0, a, w), av, a, 1)
	}
}

// mprotect does not skip holes: it stops at the first one with -ENOMEM,
// keeping what it changed before it.
//
//	0123
//	AA.B    A, B: rw; mprotect [0,4) r = -ENOMEM: A is r, B still rw
func TestMprotectHole(t *testing.T) {
	e := newEnv(t, 4, 1)
	e.mmap(0, 0, 2, pRW)
	e.mmap(0, 3, 4, pRW)
	e.apply(transitions.Op{Kind: transitions.OpMprotect, Proc: 0, Start: 0, End: 4, Arg: uint8(pR)}, transitions.ENOMEM)
	e.wantLayout(0, "AA.B")
	e.wantVMA(e.vmaAt(0, 0), 0, 2, 0, fRA)
	e.wantVMA(e.vmaAt(0, 3), 3, 4, 3, fRW)
	// A hole at the start changes nothing.
	before := *e.s
	e.apply(transitions.Op{Kind: transitions.OpMprotect, Proc: 0, Start: 2, End: 4, Arg: uint8(pR)}, transitions.ENOMEM)
	if *e.s != before {
		t.Errorf("mprotect starting in a hole changed the state")
	}
}

// munmap across two VMAs with different anon_vmas (B differs from A in
// VM_DONTCOPY, so it did not share A's): __do_munmap() splits the first at
// start and the last at end, detaches the two middle pieces and
// unlink_anon_vmas() each: each anon_vma keeps its other VMA.
//
//	0123
//	AABB    A: rw, written at 0, 1; B: rw MADV_DONTFORK, written at 2, 3
//	A..B    munmap [1,3)
func TestMunmapAcrossVMAs(t *testing.T) {
	e := newEnv(t, 4, 1)
	e.mmap(0, 0, 4, pRW)
	e.madvise(0, 2, 4, transitions.MadvDontFork)
	for a := 0; a < 4; a++ {
		e.write(0, a)
	}
	e.wantLayout(0, "AABB")
	a, b := e.vmaAt(0, 0), e.vmaAt(0, 2)
	avA, avB := e.avAt(0, 0), e.avAt(0, 2)
	if avA == avB {
		t.Fatalf("A and B share av%d", avA)
	}

	e.munmap(0, 1, 3)
	e.wantLayout(0, "A..B")
	if e.vmaAt(0, 0) != a || e.vmaAt(0, 3) != b {
		t.Errorf("VMAs %d, %d left, want the originals %d, %d", e.vmaAt(0, 0), e.vmaAt(0, 3), a, b)
	}
	e.wantVMA(a, 0, 1, 0, fRW)
	e.wantVMA(b, 3, 4, 3, fRW|state.VMDontCopy)
	e.wantAV(avA, avWant{root: avA, parent: avA, ref: 1, degree: 2, tree: []state.VMAID{a}})
	e.wantAV(avB, avWant{root: avB, parent: avB, ref: 1, degree: 2, tree: []state.VMAID{b}})
	if n := e.usedPages(); n != 2 {
		t.Errorf("%d pages in use, want 2", n)
	}
}
