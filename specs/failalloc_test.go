package specs_test

import (
	"slices"
	"testing"

	"anoncheck/specs"
	"anoncheck/state"
	"anoncheck/traces"
	"anoncheck/transitions"
)

// TestFailAllocZeroChangesNothing pins what a run without --fail-alloc
// explores, as it was before allocation failures were modelled: the
// states per depth and the transitions of v5.4, v6.1 and v6.18 at the
// default scope to bound 3. Injected failures are enumerated only when the
// scope lets some fail, and a state that spent none of a budget hashes as
// it did before the budget existed; if either leaked into a default run,
// these counts (or TestGolden's digests) would move.
func TestFailAllocZeroChangesNothing(t *testing.T) {
	for _, c := range []struct {
		v           *specs.Variant
		perDepth    []int
		transitions int
	}{
		{specs.V54, []int{1445, 1340, 19415, 121726}, 833178},
		{specs.V61, []int{1045, 1046, 15110, 87247}, 637530},
		{specs.V618, []int{801, 802, 11976, 67274}, 514177},
	} {
		t.Run(c.v.Name, func(t *testing.T) {
			res, _ := explore(t, c.v, scope(2, 2), 3)
			if !slices.Equal(res.Stats.PerDepth, c.perDepth) || res.Stats.Transitions != c.transitions {
				t.Errorf("states per depth %v, %d transitions; want %v, %d", res.Stats.PerDepth, res.Stats.Transitions,
					c.perDepth, c.transitions)
			}
			for i := range specs.Properties() {
				if res.Violated(i) && !specs.Properties()[i].Advisory {
					t.Errorf("%s violated", specs.Properties()[i].Name)
				}
			}
		})
	}
}

// TestFailAllocActions checks the enumeration of injected failures: none
// in setup or without a budget; otherwise each operation once more per
// allocation it makes, and Kernel.Enabled agrees with Kernel.Actions.
func TestFailAllocActions(t *testing.T) {
	k := specs.V54.Kernel()
	sc := scope(2, 2)
	s := transitions.Initial()
	k.S = &s
	apply := func(op transitions.Op) {
		t.Helper()
		if _, err := k.Apply(op, &sc); err != nil {
			t.Fatal(err)
		}
	}
	apply(transitions.Op{Kind: transitions.OpMmap, Start: 0, End: 2, Arg: uint8(transitions.ProtRead | transitions.ProtWrite)})
	apply(transitions.Op{Kind: transitions.OpWrite, Start: 0})
	base := sc.Actions(&s, false, nil)
	if got := k.Actions(&sc, &s, false, nil); !slices.Equal(got, base) {
		t.Errorf("with fail-alloc 0, Kernel.Actions adds %d actions to Scope.Actions", len(got)-len(base))
	}
	sc.FailAlloc = 1
	if got := k.Actions(&sc, &s, true, nil); !slices.Equal(got, sc.Actions(&s, true, nil)) {
		t.Errorf("setup actions include injected failures")
	}
	got := k.Actions(&sc, &s, false, nil)
	if !slices.Equal(got[:len(base)], base) {
		t.Fatalf("the operations without a failure do not come first")
	}
	fork := transitions.Op{Kind: transitions.OpFork}
	want := 0
	for _, a := range base {
		want += k.Allocations(transitions.DecodeOp(a), &s, &sc)
	}
	if len(got)-len(base) != want {
		t.Errorf("%d actions with a failure, want %d (the operations' allocations)", len(got)-len(base), want)
	}
	// fork of one faulted VMA: vm_area_dup, the clone's AVC, anon_vma, AVC.
	for f := 1; f <= 5; f++ {
		op := fork.WithFail(uint8(f))
		in := slices.Contains(got, op.Encode())
		if in != (f <= 4) || k.Enabled(&sc, &s, false, op, base) != in {
			t.Errorf("fork with allocation %d failing: enumerated %v, enabled %v; want %v", f, in, !in, f <= 4)
		}
		if transitions.DecodeOp(op.Encode()) != op {
			t.Errorf("%v does not survive its encoding", op)
		}
	}
	// The model's worker enumerates the same actions, and its successors
	// (those of operations without a failure kept from the counting run)
	// are those Apply computes.
	w := (&specs.Model{Variant: specs.V54, Scope: sc}).NewWorker()
	if wa := w.Actions(&s, false, nil); !slices.Equal(wa, got) {
		t.Errorf("the worker enumerates %d actions, Kernel.Actions %d", len(wa), len(got))
	}
	for _, a := range got {
		var out state.State
		ok := w.Next(&s, a, &out)
		c := s
		k2 := specs.V54.Kernel()
		k2.S = &c
		_, err := k2.Apply(transitions.DecodeOp(a), &sc)
		var want state.State
		state.SymFull.Canonical(&want, &c)
		if ok && (err != nil || out != want) {
			t.Errorf("%v: the worker's successor differs from Apply's", transitions.DecodeOp(a))
		}
		if !ok && err == nil && c != s && transitions.DecodeOp(a).Fail == 0 {
			t.Errorf("%v: the worker dropped a successor Apply computes", transitions.DecodeOp(a))
		}
	}
	apply(fork.WithFail(2))
	if s.FailedAllocs != 1 {
		t.Fatalf("FailedAllocs %d after an injected failure, want 1", s.FailedAllocs)
	}
	if got := k.Actions(&sc, &s, false, nil); !slices.Equal(got, sc.Actions(&s, false, nil)) {
		t.Errorf("injected failures enumerated with the budget spent")
	}
	if _, err := k.Apply(fork.WithFail(1), &sc); err == nil {
		t.Errorf("Apply took a failure beyond the budget")
	}
}

