package v5_test

// Scenario tests of the v5.4 model, one or more per kernel function, in
// four files by kernel source file (rmap, memory, mmap, exit and madvise).
// Each scenario is drawn above its test in the style of tools/testing/vma:
// one column per page slot, a letter per VMA, '.' for a hole. The expected
// values are those of the v5.4 code as transcribed in
// ../shared/reference/kernel-reference.md (section numbers refer to it).
// Every operation is also checked for BUG/WARN (none may fire) and against
// the invariants of checkInvariants (helpers_test.go).

import (
	"slices"
	"testing"

	"anoncheck/state"
	"anoncheck/transitions"
	"anoncheck/transitions/scenariotest"
)

// ---------------------------------------------------------------------------
// __anon_vma_prepare (mm/rmap.c), from do_anonymous_page (mm/memory.c)

// TestAnonVMAPrepareOnWriteFault checks that the first write fault in a VMA
// without an anon_vma runs __anon_vma_prepare(): find_mergeable_anon_vma()
// finds nothing, so anon_vma_alloc() makes one (refcount 1, degree 1
// "reference for first vma", root = parent = itself), and the link adds the
// VMA's degree ("vma reference or self-parent link for new root"): degree
// 2. The page gets page_add_new_anon_rmap(): mapping = vma->anon_vma, index
// = linear_page_index(), mapcount 1; the PTE is writable (VM_WRITE). A read
// fault is not modelled; mmap alone gives no anon_vma.
//
//	0123
//	.AA.    A: rw (pgoff 1); written at 2, then at 1, then at 2 again
func TestAnonVMAPrepareOnWriteFault(t *testing.T) {
	e := newEnv(t, 4, 1)
	e.Mmap(0, 1, 3, pRW)
	e.WantLayout(0, ".AA.")
	a := e.VMAAt(0, 1)
	e.WantVMA(a, 1, 3, 1, fRW)
	e.WantChain(a, state.NoAV)
	if n := len(e.LiveAVs()); n != 0 {
		t.Fatalf("mmap allocated %d anon_vmas, want none", n)
	}

	e.Write(0, 2)
	av := e.AVAt(0, 2)
	e.WantChain(a, av, av)
	e.WantAV(av, avWant{Root: av, Parent: av, Ref: 1, Degree: 2, Tree: []state.VMAID{a}})
	pg := e.WantPTE(0, 2, true)
	e.WantPage(pg, av, 2, 1)

	// anon_vma_prepare() is a no-op once vma->anon_vma is set.
	e.Write(0, 1)
	if got := e.LiveAVs(); !slices.Equal(got, []state.AVID{av}) {
		t.Errorf("live anon_vmas %v after the second fault, want [av%d]", got, av)
	}
	e.WantAV(av, avWant{Root: av, Parent: av, Ref: 1, Degree: 2, Tree: []state.VMAID{a}})
	e.WantPage(e.WantPTE(0, 1, true), av, 1, 1)

	// A write to a page mapped writable takes no fault at all.
	before := *e.S
	e.Write(0, 2)
	if *e.S != before {
		t.Errorf("a write through a writable PTE changed the state")
	}
}

// TestWriteFaultSegv checks that a write to a VMA without VM_WRITE, or to a
// hole, is SIGSEGV from access_error()/bad_area before handle_mm_fault():
// no state change.
//
//	0123
//	A.B.    A: r; B: rw
func TestWriteFaultSegv(t *testing.T) {
	e := newEnv(t, 4, 1)
	e.Mmap(0, 0, 1, pR)
	e.Mmap(0, 2, 3, pRW)
	before := *e.S
	e.Apply(transitions.Op{Kind: transitions.OpWrite, Proc: 0, Start: 0}, transitions.EFAULT)
	e.Apply(transitions.Op{Kind: transitions.OpWrite, Proc: 0, Start: 1}, transitions.EFAULT)
	if *e.S != before {
		t.Errorf("a SIGSEGV write changed the state")
	}
}

// ---------------------------------------------------------------------------
// find_mergeable_anon_vma / reusable_anon_vma / anon_vma_compatible
// (mm/mmap.c), section 4.4

