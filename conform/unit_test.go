package conform

import (
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"anoncheck/state"
	"anoncheck/traces"
	"anoncheck/transitions"
)

// TestRandomSequencesAreReproducible: run i of seed S is one sequence,
// whatever else was drawn before it.
func TestRandomSequencesAreReproducible(t *testing.T) {
	v := v618(t)
	sc := transitions.DefaultScope()
	sc.Pages, sc.Procs = 4, 3
	sc.Ops = transitions.DefaultOps | 1<<transitions.OpMremap
	m := newModel(v, &sc)
	var seqs []*Sequence
	for i := 0; i < 50; i++ {
		s, err := m.randomSequence(7, i, 25)
		if err != nil {
			t.Fatal(err)
		}
		seqs = append(seqs, s)
	}
	m2 := newModel(v, &sc)
	for _, i := range []int{49, 3, 17} {
		s, err := m2.randomSequence(7, i, 25)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(s.Ops, seqs[i].Ops) {
			t.Errorf("run %d differs when drawn alone", i)
		}
	}
	kinds := map[transitions.OpKind]int{}
	for _, s := range seqs {
		if len(s.Ops) != 25 && !s.Cut {
			t.Errorf("run %d has %d operations, want 25", s.Index, len(s.Ops))
		}
		for i, op := range s.Ops {
			kinds[op.Kind]++
			if op.Kind == transitions.OpFork && s.Results[i].Child < 0 {
				t.Errorf("run %d step %d: a fork without a child slot", s.Index, i+1)
			}
		}
	}
	for _, k := range transitions.OpKinds() {
		if sc.Ops.Has(k) && kinds[k] == 0 {
			t.Errorf("50 runs never drew %s", k)
		}
	}
}

