package specs_test

import (
	"testing"

	"anoncheck/specs"
	"anoncheck/state"
	"anoncheck/transitions"
)

// mutant618 is the v6.18 table with one change.
func mutant618(name string, patch func(f *transitions.Funcs)) *specs.Variant {
	return &specs.Variant{Name: name, Follows: "test mutation of v6.18", Base: "v6.18", Patch: patch}
}

// dupAnonVMAWithoutClone is dup_anon_vma() that gives dst src's anon_vma
// but not a copy of src's chain.
func dupAnonVMAWithoutClone(f *transitions.Funcs) {
	f.DupAnonVMA = func(k *kernel, dst, src vmaID, dup *vmaID) int {
		if av := k.VMA(src).AnonVMA; av != state.NoAV && k.VMA(dst).AnonVMA == state.NoAV {
			k.VMA(dst).AnonVMA = av
			k.Inc(&k.AV(av).NumActiveVMAs)
			*dup = dst
		}
		return 0
	}
}

// dupAnonVMANever is dup_anon_vma() that does nothing: a faulted VMA merges
// into an unfaulted one that never gets its anon_vma.
func dupAnonVMANever(f *transitions.Funcs) {
	f.DupAnonVMA = func(*kernel, vmaID, vmaID, *vmaID) int { return 0 }
}

// mergeIgnoresForkChildren is is_mergeable_anon_vma() without
// vma_had_uncowed_parents(): any VMA with an anon_vma merges with one
// without, fork child or not.
func mergeIgnoresForkChildren(f *transitions.Funcs) {
	f.IsMergeableAnonVMAVMG = func(k *kernel, g *transitions.VMG, next bool) bool {
		tgt := g.Prev
		if next {
			tgt = g.Next
		}
		ta := k.VMA(tgt).AnonVMA
		return ta == state.NoAV || g.AnonVMA == state.NoAV || ta == g.AnonVMA
	}
}

// TestV618Mutants checks that the properties catch the mistakes the mm/vma.c
// merge code must not make, and that one check the kernel makes is not
// one safety rests on. dup_anon_vma() that forgets anon_vma_clone() leaves
// the target's anon_vma off its chain (I1) during the initial layouts, and
// one that forgets everything lets vma_complete() merge a faulted VMA into
// one with no anon_vma, which anon_vma_merge()'s VM_BUG_ON_VMA catches.
// Without vma_had_uncowed_parents(), fork children's VMAs merge with
// unfaulted neighbours too, and every property still holds: the kernel's
// comment gives root lock contention as the reason for the check, not
// correctness.
func TestV618Mutants(t *testing.T) {
	for _, c := range []struct {
		prop     string
		mutation func(*transitions.Funcs)
		depth    int
	}{
		{"own-anon-vma-linked", dupAnonVMAWithoutClone, 0},
		{"kernel-bug", dupAnonVMANever, 0},
	} {
		t.Run(c.prop, func(t *testing.T) {
			p := specs.Properties()[propIndex(t, c.prop)]
			res := exploreFor(t, mutant618("mutant-"+c.prop, c.mutation), scope(2, 1), 1, p)
			if !res.Violated(0) {
				t.Fatalf("the mutation does not violate %s", c.prop)
			}
			if d := res.Violations[0].Depth; d != c.depth {
				t.Errorf("shortest violation at depth %d, want %d", d, c.depth)
			}
		})
	}
	t.Run("no-fork-child-check", func(t *testing.T) {
		res, _ := explore(t, mutant618("mutant-no-fork-child-check", mergeIgnoresForkChildren), scope(2, 2), 3)
		for i, p := range specs.Properties() {
			if res.Violated(i) && !p.Advisory {
				t.Errorf("without vma_had_uncowed_parents() %s is violated at depth %d", p.Name, res.Violations[i].Depth)
			}
		}
		// The mutation must change what is reachable, or the test says nothing.
		if base, _ := explore(t, specs.V618, scope(2, 2), 3); base.Stats.States == res.Stats.States {
			t.Errorf("the mutation reaches the same %d states as v6.18", res.Stats.States)
		}
	})
}

// TestV618MergesWhereV61DoesNot replays the two traces the C reproducer
// documents as known differences between the 5.x/6.1 models and a 6.18
// kernel (traces/repro_write.go): an unfaulted VMA made read-only again
// gives back VM_ACCOUNT ("mm/mprotect: allow unfaulted VMAs to be
// unaccounted on mprotect()"), and a faulted VMA merges into an unfaulted
// neighbour (879bca0a2c4f). v6.18 merges at the last step of each, v6.1
// does not, and they agree before it.
func TestV618MergesWhereV61DoesNot(t *testing.T) {
	r, rw := uint8(transitions.ProtRead), uint8(transitions.ProtRead|transitions.ProtWrite)
	dontfork := uint8(transitions.MadvDontFork)
	for _, c := range []struct {
		name      string
		pages     int
		ops       []transitions.Op
		v61, v618 int // VMAs after the last step
	}{
		{"unaccounted-mprotect", 3, []transitions.Op{
			{Kind: transitions.OpMmap, Start: 0, End: 3, Arg: r},
			{Kind: transitions.OpMprotect, Start: 1, End: 2, Arg: rw},
			{Kind: transitions.OpMprotect, Start: 1, End: 2, Arg: r},
		}, 3, 1},
		{"faulted-merges-unfaulted", 2, []transitions.Op{
			{Kind: transitions.OpMmap, Start: 0, End: 2, Arg: rw},
			{Kind: transitions.OpMadvise, Start: 1, End: 2, Arg: dontfork},
			{Kind: transitions.OpWrite, Start: 0},
			{Kind: transitions.OpMadvise, Start: 0, End: 1, Arg: dontfork},
		}, 2, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			counts := func(v *specs.Variant) []int {
				k := v.Kernel()
				s := transitions.Initial()
				k.S = &s
				sc := scope(c.pages, 1)
				var out []int
				for _, op := range c.ops {
					if _, err := k.Apply(op, &sc); err != nil || s.Bug != 0 || s.Warn != 0 {
						t.Fatalf("%s: %s: %v (bug %d, warn %d)", v.Name, op, err, s.Bug, s.Warn)
					}
					out = append(out, int(s.MMs[0].MapCount))
				}
				return out
			}
			old, now := counts(specs.V61), counts(specs.V618)
			last := len(c.ops) - 1
			for i := range c.ops[:last] {
				if old[i] != now[i] {
					t.Errorf("step %d: v6.1 has %d VMAs, v6.18 %d; want them equal before the last step", i+1, old[i], now[i])
				}
			}
			if old[last] != c.v61 || now[last] != c.v618 {
				t.Errorf("last step: v6.1 has %d VMAs, v6.18 %d; want %d and %d", old[last], now[last], c.v61, c.v618)
			}
		})
	}
}
