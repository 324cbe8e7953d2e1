package traces_test

import (
	"io"
	"strings"
	"testing"

	"anoncheck/specs"
	"anoncheck/traces"
	"anoncheck/transitions"
)

func sc() transitions.Scope {
	s := transitions.DefaultScope()
	s.Procs = 3
	return s
}

var rw = uint8(transitions.ProtRead | transitions.ProtWrite)

// render replays ops under v and renders the trace with write.
func render(t *testing.T, write func(io.Writer, *traces.Trace) error, v *specs.Variant, sc transitions.Scope, p *specs.Property,
	ops []transitions.Op, setup []bool) (*traces.Trace, string) {
	t.Helper()
	tr, err := traces.Replay(v, sc, p, ops, setup)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := write(&b, tr); err != nil {
		t.Fatal(err)
	}
	return tr, b.String()
}

// 01
// AA   P1: written at 0, then fork
// BB   P2: the child, linked to av1 through av2's chain
func TestReplayForkTrace(t *testing.T) {
	ops := []transitions.Op{
		{Kind: transitions.OpMmap, Proc: 0, Start: 0, End: 2, Arg: rw},
		{Kind: transitions.OpWrite, Proc: 0, Start: 0},
		{Kind: transitions.OpFork, Proc: 0},
	}
	tr, out := render(t, traces.WriteText, specs.V54, sc(), nil, ops, []bool{true, true, false})
	if tr.Depth() != 1 {
		t.Fatalf("depth %d, want 1", tr.Depth())
	}
	for _, want := range []string{
		"setup (builds the initial layout):",
		"s1.  mmap(P1, [0,2), rw)",
		"operations:",
		"1.   fork(P1) -> P2",
		"dup_mmap",
		"anon_vma_fork",
		"anon_vma_clone",
		"P1  AA  ptes 0:pg1/ro",
		"* P2  BB  ptes 0:pg1/ro",
		"B [0,2) rw- account anon_vma=av2 chain=[av2 av1]",
		"av1 root=av1 parent=av1 refcount=2 degree=3 tree={A,B}",
		"av2 root=av1 parent=av1 refcount=1 degree=1 tree={B}",
		"pg1 mapping=av1 index=0 mapcount=2",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("trace lacks %q:\n%s", want, out)
		}
	}
}

// 0
// A    P1: written at 0, forks P2, which forks P3; then P1 exits
// B    P2
// C    P3
//
// Objects keep their names from step to step: after P1 exits, the root is
// still av1 and P2's VMA still B, and the lines of what the exit did not
// touch (B, C, av2, av3) are not marked. Named by the canonical form of each
// state instead, the survivors would be renumbered from av1 and A, and
// every line would read as changed.
func TestTraceNamesAreStable(t *testing.T) {
	ops := []transitions.Op{
		{Kind: transitions.OpMmap, Proc: 0, Start: 0, End: 1, Arg: rw},
		{Kind: transitions.OpWrite, Proc: 0, Start: 0},
		{Kind: transitions.OpFork, Proc: 0},
		{Kind: transitions.OpFork, Proc: 1},
		{Kind: transitions.OpExit, Proc: 0},
	}
	_, out := render(t, traces.WriteText, specs.V54, sc(), nil, ops, []bool{true, true, false, false, false})
	exit := out[strings.Index(out, "3.   exit(P1)"):]
	for _, want := range []string{
		"\n         P2  B  ptes 0:pg1/ro\n",
		"\n             B [0,1) rw- account anon_vma=av2 chain=[av2 av1]\n",
		"\n             C [0,1) rw- account anon_vma=av3 chain=[av3 av2 av1]\n",
		"\n       * av1 root=av1 parent=av1 refcount=3 degree=2 tree={B,C}\n",
		"\n         av2 root=av1 parent=av1 refcount=1 degree=2 tree={B,C}\n",
		"\n         av3 root=av1 parent=av2 refcount=1 degree=1 tree={C}\n",
		"\n       - gone: P1, A\n",
	} {
		if !strings.Contains(exit, want) {
			t.Errorf("after exit(P1) the trace lacks %q:\n%s", want, exit)
		}
	}
	if strings.Contains(exit, "P1 ") || strings.Contains(exit, " A [") {
		t.Errorf("P1 and its VMA A should be gone after exit(P1):\n%s", exit)
	}
}

