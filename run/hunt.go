package run

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"

	"anoncheck/check"
	"anoncheck/specs"
	"anoncheck/state"
	"anoncheck/traces"
	"anoncheck/transitions"
)

// A hunt looks for violations where exhaustive search cannot reach: deep,
// in scopes too large to enumerate. It is a swarm (Holzmann, Joshi and
// Groce, "Swarm verification", ASE 2008; Groce et al., "Swarm testing",
// ISSTA 2012): a sequence of small, diversified searches, each drawn from
// the seed, run one after another until one finds a violation or the time
// is up.
//
//   - The first member explores the whole scope breadth first, as the main
//     command does, up to a budget of states: it finds the shallow
//     violations, with shortest traces. (Past pages 3, where the initial
//     layouts alone would fill the budget, it searches three pages.)
//   - Most members are random walks with restarts (as TLC's -simulate):
//     long walks from random initial layouts, each step's operation kind
//     drawn with a weight the member chose at random, log-uniform over
//     three decades. A member that rarely maps, unmaps or forks goes deep
//     into what the other operations build; which kinds a bug needs
//     rarely is what no one knows beforehand, so the swarm tries many.
//   - Some members explore breadth first with only the operation kinds
//     their weights favour, to a budget: exhaustive within that narrowing,
//     so they find the shortest violations it has.
//   - A member may also shrink the scope (fewer processes, pages or
//     protections): a violation in a smaller scope is one in the scope
//     asked for. Breadth-first members search at most as many pages as
//     their budget can lay out (3); walks draw the initial layouts of
//     larger scopes (check.NewSetupLimit).
//
// Nothing in the plan names a variant, a property or a trace: the members
// are drawn from the seed and the scope alone. A violation found goes
// through traces.Minimise and traces.Shrink, and is reported in the scope
// asked for. A hunt that finds nothing proves nothing; it says what it
// covered.

// HuntConfig is a hunt's configuration. Config.Limits.Timeout is the time
// each variant is hunted for; MaxMemory bounds each breadth-first member
// (and MaxStates, when set, lowers their budgets of states).
type HuntConfig struct {
	Config
	Seed     uint64
	MaxDepth int // the longest walk, and the bound of breadth-first members
}

// MemberKind is the search a swarm member runs.
type MemberKind int

// The kinds of member.
const (
	MemberBFS  MemberKind = iota // breadth first, exhaustive to its budget
	MemberWalk                   // random walks with restarts
)

// Member is one search of the swarm.
type Member struct {
	Index   int
	Kind    MemberKind
	Scope   transitions.Scope // within the hunt's scope
	Weights []float64         // per operation kind (walks; breadth-first members keep the kinds weighted 0.1 or more)
	Depth   int               // walk length, or breadth-first bound
	Budget  int               // steps (walk) or states (breadth first)
	Seed    uint64
}

// Member budgets: about two seconds each on this project's reference
// machine, except the first, which takes as long as the whole scope needs
// to its budget.
const (
	firstBudget    = 2_000_000 // states
	bfsBudget      = 2_000_000 // states
	walkStepBudget = 1_000_000 // steps per worker
	refineBudget   = 3_000_000 // states of the search for a shorter trace of a finding
	reduceOdds     = 4         // a member shrinks each scope dimension with probability 1/reduceOdds
	// setupBudget bounds the initial layouts enumerated for the walks (82,677
	// at pages 3; about 4.7 M at pages 4, 2.6 GB of states): past it the walks
	// draw their initial layouts with random setup actions instead.
	setupBudget = 200_000
)

// String describes the member as reports print it.
func (m *Member) String() string {
	var b strings.Builder
	switch m.Kind {
	case MemberBFS:
		fmt.Fprintf(&b, "#%d breadth-first to %d states, bound %d, %s", m.Index, m.Budget, m.Depth, &m.Scope)
	case MemberWalk:
		fmt.Fprintf(&b, "#%d walks of up to %d steps, %d steps, %s, weights", m.Index, m.Depth, m.Budget, &m.Scope)
		for _, k := range m.Scope.Ops.Kinds() {
			if m.Scope.Ops.Has(k) {
				fmt.Fprintf(&b, " %s=%.3g", k, m.Weights[k])
			}
		}
	}
	return b.String()
}