// TestBoundSequences: every sequence of the bound's length, each once, in
// a fixed order, each step enabled in the state before it.
func TestBoundSequences(t *testing.T) {
	sc := transitions.DefaultScope()
	sc.Pages, sc.Procs = 1, 2
	m := newModel(v618(t), &sc)
	seen := map[string]bool{}
	var order []string
	err := m.boundSequences(2, func(s *Sequence) bool {
		key := ""
		for i, op := range s.Ops {
			key += op.String() + ";"
			en := Enabled(&sc, s.before(i), nil)
			if !slices.Contains(en, op) {
				t.Errorf("%s: step %d is not enabled", key, i+1)
			}
		}
		if seen[key] {
			t.Errorf("%s twice", key)
		}
		seen[key] = true
		order = append(order, key)
		if s.Index != len(order)-1 {
			t.Errorf("%s: index %d, want %d", key, s.Index, len(order)-1)
		}
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	// From an empty address space P1 may mmap r or rw, fork or exit.
	first := Enabled(&sc, func() *state.State { s := transitions.Initial(); return &s }(), nil)
	if len(first) != 4 {
		t.Errorf("enabled first: %v", first)
	}
	if len(order) < 20 {
		t.Errorf("only %d sequences", len(order))
	}
	var again []string
	m.boundSequences(2, func(s *Sequence) bool {
		key := ""
		for _, op := range s.Ops {
			key += op.String() + ";"
		}
		again = append(again, key)
		return true
	})
	if !slices.Equal(order, again) {
		t.Errorf("the order changed between two enumerations")
	}
}

// TestEnabledAddsNonFaultingWrites: a page with a writable PTE is written
// too (the kernel must take no fault), though the explorer leaves it out.
func TestEnabledAddsNonFaultingWrites(t *testing.T) {
	sc := transitions.DefaultScope()
	sc.Pages, sc.Procs = 1, 1
	m := newModel(v618(t), &sc)
	seq, err := m.replaySequence([]transitions.Op{
		{Kind: transitions.OpMmap, Start: 0, End: 1, Arg: uint8(transitions.ProtRead | transitions.ProtWrite)},
		{Kind: transitions.OpWrite, Start: 0},
	})
	if err != nil {
		t.Fatal(err)
	}
	s := &seq.States[1]
	w := transitions.Op{Kind: transitions.OpWrite, Start: 0}
	if acts := sc.Actions(s, false, nil); slices.Contains(acts, w.Encode()) {
		t.Fatalf("the explorer enables %s over a writable PTE", w)
	}
	if !slices.Contains(Enabled(&sc, s, nil), w) {
		t.Errorf("conform does not write the page with a writable PTE")
	}
}

// TestFileRoundTrip: a finding written and read back gives the same
// operations, scope and differences.
func TestFileRoundTrip(t *testing.T) {
	v := v618(t)
	sc := transitions.DefaultScope()
	sc.Pages, sc.Procs = 4, 3
	m := newModel(v, &sc)
	seq, err := m.randomSequence(3, 11, 25)
	if err != nil {
		t.Fatal(err)
	}
	cfg := &Config{Variant: v, Scope: sc, Seed: 3}
	f := &Finding{Seq: seq, Diffs: []Difference{{Step: 25, Op: seq.Ops[24], Proc: 1, Slot: 2, Field: FieldSharing, Model: "not shared", Kernel: "shared with P1@2"}}}
	b, err := EncodeFile(fileOf(cfg, Machine{Release: "6.18.44 x86_64"}, false, f))
	if err != nil {
		t.Fatal(err)
	}
	path := t.TempDir() + "/f.json"
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	file, v2, sc2, ops, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if v2 != v || sc2.Pages != 4 || sc2.Procs != 3 || !reflect.DeepEqual(ops, seq.Ops) {
		t.Errorf("read back %s %v %v", v2.Name, sc2, ops)
	}
	if file.Seed != 3 || file.Run != 11 || file.Mode != "random" || len(file.Differences) != 1 ||
		file.Differences[0].Proc != 2 || *file.Differences[0].Page != 2 || file.Differences[0].Field != "sharing" {
		t.Errorf("file: %+v", file)
	}
	if note := modelNote(file, seq); note != "" {
		t.Errorf("the model's own results noted as changed: %s", note)
	}
	for _, bad := range []string{`{}`, `{"format":"anoncheck-conform","version":2}`, `{"format":"anoncheck-conform","version":1,"variant":"v6.18","steps":[]}`} {
		if _, err := DecodeFile([]byte(bad)); err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
}

// TestKnownMatches: the known difference matches the step it explains and
// no other.
func TestKnownMatches(t *testing.T) {
	v := v618(t)
	sc := transitions.DefaultScope()
	sc.Pages, sc.Procs = 1, 2
	m := newModel(v, &sc)
	rw := uint8(transitions.ProtRead | transitions.ProtWrite)
	// A page mapped once that is not PageAnonExclusive (its sharer
	// exited): the write reuses it through wp_can_reuse_anon_folio().
	seq, err := m.replaySequence([]transitions.Op{
		{Kind: transitions.OpMmap, Start: 0, End: 1, Arg: rw},
		{Kind: transitions.OpWrite, Start: 0},
		{Kind: transitions.OpFork},
		{Kind: transitions.OpExit, Proc: 1},
		{Kind: transitions.OpWrite, Start: 0},
	})
	if err != nil {
		t.Fatal(err)
	}
	obs := &Obs{}
	obs.Procs[0].Live = true
	obs.Procs[0].PM[0] = pmPresent | pmExclusive | 1234
	d := Difference{Step: 5, Op: seq.Ops[4], Proc: 0, Slot: 0, Field: FieldIdentity, Model: identityText(true), Kernel: identityText(false)}
	c := &comparer{pages: 1, procs: 2, pfn: true}
	if got := c.classify(seq, 4, []Difference{d}, obs, nil); got[0].Known == nil || got[0].Known.ID != "extra-reference-copy" {
		t.Errorf("the copy of a reusable page is not the known difference")
	}
	// The first write's page was new: nothing known about it.
	d1 := d
	d1.Step, d1.Op = 2, seq.Ops[1]
	if got := c.classify(seq, 1, []Difference{d1}, obs, nil); got[0].Known != nil {
		t.Errorf("step 2 classified as %s", got[0].Known.ID)
	}
	// The reverse (a reuse where the model copies) is not it.
	d2 := d
	d2.Model, d2.Kernel = d.Kernel, d.Model
	if got := c.classify(seq, 4, []Difference{d2}, obs, nil); got[0].Known != nil {
		t.Errorf("a reuse where the model copies classified as %s", got[0].Known.ID)
	}
	// Another field is not it.
	d3 := d
	d3.Field = FieldSharing
	if got := c.classify(seq, 4, []Difference{d3}, obs, nil); got[0].Known != nil {
		t.Errorf("a sharing difference classified as %s", got[0].Known.ID)
	}
}

// TestKnownDocumented: docs/CONFORM.md lists every known difference with
// its field, and lists no other.
func TestKnownDocumented(t *testing.T) {
	b, err := os.ReadFile("../docs/CONFORM.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	for _, k := range KnownDifferences() {
		if !strings.Contains(doc, "| `"+k.ID+"` | "+k.Field.String()+" |") {
			t.Errorf("docs/CONFORM.md has no table row for known difference %s (field %s)", k.ID, k.Field)
		}
		if k.Reason == "" || k.Summary == "" {
			t.Errorf("%s: no reason or summary", k.ID)
		}
	}
	_, section, ok := strings.Cut(doc, "\n## Known differences\n")
	if !ok {
		t.Fatal(`docs/CONFORM.md has no "## Known differences" section`)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	rows := 0
	for _, line := range strings.Split(section, "\n") {
		if strings.HasPrefix(line, "| `") {
			rows++
		}
	}
	if rows != len(KnownDifferences()) {
		t.Errorf("docs/CONFORM.md's table has %d rows, the tool %d known differences", rows, len(KnownDifferences()))
	}
}

// TestStepFileRoundTrip: traces.StepFile and File.Ops agree on every kind.
func TestStepFileRoundTrip(t *testing.T) {
	ops := []transitions.Op{
		{Kind: transitions.OpMmap, Proc: 1, Start: 0, End: 2, Arg: 3},
		{Kind: transitions.OpWrite, Proc: 0, Start: 1},
		{Kind: transitions.OpMprotect, Start: 1, End: 2, Arg: 1},
		{Kind: transitions.OpMadvise, Start: 0, End: 1, Arg: uint8(transitions.MadvWipeOnFork)},
		{Kind: transitions.OpMunmap, Proc: 2, Start: 0, End: 1},
		{Kind: transitions.OpFork, Proc: 1},
		{Kind: transitions.OpExit, Proc: 2},
	}
	var s state.State
	f := &traces.File{}
	for _, op := range ops {
		f.Steps = append(f.Steps, traces.StepFile(op, 0, &s))
	}
	got, _, err := f.Ops()
	if err != nil || !reflect.DeepEqual(got, ops) {
		t.Errorf("got %v (%v), want %v", got, err, ops)
	}
}

// TestRestrict: every kind and advice of the default scope is performed
// today; one the executor lacks is left out and named.
func TestRestrict(t *testing.T) {
	sc := transitions.DefaultScope()
	if left := Restrict(&sc); len(left) != 0 || sc.Ops != 0 {
		t.Errorf("the default scope loses %v (ops %s)", left, sc.Ops)
	}
	sc.Advices = append(sc.Advices, transitions.Advice(99))
	if left := Restrict(&sc); len(left) != 1 || len(sc.Advices) != 4 {
		t.Errorf("an unknown advice: left %v, advices %v", left, sc.Advices)
	}
	if err := checkScope(&sc); err != nil {
		t.Errorf("the restricted scope is refused: %v", err)
	}
}