// TestFindMergeableAnonVMA checks that __anon_vma_prepare() of the written
// VMA takes a neighbour's anon_vma when the neighbour is
// anon_vma_compatible() (adjacent, flags equal but for
// VM_READ|VM_WRITE|VM_EXEC|VM_SOFTDIRTY, pgoff continuous) and its chain is
// singular; vm_next is tried before vm_prev. A shared anon_vma gains one
// degree and no reference; the chain is just [av].
func TestFindMergeableAnonVMA(t *testing.T) {
	cases := []struct {
		name   string
		draw   string
		layout string
		setup  func(e *scenariotest.Env) int // builds the layout; returns the process
		target int                           // the page whose write fault prepares the VMA
		from   int                           // page of the neighbour whose anon_vma it gets; -1: a fresh one
	}{
		{
			name:   "next before prev",
			draw:   "PAN  P, N: rwx, written; A: rw -> N's anon_vma",
			layout: "ABC.",
			setup: func(e *scenariotest.Env) int {
				e.Mmap(0, 0, 1, pRWX)
				e.Write(0, 0)
				e.Mmap(0, 2, 3, pRWX)
				e.Write(0, 2)
				e.Mmap(0, 1, 2, pRW)
				return 0
			},
			target: 1, from: 2,
		},
		{
			name:   "prev when next has no anon_vma",
			draw:   "PAN  P: rwx, written; N: rwx, never written; A: rw -> P's",
			layout: "ABC.",
			setup: func(e *scenariotest.Env) int {
				e.Mmap(0, 0, 1, pRWX)
				e.Write(0, 0)
				e.Mmap(0, 2, 3, pRWX)
				e.Mmap(0, 1, 2, pRW)
				return 0
			},
			target: 1, from: 0,
		},
		{
			name:   "prev when next is not adjacent",
			draw:   "PA.N  P: rwx, written; N: rw, written; A: rw -> P's",
			layout: "AB.C",
			setup: func(e *scenariotest.Env) int {
				e.Mmap(0, 0, 1, pRWX)
				e.Write(0, 0)
				e.Mmap(0, 3, 4, pRW)
				e.Write(0, 3)
				e.Mmap(0, 1, 2, pRW)
				return 0
			},
			target: 1, from: 0,
		},
		{
			name:   "read-only neighbour: only VM_WRITE differs",
			draw:   "PA  P: rw, written, then mprotect r; A: rw -> P's",
			layout: "AB..",
			setup: func(e *scenariotest.Env) int {
				e.Mmap(0, 0, 1, pRW)
				e.Write(0, 0)
				e.Mprotect(0, 0, 1, pR)
				e.Mmap(0, 1, 2, pRW)
				return 0
			},
			target: 1, from: 0,
		},
		{
			name:   "VM_DONTCOPY differs",
			draw:   "PA  P: rw, written, MADV_DONTFORK; A: rw -> fresh",
			layout: "AB..",
			setup: func(e *scenariotest.Env) int {
				e.Mmap(0, 0, 1, pRW)
				e.Write(0, 0)
				e.Madvise(0, 0, 1, transitions.MadvDontFork)
				e.Mmap(0, 1, 2, pRW)
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
			setup: func(e *scenariotest.Env) int {
				e.Mmap(0, 0, 1, pRW)
				e.Write(0, 0)
				e.S.VMA(e.VMAAt(0, 0)).Flags &^= state.VMAccount
				e.Mmap(0, 1, 2, pRW)
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
			setup: func(e *scenariotest.Env) int {
				e.Mmap(0, 1, 2, pRW)
				e.Write(0, 1)
				c := e.Fork(0)
				e.Mmap(c, 0, 1, pRW)
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
			e.WantLayout(p, tc.layout)
			a := e.VMAAt(p, tc.target)
			if e.S.VMA(a).AnonVMA != state.NoAV {
				t.Fatalf("target VMA has an anon_vma before the fault")
			}
			before := e.LiveAVs()
			var want state.AVID
			var wantDegree uint8
			var wantTree []state.VMAID
			if tc.from >= 0 {
				n := e.VMAAt(p, tc.from)
				want = e.S.VMA(n).AnonVMA
				wantDegree = e.S.AV(want).Degree + 1
				wantTree = []state.VMAID{n, a}
			}
			e.Write(p, tc.target)
			got := e.S.VMA(a).AnonVMA
			if tc.from >= 0 {
				if got != want {
					t.Fatalf("anon_vma av%d, want the neighbour's av%d", got, want)
				}
				e.WantChain(a, want, want)
				e.WantAV(want, avWant{Root: want, Parent: want, Ref: 1, Degree: wantDegree, Tree: wantTree})
				if after := e.LiveAVs(); !slices.Equal(after, before) {
					t.Errorf("live anon_vmas %v, want %v: nothing allocated", after, before)
				}
			} else {
				if slices.Contains(before, got) {
					t.Fatalf("anon_vma av%d was reused, want a fresh one", got)
				}
				e.WantChain(a, got, got)
				e.WantAV(got, avWant{Root: got, Parent: got, Ref: 1, Degree: 2, Tree: []state.VMAID{a}})
			}
			e.WantPage(e.WantPTE(p, tc.target, true), got, tc.target, 1)
		})
	}
}

// ---------------------------------------------------------------------------
// anon_vma_fork / anon_vma_clone (mm/rmap.c), dup_mmap (kernel/fork.c),
// sections 4.5, 4.6, 4.9

// TestAnonVMAForkChain covers the fork of a VMA with an anon_vma:
// anon_vma_clone() links the child VMA to each anon_vma of the parent VMA's
// chain, oldest first (so the order is kept), and reuses none (the parent's
// own anon_vma is excluded, and a root has degree >= 2); anon_vma_fork()
// then allocates the child's anon_vma: parent = pvma->anon_vma, root = its
// root, which get_anon_vma() pins; it goes at the head of the child's chain
// and the parent's degree grows by one. The child's anon_vma keeps the
// degree 1 of anon_vma_alloc() for the child VMA. Forking the child again
// makes a third level.
//
//	01
//	AA    P1: A rw, written at 0; fork P1 -> P2; fork P2 -> P3
func TestAnonVMAForkChain(t *testing.T) {
	e := newEnv(t, 2, 3)
	e.Mmap(0, 0, 2, pRW)
	e.Write(0, 0)
	a1 := e.VMAAt(0, 0)
	av1 := e.AVAt(0, 0)
	pg := e.WantPTE(0, 0, true)

	c2 := e.Fork(0)
	if c2 != 1 {
		t.Fatalf("child slot %d, want 1 (lowest free)", c2)
	}
	e.WantLayout(c2, "AA")
	a2 := e.VMAAt(c2, 0)
	e.WantVMA(a2, 0, 2, 0, fRW)
	av2 := e.S.VMA(a2).AnonVMA
	if av2 == av1 || av2 == state.NoAV {
		t.Fatalf("child VMA's anon_vma av%d, want a new one", av2)
	}
	e.WantChain(a2, av2, av2, av1)
	e.WantChain(a1, av1, av1) // the parent's chain is not touched
	e.WantAV(av2, avWant{Root: av1, Parent: av1, Ref: 1, Degree: 1, Tree: []state.VMAID{a2}})
	e.WantAV(av1, avWant{Root: av1, Parent: av1, Ref: 2, Degree: 3, Tree: []state.VMAID{a1, a2}})
	e.WantPage(pg, av1, 0, 2)

	c3 := e.Fork(c2)
	a3 := e.VMAAt(c3, 0)
	av3 := e.S.VMA(a3).AnonVMA
	if av3 == av1 || av3 == av2 || av3 == state.NoAV {
		t.Fatalf("grandchild VMA's anon_vma av%d, want a new one", av3)
	}
	e.WantChain(a3, av3, av3, av2, av1)
	e.WantAV(av3, avWant{Root: av1, Parent: av2, Ref: 1, Degree: 1, Tree: []state.VMAID{a3}})
	e.WantAV(av2, avWant{Root: av1, Parent: av1, Ref: 1, Degree: 2, Tree: []state.VMAID{a2, a3}})
	e.WantAV(av1, avWant{Root: av1, Parent: av1, Ref: 3, Degree: 3, Tree: []state.VMAID{a1, a2, a3}})
	e.WantPage(pg, av1, 0, 3)
}

// TestAnonVMAForkUnfaultedVMA checks that anon_vma_fork() of a parent VMA
// without an anon_vma does nothing: the child VMA keeps the NULL anon_vma
// vm_area_dup() copied and an empty chain, and copy_page_range() copies
// nothing for it.
//
//	0123
//	AA.B    A: rw, never written; B: rw, written at 3; fork
func TestAnonVMAForkUnfaultedVMA(t *testing.T) {
	e := newEnv(t, 4, 2)
	e.Mmap(0, 0, 2, pRW)
	e.Mmap(0, 3, 4, pRW)
	e.Write(0, 3)
	avB := e.AVAt(0, 3)
	c := e.Fork(0)
	e.WantLayout(c, "AA.B")
	e.WantChain(e.VMAAt(c, 0), state.NoAV)
	if got := e.Chain(e.VMAAt(c, 3)); len(got) != 2 || got[1] != avB {
		t.Errorf("child B chain %v, want [new av%d]", got, avB)
	}
	e.WantNoPTE(c, 0)
	e.WantNoPTE(c, 1)
	if len(e.LiveAVs()) != 2 {
		t.Errorf("live anon_vmas %v, want B's and the child B's", e.LiveAVs())
	}
}

// TestAnonVMACloneRootNotReused checks that the root is never reused by
// anon_vma_clone(): it keeps its self-parent link and a child. P1 forks P2
// and exits: P1's anon_vma av1 stays (P2's VMA is in its tree, av2 pins it)
// with degree 2 (self-link + av2), no VMA of its own. When P2 forks P3,
// anon_vma_clone() walks [av1 av2] oldest first: av1 has degree 2 (not <
// 2), av2 is src->anon_vma. So no reuse: P3 gets a new av3 (parent av2,
// root av1), and av1's degree is unchanged while its refcount grows to 3.
//
//	0
//	A     P1: A rw, written; fork P1 -> P2; exit P1; fork P2 -> P3 (slot of P1)
func TestAnonVMACloneRootNotReused(t *testing.T) {
	e := newEnv(t, 1, 2)
	e.Mmap(0, 0, 1, pRW)
	e.Write(0, 0)
	av1 := e.AVAt(0, 0)
	pg := e.WantPTE(0, 0, true)
	c2 := e.Fork(0)
	a2 := e.VMAAt(c2, 0)
	av2 := e.AVAt(c2, 0)

	e.Exit(0)
	e.WantAV(av1, avWant{Root: av1, Parent: av1, Ref: 2, Degree: 2, Tree: []state.VMAID{a2}})
	e.WantAV(av2, avWant{Root: av1, Parent: av1, Ref: 1, Degree: 1, Tree: []state.VMAID{a2}})
	e.WantPage(pg, av1, 0, 1)
	e.WantPTE(c2, 0, false)

	c3 := e.Fork(c2)
	if c3 != 0 {
		t.Fatalf("P3 in slot %d, want 0 (P1's, now free)", c3)
	}
	a3 := e.VMAAt(c3, 0)
	av3 := e.AVAt(c3, 0)
	if av3 == av1 || av3 == av2 {
		t.Fatalf("P3's VMA reused av%d, want a new anon_vma", av3)
	}
	e.WantChain(a3, av3, av3, av2, av1)
	e.WantAV(av3, avWant{Root: av1, Parent: av2, Ref: 1, Degree: 1, Tree: []state.VMAID{a3}})
	e.WantAV(av2, avWant{Root: av1, Parent: av1, Ref: 1, Degree: 2, Tree: []state.VMAID{a2, a3}})
	e.WantAV(av1, avWant{Root: av1, Parent: av1, Ref: 3, Degree: 2, Tree: []state.VMAID{a2, a3}})
	e.WantPage(pg, av1, 0, 2)
}

// TestAnonVMACloneReusesAbandonedAnonVMA checks that anon_vma_clone()
// reuses an anon_vma of degree < 2 that is not src->anon_vma: "no vma and
// only one anon_vma child". P1 -> P2 -> P3; P2 exits, so P2's av2 keeps
// only its child av3 (degree 1, tree {P3's VMA}). P3 forks P4: the clone
// walks [av1 av2 av3]; av1 has degree 3, av2 has degree 1 and is not P3's
// own av3, so P4's VMA takes av2 as its anon_vma (degree 2) while its chain
// is a full copy [av3 av2 av1] and no anon_vma is allocated: the child's
// anon_vma is not the head of its chain. A COW fault in P4 then puts the
// new page in av2.
//
//	0
//	A     P1: A rw, written; P1 -> P2 -> P3; exit P2; P3 -> P4; P4 writes 0
func TestAnonVMACloneReusesAbandonedAnonVMA(t *testing.T) {
	e := newEnv(t, 1, 3)
	e.Mmap(0, 0, 1, pRW)
	e.Write(0, 0)
	a1 := e.VMAAt(0, 0)
	av1 := e.AVAt(0, 0)
	pg := e.WantPTE(0, 0, true)
	c2 := e.Fork(0)
	av2 := e.AVAt(c2, 0)
	c3 := e.Fork(c2)
	a3 := e.VMAAt(c3, 0)
	av3 := e.AVAt(c3, 0)
	e.WantChain(a3, av3, av3, av2, av1)

	e.Exit(c2)
	e.WantAV(av2, avWant{Root: av1, Parent: av1, Ref: 1, Degree: 1, Tree: []state.VMAID{a3}})
	e.WantAV(av1, avWant{Root: av1, Parent: av1, Ref: 3, Degree: 3, Tree: []state.VMAID{a1, a3}})

	liveBefore := e.LiveAVs()
	c4 := e.Fork(c3)
	if c4 != c2 {
		t.Fatalf("P4 in slot %d, want %d (P2's)", c4, c2)
	}
	a4 := e.VMAAt(c4, 0)
	e.WantChain(a4, av2, av3, av2, av1)
	if got := e.LiveAVs(); !slices.Equal(got, liveBefore) {
		t.Errorf("live anon_vmas %v, want %v: the fork reused one", got, liveBefore)
	}
	e.WantAV(av2, avWant{Root: av1, Parent: av1, Ref: 1, Degree: 2, Tree: []state.VMAID{a3, a4}})
	e.WantAV(av3, avWant{Root: av1, Parent: av2, Ref: 1, Degree: 1, Tree: []state.VMAID{a3, a4}})
	e.WantAV(av1, avWant{Root: av1, Parent: av1, Ref: 3, Degree: 3, Tree: []state.VMAID{a1, a3, a4}})
	e.WantPage(pg, av1, 0, 3)

	e.Write(c4, 0)
	npg := e.WantPTE(c4, 0, true)
	if npg == pg {
		t.Fatalf("P4's write reused the shared page")
	}
	e.WantPage(npg, av2, 0, 1)
	e.WantPage(pg, av1, 0, 2)
}

// TestDupMmapDontCopy checks that dup_mmap() skips VM_DONTCOPY VMAs: the
// child has no copy, the parent's PTEs there are not write-protected, the
// anon_vma is untouched.
//
//	012
//	A.B    A: rw, written at 0, MADV_DONTFORK; B: rw, written at 2; fork
func TestDupMmapDontCopy(t *testing.T) {
	e := newEnv(t, 3, 2)
	e.Mmap(0, 0, 1, pRW)
	e.Write(0, 0)
	e.Madvise(0, 0, 1, transitions.MadvDontFork)
	e.Mmap(0, 2, 3, pRW)
	e.Write(0, 2)
	a := e.VMAAt(0, 0)
	b := e.VMAAt(0, 2)
	avA, avB := e.AVAt(0, 0), e.AVAt(0, 2)
	e.WantVMA(a, 0, 1, 0, fRW|state.VMDontCopy)

	c := e.Fork(0)
	e.WantLayout(c, "..A")
	if n := e.S.MMs[c].MapCount; n != 1 {
		t.Errorf("child map_count %d, want 1", n)
	}
	e.WantNoPTE(c, 0)
	pgA := e.WantPTE(0, 0, true)
	e.WantPage(pgA, avA, 0, 1)
	e.WantAV(avA, avWant{Root: avA, Parent: avA, Ref: 1, Degree: 2, Tree: []state.VMAID{a}})

	cb := e.VMAAt(c, 2)
	e.WantVMA(cb, 2, 3, 2, fRW)
	if ch := e.Chain(cb); len(ch) != 2 || ch[1] != avB {
		t.Errorf("child B chain %v, want [new av%d]", ch, avB)
	}
	e.WantAV(avB, avWant{Root: avB, Parent: avB, Ref: 2, Degree: 3, Tree: []state.VMAID{b, cb}})
	pgB := e.WantPTE(0, 2, false)
	if e.WantPTE(c, 2, false) != pgB {
		t.Errorf("child maps another page at 2")
	}
	e.WantPage(pgB, avB, 2, 2)
}

// TestDupMmapWipeOnFork covers dup_mmap() and VM_WIPEONFORK (v5.4):
// tmp->anon_vma = NULL and anon_vma_prepare(tmp) instead of
// anon_vma_fork(), and no copy_page_range(). The child VMA keeps
// VM_WIPEONFORK, is not linked to the parent's anon_vma and has no PTEs;
// the parent's PTEs stay writable. v5.4 prepares even when the parent VMA
// has no anon_vma (later kernels leave it to the first fault).
//
//	0123
//	AA.B    A: rw, written at 0; B: rw, never written; both MADV_WIPEONFORK
func TestDupMmapWipeOnFork(t *testing.T) {
	e := newEnv(t, 4, 2)
	e.Mmap(0, 0, 2, pRW)
	e.Write(0, 0)
	e.Mmap(0, 3, 4, pRW)
	e.Madvise(0, 0, 2, transitions.MadvWipeOnFork)
	e.Madvise(0, 3, 4, transitions.MadvWipeOnFork)
	e.WantLayout(0, "AA.B")
	a := e.VMAAt(0, 0)
	avA := e.AVAt(0, 0)
	pg := e.WantPTE(0, 0, true)

	c := e.Fork(0)
	e.WantLayout(c, "AA.B")
	ca, cb := e.VMAAt(c, 0), e.VMAAt(c, 3)
	e.WantVMA(ca, 0, 2, 0, fRW|state.VMWipeOnFork)
	e.WantVMA(cb, 3, 4, 3, fRW|state.VMWipeOnFork)
	for _, v := range []state.VMAID{ca, cb} {
		av := e.S.VMA(v).AnonVMA
		if av == state.NoAV || av == avA {
			t.Errorf("child VMA %d: anon_vma av%d, want a fresh one", v, av)
			continue
		}
		e.WantChain(v, av, av)
		e.WantAV(av, avWant{Root: av, Parent: av, Ref: 1, Degree: 2, Tree: []state.VMAID{v}})
	}
	e.WantNoPTE(c, 0)
	e.WantPTE(0, 0, true)
	e.WantPage(pg, avA, 0, 1)
	e.WantAV(avA, avWant{Root: avA, Parent: avA, Ref: 1, Degree: 2, Tree: []state.VMAID{a}})

	// The child's first write gets a fresh zeroed page in its own anon_vma.
	e.Write(c, 0)
	npg := e.WantPTE(c, 0, true)
	if npg == pg {
		t.Fatalf("child maps the parent's page")
	}
	e.WantPage(npg, e.S.VMA(ca).AnonVMA, 0, 1)
}

// TestDupMmapWipeOnForkSharesParentNeighbour covers VM_WIPEONFORK in v5.4,
// section 4.4 [inferred]: anon_vma_prepare(tmp) runs while
// tmp->vm_next/vm_prev are still the parent's (vm_area_dup copied them;
// dup_mmap resets them only afterwards), so find_mergeable_anon_vma() looks
// at the PARENT's neighbours. The child's A' thus shares the parent B's
// anon_vma, chain [avB]; the child's B' finds the parent's A without an
// anon_vma and gets a fresh one.
//
//	01
//	AB    A: rw, B: rwx (two VMAs), both MADV_WIPEONFORK; B written at 1; fork
func TestDupMmapWipeOnForkSharesParentNeighbour(t *testing.T) {
	e := newEnv(t, 2, 2)
	e.Mmap(0, 0, 1, pRW)
	e.Mmap(0, 1, 2, pRWX)
	e.Madvise(0, 0, 2, transitions.MadvWipeOnFork)
	e.WantLayout(0, "AB")
	e.Write(0, 1)
	b := e.VMAAt(0, 1)
	avB := e.AVAt(0, 1)
	e.WantChain(e.VMAAt(0, 0), state.NoAV)

	c := e.Fork(0)
	e.WantLayout(c, "AB")
	ca, cb := e.VMAAt(c, 0), e.VMAAt(c, 1)
	e.WantChain(ca, avB, avB)
	e.WantAV(avB, avWant{Root: avB, Parent: avB, Ref: 1, Degree: 3, Tree: []state.VMAID{b, ca}})
	avCB := e.S.VMA(cb).AnonVMA
	if avCB == state.NoAV || avCB == avB {
		t.Fatalf("child B': anon_vma av%d, want a fresh one", avCB)
	}
	e.WantChain(cb, avCB, avCB)
	e.WantAV(avCB, avWant{Root: avCB, Parent: avCB, Ref: 1, Degree: 2, Tree: []state.VMAID{cb}})
	e.WantNoPTE(c, 1)
	e.WantPTE(0, 1, true)
}