func TestReplayRejectsImpossibleStep(t *testing.T) {
	ops := []transitions.Op{
		{Kind: transitions.OpMmap, Proc: 0, Start: 0, End: 1, Arg: rw},
		{Kind: transitions.OpWrite, Proc: 1, Start: 0},
	}
	_, err := traces.Replay(specs.V54, sc(), nil, ops, nil)
	if err == nil || !strings.Contains(err.Error(), "step 2") || !strings.Contains(err.Error(), "P2 does not exist") {
		t.Fatalf("err = %v, want a step 2 error naming P2", err)
	}
	ops = []transitions.Op{{Kind: transitions.OpMunmap, Proc: 0, Start: 1, End: 9}}
	_, err = traces.Replay(specs.V54, sc(), nil, ops, nil)
	if err == nil || !strings.Contains(err.Error(), "step 1") || !strings.Contains(err.Error(), "outside the address space") {
		t.Fatalf("err = %v, want a step 1 range error", err)
	}
}

func TestMarkdownTrace(t *testing.T) {
	ops := []transitions.Op{
		{Kind: transitions.OpMmap, Proc: 0, Start: 0, End: 2, Arg: rw},
		{Kind: transitions.OpWrite, Proc: 0, Start: 0},
		{Kind: transitions.OpFork, Proc: 0},
	}
	_, out := render(t, traces.WriteMarkdownTrace, specs.V54, sc(), specs.Properties()[0], ops, []bool{true, true, false})
	for _, want := range []string{
		// rmap-reachable holds here: the title says so rather than "violated".
		"### anoncheck: `rmap-reachable` holds under `v5.4` after the 1 operation(s) of the trace",
		"#### operation 1: `fork(P1) -> P2`",
		"<details><summary>kernel path</summary>",
		"```mermaid\ngraph TD\n",
		`av1["av1 (root)"]`,
		"av2 -->|parent| av1",
		"vmaB ==> av2",
		"vmaB -.-> av1",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("markdown lacks %q:\n%s", want, out)
		}
	}
	if strings.Count(out, "```mermaid") != 2 {
		t.Errorf("want a diagram after the setup and after the operation, got %d", strings.Count(out, "```mermaid"))
	}
}

// 01
// AB   P1: written at 0, split by mprotect, then fork
// CD   P2: under khlebnikov-fix-v1, D shares C's av2 without a link to it;
//
//	P2's mmap over both unmaps them, frees av2 at C's unlink and
//	touches it again at D's
//
// The drawing after the use-after-free shows the VMAs the unmap detached
// but never freed, and what still points at the freed anon_vma; the step
// reads as a use-after-free, and the header keeps to 80 columns.
func TestTraceShowsDetachedVMAsAndReferrers(t *testing.T) {
	r := uint8(transitions.ProtRead)
	ops := []transitions.Op{
		{Kind: transitions.OpMmap, Proc: 0, Start: 0, End: 2, Arg: rw},
		{Kind: transitions.OpWrite, Proc: 0, Start: 0},
		{Kind: transitions.OpMprotect, Proc: 0, Start: 0, End: 1, Arg: r},
		{Kind: transitions.OpFork, Proc: 0},
		{Kind: transitions.OpMmap, Proc: 1, Start: 0, End: 2, Arg: r},
	}
	p, err := specs.LookupProperty("no-freed-anon-vma")
	if err != nil {
		t.Fatal(err)
	}
	_, out := render(t, traces.WriteText, specs.KhlebnikovFixV1, transitions.DefaultScope(), p, ops, []bool{true, true, true, false, false})
	for _, want := range []string{
		"2.   mmap(P2, [0,2), r) = use-after-free (KASAN; the model stops here)",
		"* detached from P2's list, not freed:\n       *     C [0,1) r-- account anon_vma=av2 chain=[]\n" +
			"       *     D [1,2) rw- account anon_vma=av2 chain=[]\n",
		"av2 FREED, still referenced by C->anon_vma, D->anon_vma",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("trace lacks %q:\n%s", want, out)
		}
	}
	for _, l := range strings.Split(out, "\n") {
		if len(l) > 80 {
			t.Errorf("line of %d columns: %q", len(l), l)
		}
	}
}
