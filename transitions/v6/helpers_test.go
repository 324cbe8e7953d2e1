package v6_test

// Scenario tests of the v6.18 model, one or more per kernel function, in
// files by kernel source file (vma_merge: the merge code of mm/vma.c;
// vma_munmap: split, munmap, mmap and exit; rmap_memory: mm/rmap.c,
// mm/memory.c, kernel/fork.c, mm/mprotect.c, mm/madvise.c). Each scenario
// is drawn above its test in the style of tools/testing/vma: one column per
// page slot, a letter per VMA, '.' for a hole. The expected values are
// worked out from the v6.18 source the functions' doc comments cite, not
// taken from the model. Every operation is also checked for BUG/WARN (none
// may fire) and against the invariants scenariotest.Env checks, with
// num_children and num_active_vmas for counters.

import (
	"testing"

	"anoncheck/transitions"
	"anoncheck/transitions/scenariotest"
	v6 "anoncheck/transitions/v6"
)

// Protections and flags the scenarios use (scenariotest has their notes).
const (
	pR   = scenariotest.PR
	pRW  = scenariotest.PRW
	pRWX = scenariotest.PRWX
	fRW  = scenariotest.FRW
	fRWX = scenariotest.FRWX
	fRA  = scenariotest.FRA
)

type avWant = scenariotest.AVWant

// newEnv drives the v6.18 model (scenariotest.Env).
func newEnv(t *testing.T, pages, procs int) *scenariotest.Env {
	t.Helper()
	return scenariotest.New(t, v6.V618(), transitions.CountChildrenActive, pages, procs)
}
