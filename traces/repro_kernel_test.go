package traces_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"anoncheck/specs"
	"anoncheck/state"
	"anoncheck/traces"
	"anoncheck/transitions"
)

// reproCurrentKernel is the v6.1 model with the two later changes the
// reproducers' header documents, as a current kernel (6.16 and later)
// merges VMAs. It exists for the tests only: it stands for the running
// kernel, to show that these changes are the only layout differences
// between the models and that kernel.
//
// "mm/mprotect: allow unfaulted VMAs to be unaccounted on mprotect()":
// mprotect_fixup() drops VM_ACCOUNT from new flags without VM_WRITE when
// the VMA has no anon_vma. 879bca0a2c4f: is_mergeable_anon_vma() lets a
// source VMA with an anon_vma merge into a target without one unless the
// source is a fork child (its chain is not singular), and a target with
// one take a source without one unless the target is a fork child.
func reproCurrentKernel() *specs.Variant {
	return &specs.Variant{
		Name: "v6.1+later-merging", Base: "v6.1",
		Follows: "v6.1 with mprotect's unaccounting of unfaulted VMAs and 879bca0a2c4f (test stand-in for Linux 6.16+)",
		Patch: func(f *transitions.Funcs) {
			fixup := f.MprotectFixup
			f.MprotectFixup = func(k *transitions.Kernel, vma, prev state.VMAID, start, end uint8, newflags state.Flags) (state.VMAID, int) {
				v := k.VMA(vma)
				if newflags != v.Flags && newflags&state.VMWrite == 0 && v.Flags&state.VMAccount != 0 && v.AnonVMA == state.NoAV {
					newflags &^= state.VMAccount
				}
				return fixup(k, vma, prev, start, end, newflags)
			}
			// vma_merge() does not pass the VMA whose range it merges;
			// remember it for is_mergeable_anon_vma().
			var src state.VMAID
			merge := f.VMAMerge
			f.VMAMerge = func(k *transitions.Kernel, mm int, prev state.VMAID, addr, end uint8, fl state.Flags, av state.AVID, pgoff uint8) state.VMAID {
				src = k.S.FindVMA(mm, addr)
				if src != state.NoVMA && (k.VMA(src).End < end || k.VMA(src).AnonVMA != av) {
					src = state.NoVMA // a new mapping
				}
				return merge(k, mm, prev, addr, end, fl, av, pgoff)
			}
			f.IsMergeableAnonVMA = func(k *transitions.Kernel, srcAV, tgtAV state.AVID, tgt state.VMAID) bool {
				switch {
				case tgt == state.NoVMA || srcAV == tgtAV:
					return srcAV == state.NoAV || tgtAV == state.NoAV || srcAV == tgtAV
				case tgtAV == state.NoAV:
					return src == state.NoVMA || k.VMA(src).NChain == 1
				case srcAV == state.NoAV:
					return k.VMA(tgt).NChain == 1
				}
				return false
			}
		},
	}
}

// reproKernelAtLeast reports whether the running kernel's version is at
// least major.minor.
func reproKernelAtLeast(t *testing.T, major, minor int) bool {
	t.Helper()
	b, err := os.ReadFile("/proc/sys/kernel/osrelease")
	if err != nil {
		t.Skipf("kernel version unknown: %v", err)
	}
	var ma, mi int
	if _, err := fmt.Sscanf(string(b), "%d.%d", &ma, &mi); err != nil {
		t.Skipf("kernel version %q: %v", b, err)
	}
	return ma > major || ma == major && mi >= minor
}

// reproLayout renders process p's VMAs in s as the programs print them.
func reproLayout(s *state.State, p int) string {
	var parts []string
	s.ForEachVMA(p, func(v state.VMAID) bool {
		vv := s.VMA(v)
		parts = append(parts, fmt.Sprintf("[%d,%d) %s", vv.Start, vv.End, reproPerm(vv.Flags)))
		return true
	})
	if len(parts) == 0 {
		return "(nothing mapped)"
	}
	return strings.Join(parts, " ")
}

