package traces_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"anoncheck/specs"
	"anoncheck/traces"
	"anoncheck/transitions"
)

// optInScope is a scope with the opt-in operations on: mremap and
// madvise(MADV_DONTNEED).
func optInScope(pages, procs int) transitions.Scope {
	sc := transitions.DefaultScope()
	sc.Pages, sc.Procs = pages, procs
	sc.Ops = transitions.DefaultOps | 1<<transitions.OpMremap
	sc.Advices = append(transitions.ForkAdvices(), transitions.MadvDontNeed)
	return sc
}

// optInOps is a trace with every opt-in call: MADV_DONTNEED of a written
// page, a growing move, a shrink and a growth in place, MREMAP_DONTUNMAP
// in a fork child, and a move of two VMAs at once (remap_move()).
//
//	012345
//	AA....   rw, written at 0 and 1; MADV_DONTNEED [1,2)
//	..BBB.   mremap [0,2) -> [2,5) MAYMOVE|FIXED; write 4
//	..B...   mremap [2,5) -> [2,3); mremap [2,3) -> [2,4)
//	..BB..   fork; P2: mremap [2,3) -> [0,1) DONTUNMAP; P2 writes 2
//	         P1: mprotect [3,4) r; mremap [2,4) -> [4,6) MAYMOVE|FIXED
func optInOps() []transitions.Op {
	rw, r := uint8(transitions.ProtRead|transitions.ProtWrite), uint8(transitions.ProtRead)
	remap := func(p, a, b, to, te uint8, fl transitions.MremapFlags) transitions.Op {
		return transitions.Op{Kind: transitions.OpMremap, Proc: p, Start: a, End: b, To: to, ToEnd: te, Arg: uint8(fl)}
	}
	return []transitions.Op{
		{Kind: transitions.OpMmap, Start: 0, End: 2, Arg: rw},
		{Kind: transitions.OpWrite, Start: 0},
		{Kind: transitions.OpWrite, Start: 1},
		{Kind: transitions.OpMadvise, Start: 1, End: 2, Arg: uint8(transitions.MadvDontNeed)},
		remap(0, 0, 2, 2, 5, transitions.MremapMove),
		{Kind: transitions.OpWrite, Start: 4},
		remap(0, 2, 5, 2, 3, 0),
		remap(0, 2, 3, 2, 4, 0),
		{Kind: transitions.OpFork},
		remap(1, 2, 3, 0, 1, transitions.MremapMoveKeep),
		{Kind: transitions.OpWrite, Proc: 1, Start: 2},
		{Kind: transitions.OpMprotect, Start: 3, End: 4, Arg: r},
		remap(0, 2, 4, 4, 6, transitions.MremapMove),
	}
}

// The trace with every opt-in call survives the trip through a trace file:
// the file names the opt-in scope and each mremap's new range and flags,
// and replaying the decoded file gives the same steps, results and states.
// (File.Check is for violating traces; this one violates nothing.)
func TestOptInJSONRoundTrip(t *testing.T) {
	sc := optInScope(6, 2)
	p, err := specs.LookupProperty("rmap-reachable")
	if err != nil {
		t.Fatal(err)
	}
	tr, err := traces.Replay(specs.V618, sc, p, optInOps(), nil)
	if err != nil {
		t.Fatal(err)
	}
	data, err := traces.EncodeJSON(tr)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"ops": "+mremap"`, `"advices": "+dontneed"`, `"advice": "MADV_DONTNEED"`,
		`"to": 2`, `"to_end": 5`, `"flags": "MREMAP_MAYMOVE|MREMAP_FIXED|MREMAP_DONTUNMAP"`, `"flags": "0"`} {
		if !strings.Contains(string(data), want) {
			t.Errorf("trace file lacks %s:\n%s", want, data)
		}
	}
	f, err := traces.DecodeJSON(data)
	if err != nil {
		t.Fatal(err)
	}
	fsc, err := f.ScopeValue()
	if err != nil {
		t.Fatal(err)
	}
	ops, setup, err := f.Ops()
	if err != nil {
		t.Fatal(err)
	}
	back, err := traces.Replay(specs.V618, fsc, p, ops, setup)
	if err != nil {
		t.Fatal(err)
	}

	if len(back.Steps) != len(tr.Steps) {
		t.Fatalf("replayed %d steps, want %d", len(back.Steps), len(tr.Steps))
	}
	for i := range tr.Steps {
		if back.Steps[i].Op != tr.Steps[i].Op || back.Steps[i].Errno != tr.Steps[i].Errno || back.Steps[i].After != tr.Steps[i].After {
			t.Errorf("step %d: replayed %s = %d, want %s = %d (or the state differs)", i+1,
				back.Steps[i].Op, back.Steps[i].Errno, tr.Steps[i].Op, tr.Steps[i].Errno)
		}
	}
	if got := tr.Steps[len(tr.Steps)-1].Op.String(); got != "mremap(P1, [2,4) -> [4,6), MREMAP_MAYMOVE|MREMAP_FIXED)" {
		t.Errorf("last step renders as %q", got)
	}
}

// The trace with every opt-in call, compiled with -Wall -Werror and run on
// this kernel, returns and lays out every step as the v6.18 model
// predicts. Skipped before Linux 6.18.
func TestReproOptIn(t *testing.T) {
	gcc := reproNeedGCC(t)
	if !reproKernelAtLeast(t, 6, 18) {
		t.Skip("the v6.18 model stands for Linux 6.18 and later here")
	}
	p, err := specs.LookupProperty("rmap-reachable")
	if err != nil {
		t.Fatal(err)
	}
	tr, err := traces.Replay(specs.V618, optInScope(6, 2), p, optInOps(), nil)
	if err != nil {
		t.Fatal(err)
	}
	out := reproRequireClean(t, gcc, tr, "optin")
	if !strings.Contains(out, " ran as "+specs.V618.Name+" predicts") {
		t.Fatalf("no verdict line:\n%s", out)
	}
}

// Random traces with mremap and MADV_DONTNEED among every other
// operation, over four pages and three processes, run on this kernel as
// the v6.18 model predicts. Skipped with -short and before Linux 6.18.
func TestReproOptInRandomTraces(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles and runs ten programs")
	}
	gcc := reproNeedGCC(t)
	if !reproKernelAtLeast(t, 6, 18) {
		t.Skip("the v6.18 model stands for Linux 6.18 and later here")
	}
	sc := optInScope(4, 3)
	sc.Prots = []transitions.Prot{0, transitions.ProtRead, transitions.ProtRead | transitions.ProtWrite}
	p, err := specs.LookupProperty("rmap-reachable")
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(2026, 16))
	remaps := 0
	for i := 0; i < 10; i++ {
		ops := reproRandomOps(t, rng, specs.V618, sc, 30)
		for _, op := range ops {
			if op.Kind == transitions.OpMremap {
				remaps++
			}
		}
		tr, err := traces.Replay(specs.V618, sc, p, ops, nil)
		if err != nil {
			t.Fatal(err)
		}
		name := fmt.Sprintf("optin%d", i)
		if out := reproRequireClean(t, gcc, tr, name); !strings.Contains(out, " ran as "+specs.V618.Name+" predicts") {
			t.Fatalf("%s: no verdict line:\n%s", name, out)
		}
	}
	if remaps == 0 {
		t.Errorf("no mremap in ten random traces")
	}
}
