package traces_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"anoncheck/check"
	"anoncheck/specs"
	"anoncheck/state"
	"anoncheck/traces"
	"anoncheck/transitions"
)

// callNames finds the objects a recorded call names after its function:
// processes, VMAs, anon_vmas and pages.
var callNames = regexp.MustCompile(`\b(?:P[0-9]+|[A-P]|av[0-9]+|pg[0-9]+)\b`)

// checkCallNames checks that every object a step's call path names is one
// the drawings show, in the state after the step or (for what the step
// freed) before it: the calls and the drawings name objects alike.
func checkCallNames(t *testing.T, tr *traces.Trace) {
	t.Helper()
	drawn := func(s *state.State) map[string]bool {
		names := map[string]bool{}
		for _, l := range traces.StateLines(s, tr.Variant.CountersKept()) {
			if f := strings.Fields(l); len(f) > 0 {
				names[f[0]] = true
			}
		}
		return names
	}
	before := transitions.Initial()
	for i, st := range tr.Steps {
		now, then := drawn(&st.Raw), drawn(&before)
		for _, c := range st.Calls {
			if strings.HasPrefix(c.Name, "!! ") {
				continue
			}
			_, args, _ := strings.Cut(c.Name, "(")
			for _, n := range callNames.FindAllString(args, -1) {
				if !now[n] && !then[n] {
					t.Errorf("step %d (%s): %q names %s, which neither the drawing after the step nor the one before shows",
						i+1, st.Op, c.Name, n)
				}
			}
		}
		before = st.Raw
	}
}

// Recorded calls name the objects they were called on, and the anon_vma
// anon_vma_clone() reuses, in the names the drawings use: the
// use-after-free step of khlebnikov-fix-v1 unlinks C and then D, and a
// fork reuses an anon_vma whose VMA exited.
func TestCallsNameTheirObjects(t *testing.T) {
	v1, err := specs.Lookup("khlebnikov-fix-v1")
	if err != nil {
		t.Fatal(err)
	}
	r := uint8(transitions.ProtRead)
	uaf, _ := render(t, traces.WriteText, v1, sc(), nil, []transitions.Op{
		{Kind: transitions.OpMmap, Start: 0, End: 2, Arg: rw},
		{Kind: transitions.OpWrite, Start: 0},
		{Kind: transitions.OpMprotect, Start: 0, End: 1, Arg: r},
		{Kind: transitions.OpFork},
		{Kind: transitions.OpMmap, Proc: 1, Start: 0, End: 2, Arg: r},
	}, []bool{true, true, true, false, false})
	// P1 writes A (av1) and forks P2 (B, av2 under av1), which forks P3
	// (C, av3 under av2). When P2 exits, av2 is left with one child and no
	// VMA, and P3's fork into P2's slot reuses it for the new B.
	reuse, _ := render(t, traces.WriteText, specs.V54, sc(), nil, []transitions.Op{
		{Kind: transitions.OpMmap, Start: 0, End: 1, Arg: rw},
		{Kind: transitions.OpWrite, Start: 0},
		{Kind: transitions.OpFork},
		{Kind: transitions.OpFork, Proc: 1},
		{Kind: transitions.OpExit, Proc: 1},
		{Kind: transitions.OpFork, Proc: 2},
	}, []bool{true, true, false, false, false, false})
	for _, c := range []struct {
		tr   *traces.Trace
		step int
		want []string
	}{
		{uaf, 3, []string{"dup_mmap(P2, oldmm=P1)", "anon_vma_fork(vma=D, pvma=B)", "anon_vma_clone(dst=D, src=B)", "copy_page_range(dst=C, src=A)"}},
		{uaf, 4, []string{"mmap_region(P2, [0,2), r--)", "unmap_vmas(C, [0,2))", "unlink_anon_vmas(C)", "put_anon_vma(av2)", "anon_vma_free(av2)", "unlink_anon_vmas(D)"}},
		{uaf, 1, []string{"do_anonymous_page(A, 0)", "find_mergeable_anon_vma(A) -> NULL", "anon_vma_alloc() -> av1", "page_add_new_anon_rmap(pg1, A, 0)"}},
		{uaf, 2, []string{"__split_vma(P1, A, 1, new_below=0)", "__vma_adjust(A, [0,1), insert=B)", "vma_merge(P1, prev=NULL, [0,1), r--, anon_vma=av1) -> NULL"}},
		{reuse, 5, []string{"anon_vma_clone(dst=B, src=C) reuses av2"}},
	} {
		var calls []string
		for _, call := range c.tr.Steps[c.step].Calls {
			calls = append(calls, call.Name)
		}
		path := strings.Join(calls, "\n")
		for _, w := range c.want {
			if !strings.Contains("\n"+path+"\n", "\n"+w+"\n") {
				t.Errorf("%s step %d (%s): no call %q in\n%s", c.tr.Variant.Name, c.step+1, c.tr.Steps[c.step].Op, w, path)
			}
		}
	}
	checkCallNames(t, uaf)
	checkCallNames(t, reuse)
}

// In the traces of khlebnikov-fix-v1's violations, linux-next-20191008's
// oops, and the deep three-process traces of testdata/deep under v5.4 and
// v6.1, the objects the call paths name are the ones the drawings show.
func TestCallNamesAgreeWithDrawings(t *testing.T) {
	for _, c := range []struct {
		variant, prop       string
		pages, procs, bound int
	}{
		{"khlebnikov-fix-v1", "rmap-reachable", 2, 2, 2},
		{"khlebnikov-fix-v1", "no-freed-anon-vma", 2, 2, 2},
		{"khlebnikov-fix-v1", "same-anon-vma-same-chain", 2, 2, 2},
		{"linux-next-20191008", "kernel-bug", 3, 1, 1},
	} {
		v, _ := specs.Lookup(c.variant)
		p, _ := specs.LookupProperty(c.prop)
		sc := transitions.DefaultScope()
		sc.Pages, sc.Procs = c.pages, c.procs
		m := &specs.Model{Variant: v, Scope: sc}
		res := check.Run[state.State](context.Background(), m, check.Config[state.State]{
			Bound: c.bound, Properties: m.CheckProperties([]*specs.Property{p}), StopWhenAllViolated: true})
		if !res.Violated(0) {
			t.Fatalf("%s holds under %s", c.prop, c.variant)
		}
		tr, err := traces.FromPath(v, sc, p, res.Violations[0].Path)
		if err != nil {
			t.Fatal(err)
		}
		checkCallNames(t, tr)
	}
	files, _ := filepath.Glob("testdata/deep/*.json")
	if len(files) == 0 {
		t.Fatal("no traces in testdata/deep")
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		file, err := traces.DecodeJSON(data)
		if err != nil {
			t.Fatal(err)
		}
		sc, _ := file.ScopeValue()
		ops, setup, err := file.Ops()
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"v5.4", "v6.1"} {
			v, _ := specs.Lookup(name)
			tr, err := traces.Replay(v, sc, nil, ops, setup)
			if err != nil {
				t.Fatalf("%s under %s: %v", f, name, err)
			}
			checkCallNames(t, tr)
		}
	}
}