// The two documented changes, each on the smallest trace that shows it:
// the v5.4 model predicts one more VMA than this kernel shows at the last
// step, and the program says so in one line and exits 1; the model with
// the change matches. On a kernel without the change it is the other way
// round.
func TestReproKnownDifferences(t *testing.T) {
	gcc := reproNeedGCC(t)
	r, rw := uint8(transitions.ProtRead), uint8(transitions.ProtRead|transitions.ProtWrite)
	dontfork := uint8(transitions.MadvDontFork)
	for _, c := range []struct {
		name  string
		pages int
		ops   []transitions.Op
	}{
		// 012: r, then the middle page rw and back to r, never written.
		{"unaccounted-mprotect", 3, []transitions.Op{
			{Kind: transitions.OpMmap, Start: 0, End: 3, Arg: r},
			{Kind: transitions.OpMprotect, Start: 1, End: 2, Arg: rw},
			{Kind: transitions.OpMprotect, Start: 1, End: 2, Arg: r},
		}},
		// 01: rw; page 1 DONTFORK; page 0 written, then DONTFORK too.
		{"faulted-merges-unfaulted", 2, []transitions.Op{
			{Kind: transitions.OpMmap, Start: 0, End: 2, Arg: rw},
			{Kind: transitions.OpMadvise, Start: 1, End: 2, Arg: dontfork},
			{Kind: transitions.OpWrite, Start: 0},
			{Kind: transitions.OpMadvise, Start: 0, End: 1, Arg: dontfork},
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			sc := transitions.DefaultScope()
			sc.Pages, sc.Procs = c.pages, 1
			old, err := traces.Replay(specs.V54, sc, nil, c.ops, nil)
			if err != nil {
				t.Fatal(err)
			}
			now, err := traces.Replay(reproCurrentKernel(), sc, nil, c.ops, nil)
			if err != nil {
				t.Fatal(err)
			}
			last := len(c.ops) - 1
			for i := range c.ops {
				a, b := reproLayout(&old.Steps[i].After, 0), reproLayout(&now.Steps[i].After, 0)
				if (a != b) != (i == last) {
					t.Fatalf("step %d: v5.4 predicts %s, the later kernel %s; want them to differ at the last step only", i+1, a, b)
				}
			}
			oldBin, _ := reproBuild(t, gcc, old, "old")
			nowBin, _ := reproBuild(t, gcc, now, "now")
			oldOut, oldCode := reproRun(t, oldBin)
			nowOut, nowCode := reproRun(t, nowBin)
			switch {
			case oldCode == 1 && nowCode == 0:
				call := strings.Replace(c.ops[last].String(), "P1, ", "", 1) // "mprotect([1,2), r)"
				want := fmt.Sprintf("step %d P1 %s: maps differ: expected %s, got %s\n", len(c.ops), call,
					reproLayout(&old.Steps[last].After, 0), reproLayout(&now.Steps[last].After, 0))
				if !strings.Contains(oldOut, want) || strings.Count(oldOut, "differ:") != 1 || strings.Contains(oldOut, "returned") || !strings.Contains(oldOut, "1 difference(s)") {
					t.Errorf("v5.4's program: want exactly the difference %q:\n%s", want, oldOut)
				}
			case oldCode == 0 && nowCode == 1:
				if reproKernelAtLeast(t, 6, 16) {
					t.Errorf("kernel 6.16 or later behaves as v5.4 here:\n%s", nowOut)
				}
				t.Logf("this kernel does not have the change: v5.4's layouts match")
			default:
				t.Fatalf("v5.4's program exit %d, the later kernel's %d: want one 0 and one 1\n%s\n%s", oldCode, nowCode, oldOut, nowOut)
			}
		})
	}
}

// reproRandomOps draws n operations an explorer could take from the
// initial state under v (no exit of the last process), with now and then a
// write anywhere, which may fault.
func reproRandomOps(t *testing.T, rng *rand.Rand, v *specs.Variant, sc transitions.Scope, n int) []transitions.Op {
	t.Helper()
	k := v.Kernel()
	s := transitions.Initial()
	k.S = &s
	var ops []transitions.Op
	for len(ops) < n && !s.Faulted() {
		var enabled []transitions.Op
		for _, a := range sc.Actions(&s, false, nil) {
			op := transitions.DecodeOp(a)
			if op.Kind != transitions.OpExit || s.LiveProcs() > 1 {
				enabled = append(enabled, op)
			}
		}
		op := enabled[rng.IntN(len(enabled))]
		if rng.IntN(8) == 0 {
			op = transitions.Op{Kind: transitions.OpWrite, Proc: op.Proc, Start: uint8(rng.IntN(sc.Pages))}
		}
		if _, err := k.Apply(op, &sc); err != nil {
			t.Fatal(err)
		}
		ops = append(ops, op)
	}
	return ops
}

// Random traces of every operation over four pages and three processes,
// with protections none, r, rw and rx, run on this kernel exactly as the
// later-kernel stand-in predicts: the documented changes are the only
// layout differences between the models and the kernel. Skipped with
// -short and on kernels before 6.16.
func TestReproRandomTraces(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles and runs ten programs")
	}
	gcc := reproNeedGCC(t)
	if !reproKernelAtLeast(t, 6, 16) {
		t.Skip("the stand-in for the running kernel describes Linux 6.16 and later")
	}
	v := reproCurrentKernel()
	sc := transitions.DefaultScope()
	sc.Pages, sc.Procs = 4, 3
	sc.Prots = []transitions.Prot{0, transitions.ProtRead, transitions.ProtRead | transitions.ProtWrite, transitions.ProtRead | transitions.ProtExec}
	p, err := specs.LookupProperty("rmap-reachable")
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(2026, 11))
	for i := 0; i < 10; i++ {
		ops := reproRandomOps(t, rng, v, sc, 30)
		tr, err := traces.Replay(v, sc, p, ops, nil)
		if err != nil {
			t.Fatal(err)
		}
		name := fmt.Sprintf("random%d", i)
		if out := reproRequireClean(t, gcc, tr, name); !strings.Contains(out, " ran as "+v.Name+" predicts") {
			t.Fatalf("%s: no verdict line:\n%s", name, out)
		}
	}
}
