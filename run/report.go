package run

import (
	"math"

	"anoncheck/specs"
	"anoncheck/transitions"
	"anoncheck/version"
)

// The JSON reports: what a command checked and found, as one JSON
// document on stdout (--format json), for CI scripts. Within a version
// the field names are stable: fields may be added, none is renamed,
// removed or given another meaning; such a change takes a new version.

// Formats and versions of the JSON reports.
const (
	ReportFormat      = "anoncheck-report" // Report
	ReportVersion     = 1
	HuntReportFormat  = "anoncheck-hunt" // HuntReport
	HuntReportVersion = 1
)

// Report is the main command's JSON report.
type Report struct {
	Format  string `json:"format"`  // "anoncheck-report"
	Version int    `json:"version"` // 1
	Tool    string `json:"tool"`    // the build, as anoncheck --version prints it
	// Exit is the command's exit status: 0 no violation and every run
	// finished, 1 a violation (whatever else was incomplete), 3 a run
	// incomplete and no violation.
	Exit       int              `json:"exit"`
	Bound      int              `json:"bound"` // operations after setup; 0: to the fixpoint
	Scope      ReportScope      `json:"scope"`
	Limits     ReportLimits     `json:"limits"`
	Properties []ReportProperty `json:"properties"` // the columns of the verdicts, in order
	Variants   []VariantReport  `json:"variants"`   // in the order checked
	// NotChecked are the variants a signal left unchecked.
	NotChecked []string `json:"not_checked"`
	// Files are the paths of every file written, in order: traces,
	// pages, part files, checkpoints.
	Files []string `json:"files"`
}

// ReportScope is the scope explored.
type ReportScope struct {
	Pages    int      `json:"pages"`
	Procs    int      `json:"procs"`
	Prots    []string `json:"prots"`    // "r", "rw", ...
	Ops      []string `json:"ops"`      // operation kinds explored after setup
	Symmetry string   `json:"symmetry"` // "full", "objects", "off"
}

// ReportLimits are the limits the runs were given; 0 is none.
type ReportLimits struct {
	MaxStates      int     `json:"max_states"`       // per variant's run
	TimeoutSeconds float64 `json:"timeout_seconds"`  // the whole command's, shared by the variants
	MaxMemoryBytes uint64  `json:"max_memory_bytes"` // Go heap during any run
}

// ReportProperty is a property checked.
type ReportProperty struct {
	Name      string `json:"name"`  // "rmap-reachable", ...
	Short     string `json:"short"` // the matrix's column header
	Kind      string `json:"kind"`  // "safety", "advisory" (never fails a run) or "self-check" (a model bug)
	Statement string `json:"statement"`
}

// VariantReport is one variant's run.
type VariantReport struct {
	Variant string `json:"variant"`
	Config  string `json:"config"` // the configuration digest the text report prints
	// Complete: every state within the bound was explored, and the
	// "holds" verdicts hold. An incomplete run's violations are real.
	Complete bool `json:"complete"`
	// Incomplete says why not: "stopped" (see stop), "capacity" (a state
	// outgrew the model), "vacuous" (no anon_vma was ever allocated: the
	// operations never reached the code the properties are about),
	// "part" (one part of a sharded run, whose verdicts anoncheck merge
	// gives).
	Incomplete []string `json:"incomplete"`
	// Stop is why the run ended: "finished", or "state-limit",
	// "memory-limit", "time-limit", "signal", "collision", "failed".
	Stop string `json:"stop"`
	Exit int    `json:"exit"` // the exit status this run alone calls for
	// Error is why the run could not go on or write its checkpoint;
	// absent if nothing went wrong.
	Error    string          `json:"error,omitempty"`
	Verdicts []VerdictReport `json:"verdicts"`
	Stats    StatsReport     `json:"stats"`
	Coverage CoverageReport  `json:"coverage"`
	// Traces are the files each violation's trace was written to (with
	// --out), in the order of the properties.
	Traces []TraceFiles `json:"traces"`
}

// VerdictReport is one property's verdict for one variant.
type VerdictReport struct {
	Property string `json:"property"`
	// Verdict is "holds" (to the bound, the run complete), "violated",
	// "unknown" (not violated in what an incomplete run explored), or
	// "not-reached" (the run was vacuous).
	Verdict string `json:"verdict"`
	// Depth is the number of operations after setup of the shortest
	// violation; absent unless violated.
	Depth *int `json:"depth,omitempty"`
}

