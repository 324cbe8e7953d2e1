package conform

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	"anoncheck/specs"
	"anoncheck/state"
	"anoncheck/transitions"
)

// TestExecutorCompiles compiles the executor with every warning as an
// error.
func TestExecutorCompiles(t *testing.T) {
	cc, err := Compiler()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("gcc is needed to test conform: %v", err)
		}
		t.Skipf("no C compiler: %v", err)
	}
	dir := t.TempDir()
	src := dir + "/e.c"
	if err := os.WriteFile(src, []byte(Source()), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(cc, "-Wall", "-Wextra", "-Werror", "-Wno-unused-function", "-o", dir+"/e", src).CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
}

// needKernel skips a test where conform cannot run, saying why (in CI a
// missing gcc fails it), and where pagemap shows no PFNs.
func needKernel(t *testing.T) Machine {
	t.Helper()
	m := needExecutor(t)
	if !m.PFN {
		t.Skipf("pagemap shows no PFNs here (%s)", m.Why)
	}
	return m
}

// needExecutor skips a test where the executor cannot run, saying why.
func needExecutor(t *testing.T) Machine {
	t.Helper()
	m, err := Probe()
	if err != nil {
		if _, cerr := Compiler(); cerr != nil && os.Getenv("CI") == "true" {
			t.Fatalf("gcc is needed to test conform: %v", cerr)
		}
		if errors.Is(err, ErrUnavailable) {
			t.Skipf("conform cannot run here: %v", err)
		}
		t.Fatal(err)
	}
	return m
}

