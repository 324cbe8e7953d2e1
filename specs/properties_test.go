package specs_test

import (
	"context"
	"strings"
	"testing"

	"anoncheck/check"
	"anoncheck/specs"
	"anoncheck/state"
	"anoncheck/traces"
	"anoncheck/transitions"
	v5 "anoncheck/transitions/v5"
)

type (
	kernel = transitions.Kernel
	vmaID  = state.VMAID
	avID   = state.AVID
)

// mutant is the v5.4 table with one deliberate bug.
func mutant(name string, patch func(f *transitions.Funcs)) *specs.Variant {
	return &specs.Variant{Name: name, Follows: "test mutation of v5.4", Base: "v5.4", Patch: patch}
}

func scope(pages, procs int) transitions.Scope {
	sc := transitions.DefaultScope()
	sc.Pages, sc.Procs = pages, procs
	return sc
}

func explore(t *testing.T, v *specs.Variant, sc transitions.Scope, bound int) (check.Result, *specs.Model) {
	t.Helper()
	m := &specs.Model{Variant: v, Scope: sc}
	res := check.Run[state.State](context.Background(), m, check.Config[state.State]{
		Bound: bound, Properties: m.CheckProperties(specs.Properties()),
	})
	if !res.Complete {
		t.Fatalf("%s: run incomplete: %v", v.Name, res.Stop)
	}
	return res, m
}

// exploreFor runs v against one property only and stops at its first
// violation: a mutated kernel can have a far larger state space than v5.4.
func exploreFor(t *testing.T, v *specs.Variant, sc transitions.Scope, bound int, p *specs.Property) check.Result {
	t.Helper()
	m := &specs.Model{Variant: v, Scope: sc}
	return check.Run[state.State](context.Background(), m, check.Config[state.State]{
		Bound: bound, Properties: m.CheckProperties([]*specs.Property{p}), StopWhenAllViolated: true,
	})
}

func propIndex(t *testing.T, name string) int {
	t.Helper()
	for i, p := range specs.Properties() {
		if p.Name == name {
			return i
		}
	}
	t.Fatalf("no property %s", name)
	return -1
}

// forkWithoutClone is anon_vma_fork() that forgets anon_vma_clone(): the
// child is linked only to its own new anon_vma.
func forkWithoutClone(f *transitions.Funcs) {
	f.AnonVMAFork = func(k *kernel, vma, pvma vmaID) int {
		if k.VMA(pvma).AnonVMA == state.NoAV {
			return 0
		}
		k.VMA(vma).AnonVMA = state.NoAV
		return v5.AnonVMAForkNew(k, vma, pvma)
	}
}

// forkNewRoot is anon_vma_fork() that makes the child's anon_vma a root of
// its own while keeping the parent's anon_vmas on the chain.
func forkNewRoot(f *transitions.Funcs) {
	orig := f.AnonVMAFork
	f.AnonVMAFork = func(k *kernel, vma, pvma vmaID) int {
		r := orig(k, vma, pvma)
		if av := k.VMA(vma).AnonVMA; av != state.NoAV && av != k.VMA(pvma).AnonVMA {
			k.S.AV(av).Root = av
		}
		return r
	}
}

// putFreesRoot is __put_anon_vma() that frees the root whatever its
// refcount: v5.4's put, with the root's refcount first set to the one
// reference that put drops.
func putFreesRoot(f *transitions.Funcs) {
	put := f.PutAnonVMA
	f.PutAnonVMA = func(k *kernel, av avID) {
		if a := k.AV(av); a.Refcount == 1 && a.Root != av {
			k.AV(a.Root).Refcount = 1
		}
		put(k, av)
	}
}

// prepareWithoutLink is __anon_vma_prepare() that sets vma->anon_vma but
// does not link the AVC.
func prepareWithoutLink(f *transitions.Funcs) {
	f.AnonVMAPrepare = func(k *kernel, vma vmaID) int {
		av := k.AnonVMAAlloc()
		k.VMA(vma).AnonVMA = av
		k.Inc(&k.AV(av).Degree)
		return 0
	}
}

