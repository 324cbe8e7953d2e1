package run

import (
	"context"
	"fmt"
	"testing"
	"time"

	"anoncheck/specs"
	"anoncheck/transitions"
)

func huntConfig(t *testing.T, variant string, pages, procs int, seed uint64, d time.Duration) *HuntConfig {
	t.Helper()
	v, err := specs.Lookup(variant)
	if err != nil {
		t.Fatal(err)
	}
	sc := transitions.DefaultScope()
	sc.Pages, sc.Procs = pages, procs
	return &HuntConfig{Config: Config{Variants: []*specs.Variant{v}, Scope: sc, Shrink: true, Workers: 2,
		Limits: Limits{Timeout: d}}, Seed: seed, MaxDepth: 32}
}

// A broken variant is found by the first member, with the explorer's
// shortest trace, in the scope asked for.
func TestHuntFindsAShallowViolation(t *testing.T) {
	h := huntConfig(t, "khlebnikov-fix-v1", 2, 2, 1, time.Minute)
	out, err := RunHunt(context.Background(), h, nil)
	if err != nil {
		t.Fatal(err)
	}
	hu := out.Hunts[0]
	if hu.Finding == nil || out.Code() != ExitViolation {
		t.Fatalf("no violation found in khlebnikov-fix-v1 (code %d)", out.Code())
	}
	f := hu.Finding
	if f.Member.Index != 0 || f.Trace.Holds() || f.Trace.Property != f.Property || f.Trace.Depth() > 2 {
		t.Errorf("found %s by member %d, a trace of %d operations (holds: %v)", f.Property.Name, f.Member.Index, f.Trace.Depth(), f.Trace.Holds())
	}
	if f.Trace.Scope.String() != h.Scope.String() {
		t.Errorf("trace scope %s, want the hunt's %s", &f.Trace.Scope, &h.Scope)
	}
	if Vacuous(hu.Coverage()) {
		t.Error("the hunt's coverage says it never reached the anon_vma code")
	}
}

// A hunt in a scope too small for any bug of v5.4 finds nothing, runs many
// members in its time, and calls for exit 0.
func TestHuntFindsNothingAndSaysWhatItCovered(t *testing.T) {
	h := huntConfig(t, "v5.4", 1, 2, 1, 1500*time.Millisecond)
	out, err := RunHunt(context.Background(), h, nil)
	if err != nil {
		t.Fatal(err)
	}
	hu := out.Hunts[0]
	if hu.Finding != nil || out.Code() != ExitOK {
		t.Fatalf("found %s in v5.4 at pages=1 procs=2", hu.Finding.Property.Name)
	}
	bfs, steps, distinct, _, _ := hu.Covered()
	if len(hu.Members) < 2 || bfs == 0 || steps == 0 || distinct == 0 {
		t.Errorf("covered %d members, %d states, %d steps, ~%.0f distinct; want several members of both kinds", len(hu.Members), bfs, steps, distinct)
	}
}

// The plan depends on the seed alone, stays within the hunt's scope, and
// varies with the seed.
func TestHuntPlan(t *testing.T) {
	a := huntConfig(t, "v5.4", 3, 3, 5, time.Second)
	b := huntConfig(t, "v5.4", 3, 3, 6, time.Second)
	differ := false
	for i := 0; i < 50; i++ {
		m1, m2 := a.plan(i), a.plan(i)
		if fmt.Sprint(m1) != fmt.Sprint(m2) {
			t.Fatalf("member %d planned twice: %v and %v", i, m1, m2)
		}
		if m1.Scope.Pages > 3 || m1.Scope.Procs > 3 || len(m1.Scope.Prots) > len(a.Scope.Prots) || m1.Scope.Pages < 1 || m1.Scope.Procs < 1 {
			t.Fatalf("member %d: scope %s outside the hunt's %s", i, &m1.Scope, &a.Scope)
		}
		if fmt.Sprint(m1) != fmt.Sprint(b.plan(i)) {
			differ = true
		}
	}
	if !differ {
		t.Error("seeds 5 and 6 plan the same 50 members")
	}
	if m0 := a.plan(0); m0.Kind != MemberBFS || m0.Scope.String() != a.Scope.String() {
		t.Errorf("member 0 is %v; want breadth first over the whole scope", m0.String())
	}
}

// At pages 4 and up, where the initial layouts alone would fill a
// breadth-first member's budget, the breadth-first members, member 0
// among them, search three pages at most; walks keep the hunt's pages
// (they draw their layouts).
func TestHuntPlanLargeLayouts(t *testing.T) {
	h := huntConfig(t, "v5.4", 5, 2, 1, time.Second)
	bfs, walksFull := 0, 0
	for i := 1; i < 200; i++ {
		m := h.plan(i)
		switch {
		case m.Kind == MemberBFS:
			bfs++
			if m.Scope.Pages > 3 {
				t.Errorf("member %d: breadth first at pages=%d, whose layouts fill its budget", i, m.Scope.Pages)
			}
		case m.Scope.Pages == 5:
			walksFull++
		}
	}
	if bfs == 0 || walksFull == 0 {
		t.Errorf("%d breadth-first members, %d walks at pages=5 in 200; want some of each", bfs, walksFull)
	}
	if m0 := h.plan(0); m0.Kind != MemberBFS || m0.Scope.Pages != 3 {
		t.Errorf("member 0 is %v; want breadth first at pages=3", m0.String())
	}
}

// The JSON report gives each walk member the initial layouts it started
// from and whether they were all of them; breadth-first members carry
// neither field.
func TestHuntReportLayouts(t *testing.T) {
	h := huntConfig(t, "v5.4", 4, 1, 1, time.Second)
	walk := h.plan(1)
	for i := 2; walk.Kind != MemberWalk; i++ {
		walk = h.plan(i)
	}
	hu := &Hunt{Variant: h.Variants[0], Members: []MemberResult{
		{Member: h.plan(0), States: 10},
		{Member: walk, Steps: 5, Layouts: 200000},
	}}
	rep := (&HuntOutcome{Hunts: []*Hunt{hu}}).Report(h)
	m := rep.Variants[0].Members
	if m[0].Layouts != 0 || m[0].LayoutsComplete != nil {
		t.Errorf("breadth-first member: layouts %d, layouts_complete %v; want neither", m[0].Layouts, m[0].LayoutsComplete)
	}
	if m[1].Layouts != 200000 || m[1].LayoutsComplete == nil || *m[1].LayoutsComplete {
		t.Errorf("walk member: layouts %d, layouts_complete %v; want 200000, false", m[1].Layouts, m[1].LayoutsComplete)
	}
}
