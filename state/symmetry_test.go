package state_test

import (
	"fmt"
	"math/bits"
	"math/rand/v2"
	"testing"

	"anoncheck/state"
)

// permuteProcs moves process p to slot perm[p] in every field that names
// a process: the mm, its page table and each VMA's owner.
func permuteProcs(s *state.State, perm []int) state.State {
	d := *s
	for p := range s.MMs {
		d.MMs[perm[p]] = s.MMs[p]
		d.PT[perm[p]] = s.PT[p]
	}
	for i := range d.VMAs {
		if m := d.VMAs[i].MM; m != 0 {
			d.VMAs[i].MM = uint8(perm[m-1] + 1)
		}
	}
	return d
}

// TestCanonicalFullIgnoresProcessAndSlotNames checks that renaming
// processes and objects together does not change the full canonical form,
// and that renaming processes changes the object-only one for some state,
// or the test is not exercising process symmetry.
func TestCanonicalFullIgnoresProcessAndSlotNames(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	moved := 0
	for i, s := range randomStates(t, 600) {
		var c1, c2, o1, o2 state.State
		state.CanonicalFull(&c1, &s)
		p := permute(&s, r)
		p = permuteProcs(&p, r.Perm(state.MaxProcs))
		state.CanonicalFull(&c2, &p)
		if c1 != c2 || c1.Fingerprint() != c2.Fingerprint() {
			t.Fatalf("state %d: a renaming of processes and objects changed the full canonical form", i)
		}
		state.Canonical(&o1, &s)
		state.Canonical(&o2, &p)
		if o1 != o2 {
			moved++
		}
	}
	if moved == 0 {
		t.Fatal("no renaming moved a live process: the sample has no multi-process states")
	}
}

// TestCanonicalFullPermIsApplied checks that the full canonical form is a
// fixpoint, and that the permutation it returns is the one it applied:
// moving the processes by it and renumbering objects gives the same bytes.
func TestCanonicalFullPermIsApplied(t *testing.T) {
	for i, s := range randomStates(t, 400) {
		var c, cc, o state.State
		perm := state.CanonicalFull(&c, &s)
		state.CanonicalFull(&cc, &c)
		if c != cc {
			t.Fatalf("state %d: CanonicalFull is not idempotent", i)
		}
		pi := make([]int, state.MaxProcs)
		for p, q := range perm {
			pi[p] = int(q)
		}
		m := permuteProcs(&s, pi)
		state.Canonical(&o, &m)
		if o != c {
			t.Fatalf("state %d: the returned permutation %v is not the one applied", i, perm)
		}
		if inv := perm.Inverse(); inv[perm[1]] != 1 || inv[perm[0]] != 0 {
			t.Fatalf("state %d: Inverse of %v is %v", i, perm, inv)
		}
	}
}

// TestCanonicalFullMergesSwappedProcesses checks that full symmetry
// identifies states object renaming keeps apart: two processes with swapped
// address spaces.
func TestCanonicalFullMergesSwappedProcesses(t *testing.T) {
	n := 0
	for _, s := range randomStates(t, 400) {
		if s.LiveProcs() < 2 {
			continue
		}
		sw := permuteProcs(&s, []int{1, 0, 2, 3})
		var o1, o2, f1, f2 state.State
		state.Canonical(&o1, &s)
		state.Canonical(&o2, &sw)
		state.CanonicalFull(&f1, &s)
		state.CanonicalFull(&f2, &sw)
		if f1 != f2 {
			t.Fatal("swapping P1 and P2 changed the full canonical form")
		}
		if o1 != o2 {
			n++
		}
	}
	if n == 0 {
		t.Fatal("no sample state had two distinguishable processes")
	}
}

func TestParseSymmetry(t *testing.T) {
	for _, y := range []state.Symmetry{state.SymFull, state.SymObjects, state.SymOff} {
		got, err := state.ParseSymmetry(y.String())
		if err != nil || got != y {
			t.Fatalf("ParseSymmetry(%q) = %v, %v", y.String(), got, err)
		}
	}
	if _, err := state.ParseSymmetry("procs"); err == nil {
		t.Fatal("ParseSymmetry accepted an unknown level")
	}
}

func BenchmarkCanonicalFullFingerprint(b *testing.B) {
	t := &testing.T{}
	states := randomStates(t, 256)
	var c state.State
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		state.CanonicalFull(&c, &states[i%len(states)])
		_ = c.Fingerprint()
		i++
	}
}

// describe renders what each process holds without naming any slot: its
// VMAs in list order with the anon_vma each points at described by shape,
// and its page table with each page's fields and its mapping's shape.
func describe(s *state.State, p int) string {
	av := func(id state.AVID) string {
		if id == state.NoAV {
			return "-"
		}
		a := s.AV(id)
		return fmt.Sprintf("av(st%d ref%d deg%d root%t tree%d)", a.Status, a.Refcount, a.Degree, a.Root == id, bits.OnesCount16(a.Tree))
	}
	out := fmt.Sprintf("mm live%d count%d:", s.MMs[p].Live, s.MMs[p].MapCount)
	s.ForEachVMA(p, func(id state.VMAID) bool {
		v := s.VMA(id)
		out += fmt.Sprintf(" [%d,%d) pgoff%d %v %s chain", v.Start, v.End, v.Pgoff, v.Flags, av(v.AnonVMA))
		for j := uint8(0); j < v.NChain; j++ {
			out += " " + av(v.Chain[j])
		}
		return true
	})
	for a := 0; a < state.MaxSlots; a++ {
		if pte := s.PT[p][a]; pte.Page() != state.NoPage {
			pg := s.Page(pte.Page())
			out += fmt.Sprintf(" pte%d(w%t idx%d map%d fl%d %s)", a, pte.Writable(), pg.Index, pg.Mapcount, pg.Flags, av(pg.Mapping))
		}
	}
	return out
}

// TestCanonicalKeepsWhatEachProcessHolds checks that the canonical forms
// rename slots and nothing else: each process holds the same VMAs,
// anon_vmas and pages, by shape, before and after. (The renaming tests
// above cannot see a canonical form that is consistent but wrong.)
func TestCanonicalKeepsWhatEachProcessHolds(t *testing.T) {
	for i, s := range randomStates(t, 600) {
		var o, f state.State
		state.Canonical(&o, &s)
		perm := state.CanonicalFull(&f, &s)
		for p := 0; p < state.MaxProcs; p++ {
			want := describe(&s, p)
			if got := describe(&o, p); got != want {
				t.Fatalf("state %d, process %d: Canonical holds\n%s\nwant\n%s", i, p, got, want)
			}
			if got := describe(&f, int(perm[p])); got != want {
				t.Fatalf("state %d, process %d (now %d): CanonicalFull holds\n%s\nwant\n%s", i, p, perm[p], got, want)
			}
		}
	}
}
