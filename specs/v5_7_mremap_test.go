package specs_test

// Scenario tests of v5.7's mremap() (transitions/v5/mremap.go:
// DoMremapV57, MoveVMAV54's MREMAP_DONTUNMAP branch) on the v5.7 table.

import (
	"testing"

	"anoncheck/specs"
	"anoncheck/transitions"
	"anoncheck/transitions/scenariotest"
)

// newEnv57 drives the v5.7 table (scenariotest.Env).
func newEnv57(t *testing.T, pages int) *scenariotest.Env {
	t.Helper()
	return scenariotest.New(t, specs.V57.Funcs(), specs.V57.CountersKept(), pages, 1)
}

// TestV57DontUnmapKeepsAnonVMA: v5.7's move_vma() with MREMAP_DONTUNMAP
// moves the PTE to the new VMA B and leaves A mapped and empty, but, unlike
// v6.1 and v6.18 (scenariotest.ScenarioDontUnmap), keeps A's anon_vma and
// chain: there is no unlink_anon_vmas() yet. A's next write finds its
// anon_vma already there and uses it.
//
//	0123
//	A...    A: rw, written at 0; mremap [0,1) -> [2,3) MAYMOVE|FIXED|DONTUNMAP
//	A.B.    write 0
func TestV57DontUnmapKeepsAnonVMA(t *testing.T) {
	e := newEnv57(t, 4)
	e.Mmap(0, 0, 1, scenariotest.PRW)
	e.Write(0, 0)
	a, av := e.VMAAt(0, 0), e.AVAt(0, 0)
	pg := e.WantPTE(0, 0, true)
	e.Mremap(0, 0, 1, 2, 3, transitions.MremapMoveKeep, 0)
	e.WantCalled("mremap", "mremap_to", "move_vma", "copy_vma", "move_page_tables")
	if e.Called("unlink_anon_vmas") {
		t.Errorf("v5.7's MREMAP_DONTUNMAP unlinked the old VMA's anon_vmas")
	}
	e.WantLayout(0, "A.B.")
	e.WantVMA(a, 0, 1, 0, scenariotest.FRW)
	e.WantChain(a, av, av)
	e.WantNoPTE(0, 0)
	b := e.VMAAt(0, 2)
	e.WantVMA(b, 2, 3, 0, scenariotest.FRW)
	e.WantChain(b, av, av)
	if got := e.WantPTE(0, 2, true); got != pg {
		t.Errorf("PTE at 2 maps page %d, want page %d", got, pg)
	}
	e.WantPage(pg, av, 0, 1)
	e.Write(0, 0)
	if got := e.AVAt(0, 0); got != av {
		t.Errorf("A's write after MREMAP_DONTUNMAP: anon_vma %s, want A's own %s", got.Name(), av.Name())
	}
}

// TestV57DontUnmapChecks covers the system call's MREMAP_DONTUNMAP checks
// in v5.7: a new length is -EINVAL with nothing changed; from an unmapped
// address mremap_to() first unmaps the new range (MREMAP_FIXED), then
// vma_to_resize() is -EFAULT, so B is gone (v6.1's vma_lookup() would
// refuse before unmapping anything).
//
//	0123
//	A.B.    A, B: rw; mremap [0,1) -> [2,4) MAYMOVE|FIXED|DONTUNMAP = -EINVAL
//	A...    mremap [1,2) -> [2,3) MAYMOVE|FIXED|DONTUNMAP = -EFAULT
func TestV57DontUnmapChecks(t *testing.T) {
	e := newEnv57(t, 4)
	e.Mmap(0, 0, 1, scenariotest.PRW)
	e.Mmap(0, 2, 3, scenariotest.PRW)
	before := *e.S
	e.Mremap(0, 0, 1, 2, 4, transitions.MremapMoveKeep, transitions.EINVAL)
	e.WantUnchanged(before, "MREMAP_DONTUNMAP with a new length")
	e.Mremap(0, 1, 2, 2, 3, transitions.MremapMoveKeep, transitions.EFAULT)
	e.WantCalled("mremap_to")
	e.WantLayout(0, "A...")
}

// TestV57DontUnmapMiddleAccount: a MREMAP_DONTUNMAP move from the middle
// of A counts as a split in v5.7's move_vma() ("split" is dropped only
// when the source merged into the copy), so the "out:" label sets
// VM_ACCOUNT on vma->vm_next, the VMA after the whole of A: the read-only
// C, which had none.
//
//	01234
//	.AAAC   A: rw, written at 2; C: r; mremap [2,3) -> [0,1) MAYMOVE|FIXED|DONTUNMAP
//	ABBBC   (layouts letter VMAs by address) C: r with VM_ACCOUNT
func TestV57DontUnmapMiddleAccount(t *testing.T) {
	e := newEnv57(t, 5)
	e.Mmap(0, 1, 4, scenariotest.PRW)
	e.Mmap(0, 4, 5, scenariotest.PR)
	e.Write(0, 2)
	a, c := e.VMAAt(0, 1), e.VMAAt(0, 4)
	e.Mremap(0, 2, 3, 0, 1, transitions.MremapMoveKeep, 0)
	e.WantLayout(0, "ABBBC")
	e.WantVMA(a, 1, 4, 1, scenariotest.FRW)
	e.WantVMA(c, 4, 5, 4, scenariotest.FRA)
	e.WantNoPTE(0, 2)
	e.WantPTE(0, 0, true)
}

// TestV57DontUnmapMiddleLastNullDeref: the same move when A is the last
// VMA: vma->vm_next is NULL and v5.7 dereferences it. (Dmitry Safonov's
// "mm/mremap: For MREMAP_DONTUNMAP check security_vm_enough_memory_mm()",
// v5.11, stopped concealing VM_ACCOUNT for MREMAP_DONTUNMAP.)
//
//	0123
//	.AAA    A: rw, written at 2; mremap [2,3) -> [0,1) MAYMOVE|FIXED|DONTUNMAP: oops
func TestV57DontUnmapMiddleLastNullDeref(t *testing.T) {
	e := newEnv57(t, 4)
	e.Mmap(0, 1, 4, scenariotest.PRW)
	e.Write(0, 2)
	op := scenariotest.MremapOp(0, 2, 3, 0, 1, transitions.MremapMoveKeep)
	if _, err := e.K.Apply(op, &e.Sc); err != nil {
		t.Fatalf("%s: %v", op, err)
	}
	if got := transitions.Assertion(e.S.Bug); got != transitions.BugNullDeref {
		t.Errorf("%s: bug %v, want %v", op, got, transitions.BugNullDeref)
	}
}

// TestV57DontUnmapMergedBack: an unfaulted A whose middle page moves to
// just below it: copy_vma() merges the new range into A itself (vma_merge()
// with A as next; the source is then that VMA), so with Brian Geffon's fix
// "split" is dropped and nothing past A is touched: no NULL dereference
// although A is the last VMA.
//
//	0123
//	.AAA    A: rw, unfaulted; mremap [2,3) -> [0,1) MAYMOVE|FIXED|DONTUNMAP
//	AAAA
func TestV57DontUnmapMergedBack(t *testing.T) {
	e := newEnv57(t, 4)
	e.Mmap(0, 1, 4, scenariotest.PRW)
	a := e.VMAAt(0, 1)
	e.Mremap(0, 2, 3, 0, 1, transitions.MremapMoveKeep, 0)
	e.WantLayout(0, "AAAA")
	e.WantVMA(a, 0, 4, 0, scenariotest.FRW)
	if e.S.Bug != 0 {
		t.Errorf("bug %v", transitions.Assertion(e.S.Bug))
	}
}