// splitWithoutClone is __split_vma() without anon_vma_clone(): the new part
// shares vma->anon_vma with an empty chain.
func splitWithoutClone(f *transitions.Funcs) {
	f.SplitVMA = func(k *kernel, mm int, vma vmaID, addr uint8, newBelow bool) int {
		nv := k.VMAreaDup(vma)
		n, v := k.S.VMA(nv), k.VMA(vma)
		if newBelow {
			n.End = addr
			return k.VMAAdjust(vma, addr, v.End, v.Pgoff+(addr-n.Start), nv, state.NoVMA)
		}
		n.Start = addr
		n.Pgoff += addr - v.Start
		return k.VMAAdjust(vma, v.Start, addr, v.Pgoff, nv, state.NoVMA)
	}
}

// cloneForgetsDegree is anon_vma_clone() without the final degree++.
func cloneForgetsDegree(f *transitions.Funcs) {
	orig := f.AnonVMAClone
	f.AnonVMAClone = func(k *kernel, dst, src vmaID) int {
		r := orig(k, dst, src)
		if d := k.VMA(dst); d.AnonVMA != state.NoAV {
			k.AV(d.AnonVMA).Degree--
		}
		return r
	}
}

// faultWithoutPrepare is do_anonymous_page() without anon_vma_prepare().
func faultWithoutPrepare(f *transitions.Funcs) {
	orig := f.AnonVMAPrepare
	f.DoAnonymousPage = func(k *kernel, vma vmaID, addr uint8) int {
		saved := k.F.AnonVMAPrepare
		k.F.AnonVMAPrepare = func(*kernel, vmaID) int { return 0 }
		defer func() { k.F.AnonVMAPrepare = saved }()
		return v5.DoAnonymousPageV54(k, vma, addr)
	}
	_ = orig
}

// adjustLosesExpand is vma_merge() passing no expand to __vma_adjust().
func adjustLosesExpand(f *transitions.Funcs) {
	orig := f.VMAAdjust
	f.VMAAdjust = func(k *kernel, vma vmaID, start, end, pgoff uint8, insert, expand vmaID) int {
		if insert == state.NoVMA {
			expand = state.NoVMA
		}
		return orig(k, vma, start, end, pgoff, insert, expand)
	}
}

// splitCountsTwice is __split_vma() that counts the new VMA in map_count a
// second time.
func splitCountsTwice(f *transitions.Funcs) {
	orig := f.SplitVMA
	f.SplitVMA = func(k *kernel, mm int, vma vmaID, addr uint8, newBelow bool) int {
		r := orig(k, mm, vma, addr, newBelow)
		k.S.MMs[mm].MapCount++
		return r
	}
}

// putNeverFrees is put_anon_vma() that only drops the count.
func putNeverFrees(f *transitions.Funcs) {
	f.PutAnonVMA = func(k *kernel, av avID) { k.AV(av).Refcount-- }
}

// cloneNoReuse is anon_vma_clone() before 7a3ef208e662: no reuse.
func cloneNoReuse(f *transitions.Funcs) {
	f.AnonVMAClone = func(k *kernel, dst, src vmaID) int {
		root := state.NoAV
		s := k.VMA(src)
		for i := int(s.NChain) - 1; i >= 0; i-- {
			root = k.LockAnonVMARoot(root, s.Chain[i])
			k.AnonVMAChainLink(dst, s.Chain[i])
		}
		if d := k.VMA(dst); d.AnonVMA != state.NoAV {
			k.Inc(&k.AV(d.AnonVMA).Degree)
		}
		return 0
	}
}

// linkTwice is anon_vma_chain_link() that adds every AVC twice, so chains
// outgrow the model.
func linkTwice(f *transitions.Funcs) {
	orig := f.AnonVMAChainLink
	f.AnonVMAChainLink = func(k *kernel, vma vmaID, av avID) {
		orig(k, vma, av)
		orig(k, vma, av)
	}
}

