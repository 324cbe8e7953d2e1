package run

import (
	"bytes"
	"encoding/gob"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"time"

	"anoncheck/check"
	"anoncheck/specs"
	"anoncheck/state"
	"anoncheck/traces"
	"anoncheck/transitions"
	"anoncheck/version"
)

// Sharded runs. Config.Shard splits each variant's run into parts (see
// check.Shard) that separate processes or machines run, each writing a
// part file; Merge folds the files back into the run they split: the same
// states per depth (the union of the parts' fingerprints, each at its
// smallest depth), the same verdicts, and for each property the shortest
// violation over the parts, as one run finds.

// PartFormat and PartVersion identify a part file.
const (
	PartFormat  = "anoncheck-part"
	PartVersion = 1
)

// Part is what a part of a sharded run writes: enough to merge it with
// the others and to rebuild its traces.
type Part struct {
	Format   string
	Version  int
	Tool     string // the build that wrote it (version.String); empty in older files
	Variant  string
	Config   string // the model's configuration digest, bound included
	Pages    int
	Procs    int
	Prots    []uint8
	Ops      uint8
	Symmetry uint8
	Bound    int
	Props    []string
	// FailAlloc is the scope's --fail-alloc; absent (0) from the part
	// files of runs without it.
	FailAlloc int

	Index, Count int
	SplitDepth   int
	Complete     bool
	Stop         Stop
	Setup        int
	PerDepth     []int
	Transitions  int
	Elapsed      time.Duration
	Violations   []PartViolation
	Counts       []uint64
	Fingerprints []uint64
}

// PartViolation is a property's first violation in a part.
type PartViolation struct {
	Property string
	Depth    int
	Path     []check.Step
}

// part turns a run of one part into its file's contents.
func (r *Run) part() *Part {
	m, res := r.Model, &r.Result
	p := &Part{Format: PartFormat, Version: PartVersion, Tool: version.String(), Variant: r.Variant.Name, Config: m.ConfigDigest(r.cfg.Bound),
		Pages: m.Scope.Pages, Procs: m.Scope.Procs, Ops: uint8(m.Scope.Ops), Symmetry: uint8(m.Symmetry), Bound: r.cfg.Bound,
		FailAlloc: m.Scope.FailAlloc,
		Index:     r.cfg.Shard.Index, Count: r.cfg.Shard.Count, SplitDepth: res.SplitDepth, Complete: res.Complete, Stop: r.Stop,
		Setup: res.Stats.Setup, PerDepth: res.Stats.PerDepth, Transitions: res.Stats.Transitions, Elapsed: res.Stats.Elapsed,
		Counts: res.Counts, Fingerprints: res.Fingerprints}
	for _, pr := range m.Scope.Prots {
		p.Prots = append(p.Prots, uint8(pr))
	}
	for i, pr := range r.Props {
		p.Props = append(p.Props, pr.Name)
		if res.Violated(i) {
			p.Violations = append(p.Violations, PartViolation{Property: pr.Name, Depth: res.Violations[i].Depth, Path: res.Violations[i].Path})
		}
	}
	return p
}

// IsPart reports whether the run is one part of a sharded run, whose
// verdicts speak for that part only.
func (r *Run) IsPart() bool { return r.cfg.Shard.Count > 1 }

// WritePart writes the run's part file to path, whole or not at all.
func (r *Run) WritePart(path string) error {
	return traces.WriteFileAtomic(path, func(w io.Writer) error { return gob.NewEncoder(w).Encode(r.part()) })
}

// ReadPart reads a part file.
func ReadPart(path string) (*Part, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var p Part
	if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&p); err != nil || p.Format != PartFormat {
		return nil, fmt.Errorf("%s: not a part file of a sharded run (%v)", path, err)
	}
	if p.Version != PartVersion {
		return nil, fmt.Errorf("%s: part file version %d; this anoncheck reads version %d", path, p.Version, PartVersion)
	}
	if p.Count < 2 || p.Index < 0 || p.Index >= p.Count || len(p.Fingerprints) != sum(p.PerDepth) {
		return nil, fmt.Errorf("%s: a damaged part file (part %d of %d, %d fingerprints for %d states)",
			path, p.Index, p.Count, len(p.Fingerprints), sum(p.PerDepth))
	}
	return &p, nil
}

// Merge folds the parts of sharded runs, one or more variants' with n
// parts each, into the outcome one unsharded run of each would have: runs
// in the order of the variants' first parts. The parts give the scope,
// symmetry and bound; cfg gives the rest (Shrink) for the traces.
func Merge(cfg *Config, parts []*Part) (*Outcome, error) {
	byVariant := map[string][]*Part{}
	var order []string
	for _, p := range parts {
		if _, ok := byVariant[p.Variant]; !ok {
			order = append(order, p.Variant)
		}
		byVariant[p.Variant] = append(byVariant[p.Variant], p)
	}
	sort.SliceStable(order, func(i, j int) bool { return variantRank(order[i]) < variantRank(order[j]) })
	out := &Outcome{}
	for _, name := range order {
		r, err := cfg.merge(byVariant[name])
		if err != nil {
			return nil, err
		}
		out.Runs = append(out.Runs, r)
	}
	return out, nil
}

