package traces_test

import (
	"strings"
	"testing"

	"anoncheck/specs"
	"anoncheck/traces"
	"anoncheck/transitions"
)

// againstTrace replays khlebnikov-fix-v1's rmap-reachable trace (setup:
// P1 maps two pages, writes page 0 and makes it read-only; then fork and
// a write of page 1 by P2) under variant, compared with the run under
// khlebnikov-fix-v1.
func againstTrace(t *testing.T, variant string) *traces.Trace {
	t.Helper()
	v1, _ := specs.Lookup("khlebnikov-fix-v1")
	v, err := specs.Lookup(variant)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := specs.LookupProperty("rmap-reachable")
	r := uint8(transitions.ProtRead)
	ops := []transitions.Op{
		{Kind: transitions.OpMmap, Start: 0, End: 2, Arg: rw},
		{Kind: transitions.OpWrite, Start: 0},
		{Kind: transitions.OpMprotect, Start: 0, End: 1, Arg: r},
		{Kind: transitions.OpFork},
		{Kind: transitions.OpWrite, Proc: 1, Start: 1},
	}
	setup := []bool{true, true, true, false, false}
	sc := transitions.DefaultScope()
	recorded, err := traces.Replay(v1, sc, p, ops, setup)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := traces.Replay(v, sc, p, ops, setup)
	if err != nil {
		t.Fatal(err)
	}
	tr.Against = recorded
	return tr
}

// A trace compared with another run is drawn with where it departs from
// it: each departing step says how, and its call path and drawing mark
// the lines only in this run '+' and those only in the other '-', the
// removed line right before the one that replaced it. Under the variant
// itself nothing departs.
func TestDeparturesMarked(t *testing.T) {
	tr := againstTrace(t, "khlebnikov-fix-v2")
	var b strings.Builder
	if err := traces.WriteText(&b, tr); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"anoncheck: rmap-reachable holds under khlebnikov-fix-v2 after the 2 operation(s) of the trace\n",
		"  against:  the run under khlebnikov-fix-v1 of the same operations",
		"  1.   fork(P1) -> P2\n       departs from the run under khlebnikov-fix-v1: call path, state\n",
		"     -       anon_vma_fork(vma=D, pvma=B)\n     +       anon_vma_fork(vma=D, pvma=B, prev=C)\n" +
			"     -         anon_vma_clone(dst=D, src=B)\n     +         anon_vma_clone(dst=D, src=C)\n",
		"     -       D [1,2) rw- account anon_vma=av2 chain=[av1]\n     + *     D [1,2) rw- account anon_vma=av2 chain=[av2 av1]\n",
		"  2.   write(P2, 1)\n       departs from the run under khlebnikov-fix-v1: state\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the trace lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "here:") || strings.Contains(out, "violated") {
		t.Errorf("a trace whose property holds reads as violated:\n%s", out)
	}
	if strings.Contains(out, "s3.  mprotect(P1, [0,1), r)\n       departs") {
		t.Errorf("a setup step the runs share is marked as departing:\n%s", out)
	}
	var md strings.Builder
	if err := traces.WriteMarkdownTrace(&md, tr); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"**departs from the run under khlebnikov-fix-v1: call path, state**",
		"<details open><summary>kernel path</summary>", "\n+     anon_vma_fork(vma=D, pvma=B, prev=C)\n",
		"\n-       D [1,2) rw- account anon_vma=av2 chain=[av1]\n+ *     D [1,2) rw- account anon_vma=av2 chain=[av2 av1]\n"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("the Markdown lacks %q:\n%s", want, md.String())
		}
	}
	var h strings.Builder
	if err := traces.WriteHTML(&h, tr); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`<p class="departs">departs from the run under khlebnikov-fix-v1: call path, state</p>`,
		`<span class="there">-       D [1,2) rw- account anon_vma=av2 chain=[av1]</span>`,
		`<span class="changed here">&#43; *     D [1,2) rw- account anon_vma=av2 chain=[av2 av1]</span>`,
		`<span class="here">&#43;     anon_vma_fork(vma=D, pvma=B, prev=C)</span>`, `<li class="departs">`} {
		if !strings.Contains(h.String(), want) {
			t.Errorf("the page lacks %q", want)
		}
	}

	same := againstTrace(t, "khlebnikov-fix-v1")
	b.Reset()
	if err := traces.WriteText(&b, same); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "departs from the run") || strings.Contains(b.String(), "\n     +") || strings.Contains(b.String(), "\n     -") {
		t.Errorf("a run compared with itself departs:\n%s", b.String())
	}
}