// TestEachPropertyCanFailAndHold checks that every property has a mutated
// kernel function that violates it, and holds for v5.4 and v6.18 at the
// same scope and bound.
func TestEachPropertyCanFailAndHold(t *testing.T) {
	cases := []struct {
		prop         string
		mutation     func(*transitions.Funcs)
		pages, procs int
		bound        int
		wantDepth    int
	}{
		{"rmap-reachable", forkWithoutClone, 1, 2, 1, 1},
		{"no-freed-anon-vma", putFreesRoot, 1, 2, 2, 2},
		{"own-anon-vma-linked", prepareWithoutLink, 1, 1, 1, 0},
		{"one-root-per-chain", forkNewRoot, 1, 2, 1, 1},
		{"same-anon-vma-same-chain", splitWithoutClone, 2, 1, 1, 0},
		{"counter-accounting", cloneForgetsDegree, 2, 1, 1, 0},
		{"kernel-bug", faultWithoutPrepare, 1, 1, 1, 0},
		{"kernel-warn", adjustLosesExpand, 2, 1, 1, 0},
		{"mm-list-consistent", splitCountsTwice, 2, 1, 1, 0},
		{"no-leak", putNeverFrees, 1, 1, 1, 0},
		{"hierarchy-growth", cloneNoReuse, 1, 2, 8, 6},
		{"scope-capacity", linkTwice, 1, 2, 4, 3},
	}
	seen := map[string]bool{}
	for _, c := range cases {
		seen[c.prop] = true
		t.Run(c.prop, func(t *testing.T) {
			i := propIndex(t, c.prop)
			sc := scope(c.pages, c.procs)
			prop := specs.Properties()[i]
			res := exploreFor(t, mutant("mutant-"+c.prop, c.mutation), sc, c.bound, prop)
			if !res.Violated(0) {
				t.Fatalf("the mutation does not violate %s at pages=%d procs=%d bound %d", c.prop, c.pages, c.procs, c.bound)
			}
			if d := res.Violations[0].Depth; d != c.wantDepth {
				t.Errorf("shortest violation at depth %d, want %d", d, c.wantDepth)
			}
			// The trace replays to a violating state.
			tr, err := traces.FromPath(mutant("mutant-"+c.prop, c.mutation), sc, prop, res.Violations[0].Path)
			if err != nil {
				t.Fatalf("replay: %v", err)
			}
			if tr.Holds() {
				t.Fatalf("the replayed trace ends in a state where %s holds", c.prop)
			}
			var b strings.Builder
			if err := traces.WriteText(&b, tr); err != nil || !strings.Contains(b.String(), "anoncheck: "+tr.PropertyName()+" violated") {
				t.Fatalf("text trace lacks its title: %v\n%s", err, b.String())
			}
			// The trace names what breaks the property, where there is more
			// to say than the oops or warning line.
			if why := tr.Why(); c.prop != "kernel-bug" && c.prop != "kernel-warn" && c.prop != "scope-capacity" && why == "" {
				t.Errorf("the trace does not say what breaks %s:\n%s", c.prop, b.String())
			} else if why != "" && !strings.Contains(b.String(), "  here:     ") {
				t.Errorf("the text trace lacks its here: line:\n%s", b.String())
			} else {
				t.Logf("%s: here: %s", c.prop, why)
			}

			for _, v := range []*specs.Variant{specs.V54, specs.V618} {
				if base, _ := explore(t, v, sc, c.bound); base.Violated(i) {
					t.Fatalf("%s violates %s at the same scope", v.Name, c.prop)
				}
			}
		})
	}
	for _, p := range specs.Properties() {
		if !seen[p.Name] {
			t.Errorf("property %s has no failing test", p.Name)
		}
	}
}

// TestV54HoldsAtDefaultScope checks that v5.4 satisfies every property at
// the default scope to a small bound.
func TestV54HoldsAtDefaultScope(t *testing.T) {
	res, _ := explore(t, specs.V54, transitions.DefaultScope(), 3)
	for i, p := range specs.Properties() {
		if res.Violated(i) {
			t.Errorf("v5.4 violates %s at depth %d", p.Name, res.Violations[i].Depth)
		}
	}
}