// plan draws member i of the swarm from the seed.
func (h *HuntConfig) plan(i int) Member {
	r := rand.New(rand.NewPCG(h.Seed, uint64(i)))
	m := Member{Index: i, Scope: h.Scope, Depth: h.MaxDepth, Seed: r.Uint64()}
	if i == 0 {
		m.Kind, m.Budget = MemberBFS, firstBudget
		m.Scope.Pages = bfsPages(m.Scope.Pages, firstBudget)
		return m
	}
	m.Weights = make([]float64, check.MaxClasses)
	for _, k := range h.Scope.Ops.Kinds() {
		m.Weights[k] = math.Pow(10, -3*r.Float64())
	}
	if h.Scope.Procs > 1 && r.IntN(reduceOdds) == 0 {
		m.Scope.Procs = 1 + r.IntN(h.Scope.Procs-1)
	}
	if h.Scope.Pages > 1 && r.IntN(reduceOdds) == 0 {
		m.Scope.Pages = 1 + r.IntN(h.Scope.Pages-1)
	}
	if len(h.Scope.Prots) > 1 && r.IntN(reduceOdds) == 0 {
		var prots []transitions.Prot
		for len(prots) == 0 {
			for _, p := range h.Scope.Prots {
				if r.IntN(2) == 0 {
					prots = append(prots, p)
				}
			}
		}
		m.Scope.Prots = prots
	}
	if r.IntN(8) == 0 {
		m.Kind, m.Budget = MemberBFS, bfsBudget
		m.Scope.Pages = bfsPages(m.Scope.Pages, bfsBudget)
		var ops transitions.OpSet
		for _, k := range h.Scope.Ops.Kinds() {
			if h.Scope.Ops.Has(k) && m.Weights[k] >= 0.1 {
				ops |= 1 << k
			}
		}
		if ops != 0 {
			m.Scope.Ops = ops
		}
		return m
	}
	m.Kind = MemberWalk
	m.Budget = walkStepBudget * max(h.Workers, 1)
	m.Depth = 8 + r.IntN(max(1, h.MaxDepth-7))
	return m
}

// bfsPages is the most pages, up to pages, whose initial layouts take at
// most half of a breadth-first budget: a search whose layouts alone would
// fill it (pages 4 and up) would end before its first operation.
func bfsPages(pages, budget int) int {
	for pages > 1 && initialLayouts(pages) > float64(budget)/2 {
		pages--
	}
	return pages
}

// MemberResult is what one member covered.
type MemberResult struct {
	Member   Member
	States   int     // breadth first: distinct states
	Steps    int     // walks: steps taken
	Distinct float64 // walks: distinct states met (estimate)
	Depth    int     // breadth first: levels complete; walks: the longest walk
	Elapsed  time.Duration
	Found    bool
	Counts   []uint64 // what its transitions reached (transitions.Coverage)
	// Walks: the initial layouts enumerated, and whether that is all of
	// them; when not, each walk extends one with random setup actions.
	Layouts         int
	LayoutsComplete bool
}

// Finding is a violation a hunt found.
type Finding struct {
	Property *specs.Property
	Member   Member
	Found    int           // operations of the path the member found
	Trace    *traces.Trace // minimised and shrunk, in the hunt's scope
	After    time.Duration // from the start of the variant's hunt
}

// Hunt is one variant's hunt.
type Hunt struct {
	Variant *specs.Variant
	Members []MemberResult
	Finding *Finding
	Elapsed time.Duration
	// Cancelled: a signal ended the hunt (not its time).
	Cancelled bool
}

// Covered sums what the members covered: breadth-first states, walk
// steps, distinct states the walks met (estimated), and the deepest level
// and walk.
func (h *Hunt) Covered() (bfsStates, steps int, distinct float64, bfsDepth, walkDepth int) {
	for _, m := range h.Members {
		switch m.Member.Kind {
		case MemberBFS:
			bfsStates += m.States
			bfsDepth = max(bfsDepth, m.Depth)
		case MemberWalk:
			steps += m.Steps
			distinct += m.Distinct
			walkDepth = max(walkDepth, m.Depth)
		}
	}
	return
}

// Coverage sums what the members' transitions reached.
func (h *Hunt) Coverage() *transitions.Coverage {
	var c transitions.Coverage
	for _, m := range h.Members {
		c.Add(coverageOf(m.Counts))
	}
	return &c
}

// HuntOutcome is what a hunt found, variant by variant.
type HuntOutcome struct {
	Hunts []*Hunt
}

// Code is the exit status: 1 when a hunt found a violation, else 0. A hunt
// is never complete, so finding nothing is not a verdict either way.
func (o *HuntOutcome) Code() int {
	for _, h := range o.Hunts {
		if h.Finding != nil {
			return ExitViolation
		}
	}
	return ExitOK
}

// huntProperties are the properties a hunt looks for violations of: the
// safety properties, not the advisory ones nor the model's capacities.
func huntProperties() []*specs.Property {
	var out []*specs.Property
	for _, p := range specs.Properties() {
		if !p.Advisory && !p.Limit {
			out = append(out, p)
		}
	}
	return out
}

// RunHunt hunts each variant for Limits.Timeout.
func RunHunt(ctx context.Context, h *HuntConfig, report func(v *specs.Variant, r *MemberResult)) (*HuntOutcome, error) {
	if err := h.checkMemory(); err != nil {
		return nil, err
	}
	out := &HuntOutcome{}
	for _, v := range h.Variants {
		hu, err := h.hunt(ctx, v, report)
		if err != nil {
			return nil, err
		}
		out.Hunts = append(out.Hunts, hu)
		if hu.Cancelled {
			break
		}
	}
	return out, nil
}