// merge folds one variant's parts.
func (c *Config) merge(parts []*Part) (*Run, error) {
	first := parts[0]
	v, err := specs.Lookup(first.Variant)
	if err != nil {
		return nil, err
	}
	sc := transitions.DefaultScope()
	sc.Pages, sc.Procs, sc.Ops, sc.FailAlloc = first.Pages, first.Procs, transitions.OpSet(first.Ops), first.FailAlloc
	sc.Prots = nil
	for _, p := range first.Prots {
		sc.Prots = append(sc.Prots, transitions.Prot(p))
	}
	cfg := *c
	cfg.Scope, cfg.Bound, cfg.Symmetry = sc, first.Bound, state.Symmetry(first.Symmetry)
	m := cfg.Model(v)
	if d := m.ConfigDigest(first.Bound); d != first.Config {
		return nil, fmt.Errorf("the parts of %s were written by another version of the model, %s (configuration %s; %s computes %s)",
			v.Name, toolOf(first), first.Config, version.String(), d)
	}
	seen := make([]bool, first.Count)
	for _, p := range parts {
		if p.Config != first.Config || p.Count != first.Count || !slices.Equal(p.Props, first.Props) {
			return nil, fmt.Errorf("the parts of %s are of different runs (configuration %s in %d parts, written by %s, and %s in %d, written by %s)",
				v.Name, first.Config, first.Count, toolOf(first), p.Config, p.Count, toolOf(p))
		}
		if seen[p.Index] {
			return nil, fmt.Errorf("part %d/%d of %s is given twice", p.Index, p.Count, v.Name)
		}
		seen[p.Index] = true
	}
	for i, ok := range seen {
		if !ok {
			return nil, fmt.Errorf("part %d/%d of %s is missing: merge needs all %d parts", i, first.Count, v.Name, first.Count)
		}
	}
	props := make([]*specs.Property, len(first.Props))
	for i, name := range first.Props {
		if props[i], err = specs.LookupProperty(name); err != nil {
			return nil, err
		}
	}
	r := &Run{Variant: v, Model: m, Props: props, cfg: &cfg}
	res := &r.Result
	res.Complete = true
	res.Violations = make([]check.Violation, len(props))
	type entry struct {
		fp    uint64
		depth int32
	}
	var all []entry
	for _, p := range parts {
		idx := 0
		for d, n := range p.PerDepth {
			for j := 0; j < n; j++ {
				all = append(all, entry{p.Fingerprints[idx], int32(d)})
				idx++
			}
		}
		res.Complete = res.Complete && p.Complete
		if !p.Complete && r.Stop == Finished {
			r.Stop = p.Stop
		}
		res.Stats.Transitions += p.Transitions
		res.Stats.Elapsed = max(res.Stats.Elapsed, p.Elapsed)
		res.Stats.Setup = p.Setup
		res.Counts = addTo(res.Counts, p.Counts)
		for _, pv := range p.Violations {
			i := slices.Index(first.Props, pv.Property)
			if v := &res.Violations[i]; v.Path == nil || pv.Depth < v.Depth {
				*v = check.Violation{Property: i, Depth: pv.Depth, Path: pv.Path}
			}
		}
	}
	// Each state once, at the smallest depth any part met it.
	sort.Slice(all, func(i, j int) bool {
		if all[i].fp != all[j].fp {
			return all[i].fp < all[j].fp
		}
		return all[i].depth < all[j].depth
	})
	for i, e := range all {
		if i > 0 && all[i-1].fp == e.fp {
			continue
		}
		for len(res.Stats.PerDepth) <= int(e.depth) {
			res.Stats.PerDepth = append(res.Stats.PerDepth, 0)
		}
		res.Stats.PerDepth[e.depth]++
		res.Stats.States++
	}
	res.Stats.Depth = len(res.Stats.PerDepth) - 1
	if res.Complete {
		res.Stop = check.Exhausted
	} else {
		res.Stop = check.Cancelled
	}
	return r, nil
}

// toolOf names the build that wrote part p.
func toolOf(p *Part) string {
	if p.Tool == "" {
		return "an anoncheck that did not record its version"
	}
	return p.Tool
}

// variantRank is a variant's place in specs.All.
func variantRank(name string) int {
	for i, v := range specs.All() {
		if v.Name == name {
			return i
		}
	}
	return len(specs.All())
}

// addTo adds counts to sum.
func addTo(sum, counts []uint64) []uint64 {
	if sum == nil && counts != nil {
		sum = make([]uint64, len(counts))
	}
	for i, n := range counts {
		sum[i] += n
	}
	return sum
}

func sum(xs []int) int {
	n := 0
	for _, x := range xs {
		n += x
	}
	return n
}