// StatsReport is what a run explored.
type StatsReport struct {
	States         int     `json:"states"`
	InitialLayouts int     `json:"initial_layouts"`
	Transitions    int     `json:"transitions"`
	Depth          int     `json:"depth"`     // the deepest level explored to its end
	PerDepth       []int   `json:"per_depth"` // new states at each depth
	Seconds        float64 `json:"seconds"`
	HeapBytes      uint64  `json:"heap_bytes"`
	// CollisionBound bounds the probability that a fingerprint
	// collision hid a state (n²/2⁶⁵).
	CollisionBound float64 `json:"collision_bound"`
}

// CoverageReport is how often the run's transitions reached each point of
// the model, by name; every point modelled is listed, reached or not.
type CoverageReport struct {
	Operations map[string]uint64 `json:"operations"` // by operation kind: "mmap", "fork", ...
	Functions  map[string]uint64 `json:"functions"`  // by kernel function: "anon_vma_clone", ...
	Cases      map[string]uint64 `json:"cases"`      // by case of the modelled code: "merge 2,5,7", ...
	Assertions map[string]uint64 `json:"assertions"` // by BUG_ON/WARN_ON: "anon_vma_clone: ...", ...
	// Failed counts the allocations made to fail (--fail-alloc) by the
	// function that allocates: "anon_vma_chain_alloc", ...; absent when
	// none was.
	Failed map[string]uint64 `json:"failed,omitempty"`
}

// TraceFiles are the files a violation's trace was written to.
type TraceFiles struct {
	Property string `json:"property"`
	JSON     string `json:"json"`           // for anoncheck replay and repro
	HTML     string `json:"html,omitempty"` // with --format html
}

// String names why a run stopped, as JSON reports give it.
func (s Stop) String() string {
	switch s {
	case Finished:
		return "finished"
	case StopMaxStates:
		return "state-limit"
	case StopMaxMemory:
		return "memory-limit"
	case StopTimeout:
		return "time-limit"
	case StopSignal:
		return "signal"
	case StopCollision:
		return "collision"
	}
	return "failed"
}

// Report is the outcome's JSON report, without its files (the command
// line writes them and fills in Traces and Files).
func (o *Outcome) Report() *Report {
	rep := &Report{Format: ReportFormat, Version: ReportVersion, Tool: version.String(), Exit: o.Code(),
		NotChecked: []string{}, Files: []string{}, Variants: []VariantReport{}}
	if len(o.Runs) == 0 {
		return rep
	}
	first := o.Runs[0]
	rep.Bound, rep.Scope = first.Bound(), scopeReport(&first.Model.Scope, first.Model.Symmetry.String())
	l := first.cfg.Limits
	rep.Limits = ReportLimits{MaxStates: l.MaxStates, TimeoutSeconds: l.Timeout.Seconds(), MaxMemoryBytes: l.MaxMemory}
	for _, p := range first.Props {
		if !p.Limit {
			rep.Properties = append(rep.Properties, ReportProperty{Name: p.Name, Short: p.Short, Kind: propertyKind(p), Statement: p.Statement})
		}
	}
	for _, r := range o.Runs {
		rep.Variants = append(rep.Variants, r.report())
	}
	if n := o.NotChecked; n > 0 {
		for _, v := range first.cfg.Variants[len(first.cfg.Variants)-n:] {
			rep.NotChecked = append(rep.NotChecked, v.Name)
		}
	}
	return rep
}

