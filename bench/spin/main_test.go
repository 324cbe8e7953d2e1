package main

import (
	"context"
	"strings"
	"testing"

	"anoncheck/check"
	"anoncheck/state"
	"anoncheck/transitions"
)

// TestDumpTellsStatesApart runs the recorder at a small scope and checks
// that no two distinct states share a dumped line: comparing model.pml's
// lines with these is then comparing the states.
func TestDumpTellsStatesApart(t *testing.T) {
	for _, sym := range []string{"off", "objects"} {
		m, err := model("v5.4", 1, 2, "r,rw", "write,mprotect,munmap,fork,exit", sym)
		if err != nil {
			t.Fatal(err)
		}
		rec := &recorder{m: m, keep: true}
		res := check.Run[state.State](context.Background(), rec, check.Config[state.State]{})
		if !res.Complete {
			t.Fatalf("symmetry %s: run incomplete: %v", sym, res.Stop)
		}
		if len(rec.seen) != res.Stats.States {
			t.Fatalf("symmetry %s: recorded %d states, the explorer found %d", sym, len(rec.seen), res.Stats.States)
		}
		lines := rec.lines(&m.Scope, capacities{vmas: 2, avs: state.MaxAnonVMAs, pages: 2, chain: state.MaxChain})
		distinct := map[string]bool{}
		for _, l := range lines {
			distinct[l] = true
		}
		if len(distinct) != res.Stats.States {
			t.Fatalf("symmetry %s: %d states but %d distinct lines", sym, res.Stats.States, len(distinct))
		}
	}
}

// TestDumpLineShowsEachField changes one field model.pml carries at a
// time and checks that the line changes.
func TestDumpLineShowsEachField(t *testing.T) {
	base := sample(t)
	sc := transitions.Scope{Pages: 2, Procs: 2}
	c := capacities{vmas: 4, avs: 4, pages: 4, chain: 4}
	want := dumpLine(&base, &sc, c)
	for name, change := range map[string]func(s *state.State){
		"live":            func(s *state.State) { s.MMs[1].Live = 1 },
		"mmap":            func(s *state.State) { s.MMs[0].Mmap = 3 },
		"mapcount":        func(s *state.State) { s.MMs[0].MapCount++ },
		"pte":             func(s *state.State) { s.PT[0][1] ^= state.PTEWrite },
		"vma mm":          func(s *state.State) { s.VMAs[0].MM = 2 },
		"start":           func(s *state.State) { s.VMAs[0].Start++ },
		"end":             func(s *state.State) { s.VMAs[0].End++ },
		"pgoff":           func(s *state.State) { s.VMAs[0].Pgoff++ },
		"flags":           func(s *state.State) { s.VMAs[0].Flags ^= state.VMAccount },
		"anon_vma":        func(s *state.State) { s.VMAs[0].AnonVMA = 2 },
		"prev":            func(s *state.State) { s.VMAs[0].Prev = 2 },
		"next":            func(s *state.State) { s.VMAs[0].Next = 2 },
		"nchain":          func(s *state.State) { s.VMAs[0].NChain++ },
		"chain":           func(s *state.State) { s.VMAs[0].Chain[0] = 2 },
		"tree":            func(s *state.State) { s.AnonVMAs[0].Tree ^= 2 },
		"status":          func(s *state.State) { s.AnonVMAs[0].Status = state.AVFreed },
		"root":            func(s *state.State) { s.AnonVMAs[0].Root = 2 },
		"parent":          func(s *state.State) { s.AnonVMAs[0].Parent = 2 },
		"refcount":        func(s *state.State) { s.AnonVMAs[0].Refcount++ },
		"degree":          func(s *state.State) { s.AnonVMAs[0].Degree++ },
		"used":            func(s *state.State) { s.Pages[1].Used = 1 },
		"mapping":         func(s *state.State) { s.Pages[0].Mapping = 2 },
		"index":           func(s *state.State) { s.Pages[0].Index++ },
		"page mapcount":   func(s *state.State) { s.Pages[0].Mapcount++ },
		"bug":             func(s *state.State) { s.Bug = 1 },
		"warn":            func(s *state.State) { s.Warn = 1 },
		"overflow":        func(s *state.State) { s.Overflow = 1 },
		"latent":          func(s *state.State) { s.Latent = 1 },
		"slot beyond cap": func(s *state.State) { s.VMAs[6].MM = 1 },
	} {
		s := base
		change(&s)
		if got := dumpLine(&s, &sc, c); got == want {
			t.Errorf("changing %s leaves the line unchanged: %s", name, got)
		}
	}
}

// TestDumpLineOmitsUnusedSlotsBeyondCapacity: unused slots past the
// capacities are not printed, as model.pml has no such slots.
func TestDumpLineOmitsUnusedSlotsBeyondCapacity(t *testing.T) {
	s := sample(t)
	sc := transitions.Scope{Pages: 2, Procs: 2}
	line := dumpLine(&s, &sc, capacities{vmas: 4, avs: 4, pages: 4, chain: 4})
	for _, absent := range []string{" v5=", " a5=", " p5="} {
		if strings.Contains(line, absent) {
			t.Errorf("line shows %q beyond the capacities: %s", absent, line)
		}
	}
	for _, present := range []string{" v4=", " a4=", " p4="} {
		if !strings.Contains(line, present) {
			t.Errorf("line lacks %q within the capacities: %s", present, line)
		}
	}
}

// sample is P1 after mmap([0,2), rw) and a write to page 0.
func sample(t *testing.T) state.State {
	t.Helper()
	m, err := model("v5.4", 2, 2, "r,rw", "all", "off")
	if err != nil {
		t.Fatal(err)
	}
	k := m.Variant.Kernel()
	s := transitions.Initial()
	k.S = &s
	for _, op := range []transitions.Op{
		{Kind: transitions.OpMmap, Start: 0, End: 2, Arg: uint8(transitions.ProtRead | transitions.ProtWrite)},
		{Kind: transitions.OpWrite, Start: 0},
	} {
		if res, err := k.Apply(op, &m.Scope); err != nil || res.Errno != 0 {
			t.Fatalf("%v: %v, errno %d", op, err, res.Errno)
		}
	}
	if s.VMAs[0].AnonVMA == state.NoAV || s.Pages[0].Used == 0 {
		t.Fatalf("sample state has no anon_vma or page: %+v", s)
	}
	return s
}