// hunt runs the swarm on one variant until a member finds a violation or
// the time is up.
func (h *HuntConfig) hunt(parent context.Context, v *specs.Variant, report func(*specs.Variant, *MemberResult)) (*Hunt, error) {
	ctx, cancel := h.withTimeout(parent)
	defer cancel()
	start := time.Now()
	hu := &Hunt{Variant: v}
	props := huntProperties()
	setups := map[string]*check.Setup[state.State]{}
	for i := 0; ctx.Err() == nil; i++ {
		mem := h.plan(i)
		m := &specs.Model{Variant: v, Scope: mem.Scope, Symmetry: h.Symmetry}
		cprops := m.CheckProperties(props)
		mr := MemberResult{Member: mem}
		t0 := time.Now()
		var viol *check.Violation
		switch mem.Kind {
		case MemberBFS:
			res := check.Run[state.State](ctx, m, check.Config[state.State]{Bound: mem.Depth, Properties: cprops,
				MaxStates: min(mem.Budget, positive(h.Limits.MaxStates)), MaxMemory: h.Limits.MaxMemory, Workers: h.Workers,
				StopWhenViolated: true})
			mr.States, mr.Depth, mr.Counts = res.Stats.States, res.Stats.Depth, res.Counts
			for i := range res.Violations {
				if res.Violated(i) {
					viol = &res.Violations[i]
					break
				}
			}
		case MemberWalk:
			key := setupKey(&mem.Scope)
			if setups[key] == nil {
				setups[key] = check.NewSetupLimit[state.State](ctx, m, setupBudget)
			}
			setup := setups[key]
			res := check.Walk[state.State](ctx, m, setup, check.WalkConfig[state.State]{Properties: cprops,
				Seed: mem.Seed, Workers: h.Workers, Steps: mem.Budget, MaxDepth: mem.Depth, Weights: mem.Weights})
			mr.Steps, mr.Distinct, mr.Depth, mr.Counts = res.Steps, res.Distinct, res.MaxDepth, res.Counts
			mr.Layouts, mr.LayoutsComplete = len(setup.States), setup.Complete
			viol = res.Violation
		}
		mr.Elapsed = time.Since(t0)
		if viol != nil {
			mr.Found = true
			p := props[viol.Property]
			t, err := h.findingTrace(parent, v, m, p, viol.Path)
			if err != nil {
				return nil, err
			}
			hu.Finding = &Finding{Property: p, Member: mem, Found: viol.Depth, Trace: t, After: time.Since(start)}
		}
		hu.Members = append(hu.Members, mr)
		if report != nil {
			report(v, &hu.Members[len(hu.Members)-1])
		}
		if hu.Finding != nil {
			break
		}
	}
	hu.Elapsed = time.Since(start)
	hu.Cancelled = parent.Err() != nil && hu.Finding == nil
	return hu, nil
}

// findingTrace turns a member's path into a trace in the hunt's scope:
// minimised (the walks' paths are long), then, if a breadth-first search
// narrowed to the operation kinds the trace uses finds a shorter violation
// of the property within refineBudget states, that one; then shrunk.
func (h *HuntConfig) findingTrace(ctx context.Context, v *specs.Variant, m *specs.Model, p *specs.Property, path []check.Step) (*traces.Trace, error) {
	t, err := traces.FromPathSym(v, m.Scope, m.Symmetry, p, path)
	if err != nil {
		return nil, fmt.Errorf("replaying the hunt's trace of %s under %s: %v", p.Name, v.Name, err)
	}
	t.Scope = h.Scope
	if t, err = traces.Minimise(t); err != nil {
		return nil, fmt.Errorf("minimising the hunt's trace of %s under %s: %v", p.Name, v.Name, err)
	}
	// The search for a shorter trace is skipped where the initial layouts
	// alone would take half its budget (pages 4 and up).
	if t.Depth() > 1 && initialLayouts(h.Scope.Pages) <= refineBudget/2 {
		sc := h.Scope
		sc.Ops = 0
		for _, st := range t.Steps {
			sc.Ops |= 1 << st.Op.Kind
		}
		nm := &specs.Model{Variant: v, Scope: sc, Symmetry: h.Symmetry}
		res := check.Run[state.State](ctx, nm, check.Config[state.State]{Bound: t.Depth() - 1,
			Properties: nm.CheckProperties([]*specs.Property{p}), MaxStates: refineBudget, MaxMemory: h.Limits.MaxMemory,
			Workers: h.Workers, StopWhenViolated: true})
		if res.Violated(0) {
			short, err := traces.FromPathSym(v, sc, h.Symmetry, p, res.Violations[0].Path)
			if err != nil {
				return nil, fmt.Errorf("replaying the shorter trace of %s under %s: %v", p.Name, v.Name, err)
			}
			short.Scope = h.Scope
			t = short
		}
	}
	if h.Shrink {
		if t, err = traces.Shrink(t); err != nil {
			return nil, fmt.Errorf("shrinking the hunt's trace of %s under %s: %v", p.Name, v.Name, err)
		}
	}
	return t, nil
}

// setupKey identifies the setup closure of a scope: P1's operations on
// its pages with its protections.
func setupKey(sc *transitions.Scope) string {
	return fmt.Sprintf("%d %s %s", sc.Pages, sc.ProtsString(), sc.Ops)
}

// positive returns n, or no limit (the largest int) for 0.
func positive(n int) int {
	if n <= 0 {
		return math.MaxInt
	}
	return n
}