// report is the run's part of the JSON report.
func (r *Run) report() VariantReport {
	res, st := &r.Result, r.Result.Stats
	n := float64(st.States)
	v := VariantReport{Variant: r.Variant.Name, Config: r.Model.ConfigDigest(r.Bound()),
		Incomplete: append([]string{}, r.IncompleteBecause()...), Stop: r.Stop.String(), Exit: r.Code(), Traces: []TraceFiles{},
		Stats: StatsReport{States: st.States, InitialLayouts: st.Setup, Transitions: st.Transitions, Depth: st.Depth,
			PerDepth: append([]int{}, st.PerDepth...), Seconds: st.Elapsed.Seconds(), HeapBytes: st.HeapBytes,
			CollisionBound: n * n / math.Exp2(65)},
		Coverage: coverageReport(r.Coverage(), r.Variant, &r.Model.Scope)}
	if res.Err != nil {
		v.Error = res.Err.Error()
	}
	if r.IsPart() {
		v.Incomplete = append(v.Incomplete, "part")
	}
	v.Complete = len(v.Incomplete) == 0
	for i, p := range r.Props {
		if p.Limit {
			continue
		}
		vd := VerdictReport{Property: p.Name, Verdict: "holds"}
		switch {
		case res.Violated(i):
			d := res.Violations[i].Depth
			vd.Verdict, vd.Depth = "violated", &d
		case r.Vacuous():
			vd.Verdict = "not-reached"
		case r.Incomplete() || r.IsPart():
			vd.Verdict = "unknown"
		}
		v.Verdicts = append(v.Verdicts, vd)
	}
	return v
}

// propertyKind is the kind of a property as JSON reports give it.
func propertyKind(p *specs.Property) string {
	switch {
	case p == specs.SelfCheck:
		return "self-check"
	case p.Advisory:
		return "advisory"
	}
	return "safety"
}

// scopeReport is a scope as JSON reports give it.
func scopeReport(sc *transitions.Scope, symmetry string) ReportScope {
	s := ReportScope{Symmetry: symmetry, Pages: sc.Pages, Procs: sc.Procs, Prots: []string{}, Ops: []string{}}
	for _, p := range sc.Prots {
		s.Prots = append(s.Prots, p.String())
	}
	for _, k := range sc.Ops.Kinds() {
		if sc.Ops.Has(k) {
			s.Ops = append(s.Ops, k.String())
		}
	}
	return s
}

// coverageReport is a run's coverage by the names of its points.
func coverageReport(c *transitions.Coverage, v *specs.Variant, sc *transitions.Scope) CoverageReport {
	fns, cases := Modelled(v, sc)
	table := v.Funcs()
	r := CoverageReport{Operations: map[string]uint64{}, Functions: map[string]uint64{}, Cases: map[string]uint64{},
		Assertions: map[string]uint64{}}
	for _, k := range sc.Ops.Kinds() {
		r.Operations[k.String()] = c.Op(k)
	}
	for _, f := range fns {
		r.Functions[table.Name(f)] = c.Fn(f)
	}
	for _, x := range cases {
		r.Cases[x.Short()] = c.Case(x)
	}
	for _, a := range transitions.Assertions() {
		r.Assertions[a.String()] = c.Assertion(a)
	}
	for _, a := range transitions.AllocSites() {
		if n := c.Injected(a); n > 0 {
			if r.Failed == nil {
				r.Failed = map[string]uint64{}
			}
			r.Failed[a.String()] = n
		}
	}
	return r
}

// HuntReport is anoncheck hunt's JSON report. A hunt is never complete:
// a variant without a finding proves nothing.
type HuntReport struct {
	Format      string        `json:"format"`  // "anoncheck-hunt"
	Version     int           `json:"version"` // 1
	Tool        string        `json:"tool"`
	Exit        int           `json:"exit"` // 1 a violation was found, 0 none was
	Seed        uint64        `json:"seed"`
	Workers     int           `json:"workers"`
	TimeSeconds float64       `json:"time_seconds"` // per variant
	MaxDepth    int           `json:"max_depth"`    // the longest walk, the bound of breadth-first members
	Scope       ReportScope   `json:"scope"`
	Variants    []HuntVariant `json:"variants"`
	NotHunted   []string      `json:"not_hunted"` // variants a signal left unhunted
	Files       []string      `json:"files"`      // every file written, in order
}

// HuntVariant is one variant's hunt: what it covered and what it found.
type HuntVariant struct {
	Variant   string  `json:"variant"`
	Seconds   float64 `json:"seconds"`
	Cancelled bool    `json:"cancelled"` // a signal ended it before its time
	// Finding is the violation found, null if none.
	Finding  *HuntFinding   `json:"finding"`
	Covered  HuntCovered    `json:"covered"`
	Members  []HuntMember   `json:"members"` // in the order run
	Coverage CoverageReport `json:"coverage"`
}