func v618(t *testing.T) *specs.Variant {
	v, err := specs.Lookup("v6.18")
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// onV618 reports whether the machine runs the kernel v6.18 follows, where
// no difference may be unexplained.
func onV618(m Machine) bool { return strings.HasPrefix(m.Release, "6.18.") }

// TestConformSmall runs a small conform of v6.18, in PFN mode and in
// marker mode, and checks what it compared.
func TestConformSmall(t *testing.T) {
	m := needExecutor(t)
	for _, markers := range []bool{false, true} {
		if !markers && !m.PFN {
			t.Logf("pagemap shows no PFNs here (%s): marker mode only", m.Why)
			continue
		}
		sc := transitions.DefaultScope()
		sc.Pages, sc.Procs = 3, 3
		res, err := Run(context.Background(), &Config{Variant: v618(t), Scope: sc, Runs: 200, Ops: 25, Seed: 1, Bound: 2, Workers: 2, Markers: markers})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("markers %v: %d runs (%d random, %d bound), %d steps, compared %v, unexplained %d, known %v, in %s",
			markers, res.Runs(), res.RandomRuns, res.BoundRuns, res.Steps, res.Compared, res.Unexplained, res.Known, res.Elapsed)
		for _, f := range res.Findings {
			for _, d := range f.Diffs {
				t.Logf("%s run %d: %s", f.Seq.Mode, f.Seq.Index, d.String())
			}
		}
		if res.RandomRuns != 200 || res.BoundRuns == 0 || res.Steps < 200*25 {
			t.Errorf("ran %d random and %d bound runs, %d steps", res.RandomRuns, res.BoundRuns, res.Steps)
		}
		want := []Field{FieldResult, FieldFault, FieldProcess, FieldMaps, FieldPresent, FieldSharing, FieldExclusive}
		if markers {
			want = append(want, FieldContent)
		} else {
			want = append(want, FieldIdentity, FieldMapcount)
		}
		for _, f := range want {
			if res.Compared[f] == 0 {
				t.Errorf("markers %v: %s never compared", markers, f)
			}
		}
		if onV618(m) && res.Unexplained != 0 {
			t.Errorf("markers %v: %d runs differ from Linux %s in ways the known differences do not explain", markers, res.Unexplained, m.Release)
		}
	}
}

// mutants are v6.18 with one behaviour deliberately wrong, each seen in
// a different field conform compares.
var mutants = []struct {
	name  string
	patch func(f *transitions.Funcs)
	field Field  // a field the mutant must differ in
	kinds string // the operation kinds the runs use ("": all)
	// seq, when set, is a sequence that shows the mutant (at two pages
	// and two processes), replayed instead of random runs.
	seq []transitions.Op
}{
	{"write faults always copy", func(f *transitions.Funcs) {
		f.DoWPPage = func(k *transitions.Kernel, vma state.VMAID, addr uint8) int { return k.WPPageCopy(vma, addr) }
	}, FieldIdentity, "", nil},
	{"mprotect write-protects every PTE", func(f *transitions.Funcs) {
		f.ChangeProtection = func(k *transitions.Kernel, vma state.VMAID, start, end uint8) {
			v := k.S.VMA(vma)
			for a := start; a < end; a++ {
				pte := k.S.PT[v.MM-1][a]
				k.S.PT[v.MM-1][a] = state.MakePTE(pte.Page(), false)
			}
		}
	}, FieldFault, "", nil},
	{"fork does not count the child's mappings", func(f *transitions.Funcs) {
		dup := f.PageDupRmap
		f.PageDupRmap = func(k *transitions.Kernel, pg state.PageID) {
			dup(k, pg)
			k.S.Page(pg).Mapcount--
		}
	}, FieldMapcount, "", nil},
	{"a reused page is not marked PageAnonExclusive", func(f *transitions.Funcs) {
		// mprotect() makes a PTE writable only over a PageAnonExclusive
		// page (can_change_pte_writable()): the flag shows in whether a
		// later write faults.
		wp := f.DoWPPage
		f.DoWPPage = func(k *transitions.Kernel, vma state.VMAID, addr uint8) int {
			v := k.S.VMA(vma)
			pg := k.S.PT[v.MM-1][addr].Page()
			was := k.S.Page(pg).Flags & state.PageAnonExclusive
			r := wp(k, vma, addr)
			if now := k.S.PT[v.MM-1][addr].Page(); now == pg && was == 0 {
				k.S.Page(pg).Flags &^= state.PageAnonExclusive
			}
			return r
		}
	}, FieldFault, "", []transitions.Op{
		{Kind: transitions.OpMmap, Start: 0, End: 1, Arg: uint8(transitions.ProtRead | transitions.ProtWrite)},
		{Kind: transitions.OpWrite, Start: 0},
		{Kind: transitions.OpFork},
		{Kind: transitions.OpExit, Proc: 1},
		{Kind: transitions.OpWrite, Start: 0}, // reused: mapped once, no longer exclusive
		{Kind: transitions.OpMprotect, Start: 0, End: 1, Arg: uint8(transitions.ProtRead)},
		{Kind: transitions.OpMprotect, Start: 0, End: 1, Arg: uint8(transitions.ProtRead | transitions.ProtWrite)},
		{Kind: transitions.OpWrite, Start: 0}, // writable again only over a PageAnonExclusive page
	}},
	{"faulted VMAs never merge with unfaulted ones", func(f *transitions.Funcs) {
		is := f.IsMergeableAnonVMAVMG
		f.IsMergeableAnonVMAVMG = func(k *transitions.Kernel, vmg *transitions.VMG, mergeNext bool) bool {
			if !is(k, vmg, mergeNext) {
				return false
			}
			other := vmg.Prev
			if mergeNext {
				other = vmg.Next
			}
			return k.S.VMA(other).AnonVMA == vmg.AnonVMA
		}
	}, FieldMaps, "", nil},
}

func TestMutantsDiffer(t *testing.T) {
	needKernel(t)
	for _, mu := range mutants {
		t.Run(mu.name, func(t *testing.T) {
			v := &specs.Variant{Name: "v6.18-mutant", Follows: "test", Base: "v6.18", Patch: mu.patch}
			if mu.seq != nil {
				sc := transitions.DefaultScope()
				for _, variant := range []*specs.Variant{v618(t), v} {
					rr, err := Replay(context.Background(), variant, sc, mu.seq, nil, 1, false, true)
					if err != nil {
						t.Fatal(err)
					}
					last := rr.Steps[len(rr.Steps)-1]
					t.Logf("%s: %d steps, unexplained %d, last %s: %v", variant.Name, len(rr.Steps), rr.Unexplained, last.Op, last.Diffs)
					if variant.Name == "v6.18" && (rr.Unexplained != 0 || rr.Known != 0) {
						t.Errorf("v6.18 differs from the kernel on the mutant's sequence: %v", last.Diffs)
					}
					if variant == v && (rr.Unexplained != 1 || len(last.Diffs) == 0 || last.Diffs[0].Field != mu.field) {
						t.Errorf("the mutant is not reported as an unexplained difference in %s", mu.field)
					}
				}
				return
			}
			sc := transitions.DefaultScope()
			sc.Pages, sc.Procs = 3, 3
			res, err := Run(context.Background(), &Config{Variant: v, Scope: sc, Runs: 300, Ops: 25, Seed: 1, Workers: 2})
			if err != nil {
				t.Fatal(err)
			}
			seen := map[Field]int{}
			for _, f := range res.Findings {
				for _, d := range f.Diffs {
					seen[d.Field]++
				}
			}
			t.Logf("%d runs, %d unexplained; fields %v", res.Runs(), res.Unexplained, seen)
			if res.Unexplained == 0 || seen[mu.field] == 0 {
				t.Errorf("the mutant is not reported as an unexplained difference in %s", mu.field)
			}
			if len(res.Findings) > 0 {
				t.Logf("first: %s", res.Findings[0].Diffs[0].String())
			}
		})
	}
}
