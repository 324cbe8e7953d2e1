package run

import (
	"context"

	"anoncheck/specs"
	"anoncheck/traces"
)

// GateOutcome is what Gate decided, with the report its CI formats
// (JUnit, KTAP, Markdown) are written from.
type GateOutcome struct {
	Candidate, Baseline *specs.Variant // Baseline is nil without one
	Report              *traces.Report
	// Failed: the candidate violates a safety property (that the
	// baseline satisfies, with a baseline).
	Failed bool
	// Incomplete: a run stopped before its bound, so what did not fail
	// is not certified.
	Incomplete bool
}

// Code is the exit status the gate calls for.
func (g *GateOutcome) Code() int {
	switch {
	case g.Failed:
		return ExitViolation
	case g.Incomplete:
		return ExitIncomplete
	}
	return ExitOK
}

// Gate checks the candidate, and the baseline if not nil, and decides
// which of the candidate's violations fail the gate: every violation of a
// safety property, or with a baseline only those of properties the
// baseline satisfies to the end of its run. Advisory properties never
// gate.
func Gate(ctx context.Context, cfg *Config, cand, base *specs.Variant) (*GateOutcome, error) {
	if err := cfg.checkMemory(); err != nil {
		return nil, err
	}
	g := &GateOutcome{Candidate: cand, Baseline: base,
		Report: &traces.Report{Title: "anoncheck gate: " + cand.Name}}
	variants := []*specs.Variant{cand}
	if base != nil {
		variants = append(variants, base)
		g.Report.Title += " against " + base.Name
	}
	props := cfg.Properties()
	var sz sizing
	b := cfg.budget()
	for vi, v := range variants {
		vctx, cancel := b.share(ctx, len(variants)-vi)
		r, err := cfg.explore(vctx, v, props, &sz)
		cancel()
		if err != nil {
			return nil, err
		}
		vr := traces.VariantReport{Variant: v, Scope: cfg.Scope.String(),
			Bound: cfg.Bound, States: r.Result.Stats.States, Seconds: r.Result.Stats.Elapsed.Seconds()}
		complete := !r.Incomplete()
		g.Incomplete = g.Incomplete || !complete
		for i, p := range props {
			if p.Limit {
				continue
			}
			vd := traces.Verdict{Property: p, Depth: specs.Holds, Complete: complete}
			if r.Result.Violated(i) {
				vd.Depth = r.Result.Violations[i].Depth
				t, err := r.Trace(i)
				if err != nil {
					return nil, err
				}
				vd.Trace = t
			}
			vr.Verdicts = append(vr.Verdicts, vd)
		}
		g.Report.Variants = append(g.Report.Variants, vr)
		if ctx.Err() != nil { // a signal: the variants left are not run
			break
		}
	}
	// Which of the candidate's violations gate. A violation found is real
	// however far its run got, but "the baseline satisfies it" needs the
	// baseline's run to have finished: against a baseline cut short (or
	// never run, when the candidate's run was interrupted) the violation
	// decides nothing, and the gate is incomplete.
	cv := &g.Report.Variants[0]
	for i := range cv.Verdicts {
		vd := &cv.Verdicts[i]
		if vd.Holds() || vd.Property.Advisory {
			continue
		}
		if base != nil {
			if len(g.Report.Variants) < 2 {
				vd.Undecided, g.Incomplete = true, true
				continue
			}
			if bv := g.Report.Variants[1].Verdicts[i]; !bv.Holds() {
				continue
			} else if !bv.Complete {
				vd.Undecided, g.Incomplete = true, true
				continue
			}
		}
		vd.Gating = true
		g.Failed = true
	}
	return g, nil
}