// cloneForgetsUnlink is anon_vma_clone() whose enomem_failure forgets
// unlink_anon_vmas(dst): the AVCs linked before the failing allocation stay
// in their anon_vmas' interval trees when the caller frees dst. The
// mutation only shows when an allocation fails.
func cloneForgetsUnlink(f *transitions.Funcs) {
	clone := f.AnonVMAClone
	f.AnonVMAClone = func(k *kernel, dst, src vmaID) int {
		unlink := k.F.UnlinkAnonVMAs
		k.F.UnlinkAnonVMAs = func(*kernel, vmaID) {} // only enomem_failure calls it in here
		defer func() { k.F.UnlinkAnonVMAs = unlink }()
		return clone(k, dst, src)
	}
}

// cloneKeepsAnonVMA is anon_vma_clone() whose enomem_failure does not drop
// dst->anon_vma before unlink_anon_vmas(dst), the line the kernel's
// comment explains: "otherwise its degree [num_active_vmas in 6.x] can be
// incorrectly decremented in unlink_anon_vmas()". A split's copy carries
// the original's anon_vma, which then loses a count it never gave the
// copy.
func cloneKeepsAnonVMA(f *transitions.Funcs) {
	clone := f.AnonVMAClone
	f.AnonVMAClone = func(k *kernel, dst, src vmaID) int {
		had := k.VMA(dst).AnonVMA
		unlink := k.F.UnlinkAnonVMAs
		k.F.UnlinkAnonVMAs = func(k *kernel, v vmaID) { // only enomem_failure calls it in here
			k.VMA(v).AnonVMA = had
			unlink(k, v)
		}
		defer func() { k.F.UnlinkAnonVMAs = unlink }()
		return clone(k, dst, src)
	}
}