// HuntFinding is a violation a hunt found.
type HuntFinding struct {
	Property   string      `json:"property"`
	Operations int         `json:"operations"`       // of the trace, minimised and shrunk
	Found      int         `json:"found_operations"` // of the path the member found
	Member     int         `json:"member"`           // the member's index
	After      float64     `json:"after_seconds"`    // from the start of the variant's hunt
	Trace      *TraceFiles `json:"trace"`            // the files written (with --out), null if none
}

// HuntCovered sums what the members covered.
type HuntCovered struct {
	Members      int     `json:"members"`
	BFSMembers   int     `json:"bfs_members"`
	WalkMembers  int     `json:"walk_members"`
	BFSStates    int     `json:"bfs_states"`
	BFSDepth     int     `json:"bfs_depth"` // the deepest level a breadth-first member completed
	WalkSteps    int     `json:"walk_steps"`
	WalkDistinct float64 `json:"walk_distinct_states"` // estimated
	WalkLongest  int     `json:"walk_longest"`
}

// HuntMember is one member of the swarm.
type HuntMember struct {
	Index    int     `json:"index"`
	Kind     string  `json:"kind"` // "bfs" or "walk"
	Plan     string  `json:"plan"` // its scope, budget and weights, as the text output gives them
	States   int     `json:"states,omitempty"`
	Steps    int     `json:"steps,omitempty"`
	Distinct float64 `json:"distinct_states,omitempty"`
	Depth    int     `json:"depth"` // levels complete (bfs) or the longest walk
	Seconds  float64 `json:"seconds"`
	Found    bool    `json:"found"`
	// Walks: the initial layouts enumerated, and whether that is all of
	// them (when not, each walk extends one with random setup operations).
	Layouts         int   `json:"layouts,omitempty"`
	LayoutsComplete *bool `json:"layouts_complete,omitempty"`
}

// Report is the hunt's JSON report, without its files (the command line
// writes them and fills in the finding's Trace and Files).
func (o *HuntOutcome) Report(h *HuntConfig) *HuntReport {
	rep := &HuntReport{Format: HuntReportFormat, Version: HuntReportVersion, Tool: version.String(), Exit: o.Code(), Seed: h.Seed,
		Workers: h.Workers, TimeSeconds: h.Limits.Timeout.Seconds(), MaxDepth: h.MaxDepth,
		Scope: scopeReport(&h.Scope, h.Symmetry.String()), Variants: []HuntVariant{}, NotHunted: []string{}, Files: []string{}}
	for _, hu := range o.Hunts {
		hv := HuntVariant{Variant: hu.Variant.Name, Seconds: hu.Elapsed.Seconds(), Cancelled: hu.Cancelled,
			Members: []HuntMember{}, Coverage: coverageReport(hu.Coverage(), hu.Variant, &h.Scope)}
		c := &hv.Covered
		c.BFSStates, c.WalkSteps, c.WalkDistinct, c.BFSDepth, c.WalkLongest = hu.Covered()
		for _, m := range hu.Members {
			kind := "walk"
			if m.Member.Kind == MemberBFS {
				kind = "bfs"
				c.BFSMembers++
			} else {
				c.WalkMembers++
			}
			hv.Members = append(hv.Members, HuntMember{Index: m.Member.Index, Kind: kind, Plan: m.Member.String(), States: m.States,
				Steps: m.Steps, Distinct: m.Distinct, Depth: m.Depth, Seconds: m.Elapsed.Seconds(), Found: m.Found,
				Layouts: m.Layouts})
			if m.Member.Kind == MemberWalk {
				hv.Members[len(hv.Members)-1].LayoutsComplete = &m.LayoutsComplete
			}
		}
		c.Members = len(hu.Members)
		if fd := hu.Finding; fd != nil {
			hv.Finding = &HuntFinding{Property: fd.Property.Name, Operations: fd.Trace.Depth(), Found: fd.Found,
				Member: fd.Member.Index, After: fd.After.Seconds()}
		}
		rep.Variants = append(rep.Variants, hv)
	}
	for _, v := range h.Variants[len(o.Hunts):] {
		rep.NotHunted = append(rep.NotHunted, v.Name)
	}
	return rep
}