// TestFailAllocBrokenUnwindCaught checks that a deliberately broken unwind
// is caught once allocations may fail, and only then, in v5.4 and v6.18:
//
//   - without unlink_anon_vmas() on anon_vma_clone()'s failure path, a
//     split whose copy fails at its second AVC frees the copy while it is
//     still in its parent's anon_vma's interval tree (no-freed-anon-vma,
//     through vm_area_free()'s dangling AVC), two operations after the
//     initial layout (a fork, so that the copy has two AVCs to make, then
//     the split);
//   - without dst->anon_vma = NULL there, the first failing split
//     decrements the original's degree or num_active_vmas
//     (counter-accounting), one operation after the layout.
//
// The shortest trace of the first shows the failure, replays from its
// JSON file, and holds under v5.4, whose unwind is whole.
func TestFailAllocBrokenUnwindCaught(t *testing.T) {
	for _, c := range []struct {
		name     string
		base     string
		mutation func(*transitions.Funcs)
		prop     string
		depth    int
		replay   bool
	}{
		{"clone-forgets-unlink", "v5.4", cloneForgetsUnlink, "no-freed-anon-vma", 2, true},
		{"clone-forgets-unlink-618", "v6.18", cloneForgetsUnlink, "no-freed-anon-vma", 2, false},
		{"clone-keeps-anon-vma", "v5.4", cloneKeepsAnonVMA, "counter-accounting", 1, false},
		{"clone-keeps-anon-vma-618", "v6.18", cloneKeepsAnonVMA, "counter-accounting", 1, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			v := &specs.Variant{Name: c.name, Follows: "test mutation of " + c.base, Base: c.base, Patch: c.mutation}
			p := specs.Properties()[propIndex(t, c.prop)]
			sc := scope(2, 2)
			if res := exploreFor(t, v, sc, 3, p); res.Violated(0) {
				t.Fatalf("the mutation is caught without --fail-alloc (depth %d): it should only show when an allocation fails", res.Violations[0].Depth)
			}
			sc.FailAlloc = 1
			res := exploreFor(t, v, sc, 3, p)
			if !res.Violated(0) {
				t.Fatalf("with --fail-alloc 1 the broken unwind is not caught")
			}
			if d := res.Violations[0].Depth; d != c.depth {
				t.Errorf("shortest violation at depth %d, want %d", d, c.depth)
			}
			tr, err := traces.FromPath(v, sc, p, res.Violations[0].Path)
			if err != nil {
				t.Fatal(err)
			}
			tr, err = traces.Shrink(tr)
			if err != nil {
				t.Fatal(err)
			}
			last := tr.Steps[len(tr.Steps)-1]
			if last.Op.Fail == 0 || last.Injected != transitions.AllocAnonVMAChain || last.Errno != transitions.ENOMEM {
				t.Errorf("the last step is %s, want one whose anon_vma_chain allocation fails with -ENOMEM", last.Syscall())
			}
			if c.replay {
				testReplayFailTrace(t, tr)
			}
		})
	}
}

// testReplayFailTrace writes tr as a trace file, reads it back, replays it
// and checks it as the replay command does; an edited failure number or
// site is refused; under v5.4 the same operations hold.
func testReplayFailTrace(t *testing.T, tr *traces.Trace) {
	t.Helper()
	data, err := traces.EncodeJSON(tr)
	if err != nil {
		t.Fatal(err)
	}
	replay := func(data []byte, v *specs.Variant) (*traces.Trace, *traces.File, error) {
		f, err := traces.DecodeJSON(data)
		if err != nil {
			return nil, nil, err
		}
		sc, err := f.ScopeValue()
		if err != nil {
			return nil, nil, err
		}
		ops, setup, err := f.Ops()
		if err != nil {
			return nil, nil, err
		}
		r, err := traces.Replay(v, sc, tr.Property, ops, setup)
		return r, f, err
	}
	r, f, err := replay(data, tr.Variant)
	if err != nil {
		t.Fatal(err)
	}
	if f.Scope.FailAlloc != 1 {
		t.Errorf("the file's scope has fail_alloc %d, want 1", f.Scope.FailAlloc)
	}
	if err := f.Check(r); err != nil {
		t.Errorf("replaying the file: %v", err)
	}
	if r.Holds() {
		t.Errorf("the replayed trace does not violate %s", tr.Property.Name)
	}
	n := len(f.Steps) - 1
	if f.Steps[n].FailAlloc == nil || *f.Steps[n].FailAlloc != int(tr.Steps[n].Op.Fail) || f.Steps[n].Injected != "anon_vma_chain_alloc" {
		t.Errorf("the file's last step: fail_alloc %v, injected %q", f.Steps[n].FailAlloc, f.Steps[n].Injected)
	}
	edited := *f
	edited.Steps = slices.Clone(f.Steps)
	site := "vm_area_dup"
	edited.Steps[n].Injected = site
	if err := edited.Check(r); err == nil {
		t.Errorf("a file naming another allocation site passed the check")
	}
	fail := *f.Steps[n].FailAlloc + 10
	edited.Steps[n].Injected, edited.Steps[n].FailAlloc = f.Steps[n].Injected, &fail
	ops, setup, err := edited.Ops()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := traces.Replay(tr.Variant, tr.Scope, tr.Property, ops, setup); err == nil {
		t.Errorf("a step whose operation makes fewer allocations than fail_alloc replayed")
	}
	if r, _, err := replay(data, specs.V54); err != nil || !r.Holds() {
		t.Errorf("under v5.4 the trace should replay and hold: %v", err)
	}
}
