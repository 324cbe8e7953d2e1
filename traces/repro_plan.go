package traces

import (
	"fmt"

	"anoncheck/specs"
	"anoncheck/state"
	"anoncheck/transitions"
)

// rmapProperties are the properties whose kernel failure surfaces in an
// rmap walk: an anon_vma missing from a chain, a dangling or freed
// anon_vma, chains under different roots, counters that free an anon_vma
// early, and the BUG and WARN checks on the modelled paths, which leave
// the anon_vma bookkeeping half-updated when they fire. For these the
// reproducer ends with MADV_PAGEOUT, which (when the kernel can swap)
// unmaps each private page through try_to_unmap()'s rmap walk. The
// others (mm-list-consistent, no-leak, hierarchy-growth, scope-capacity)
// concern the VMA list and object counts, which no walk checks.
var rmapProperties = map[string]bool{
	"rmap-reachable":           true,
	"no-freed-anon-vma":        true,
	"own-anon-vma-linked":      true,
	"one-root-per-chain":       true,
	"same-anon-vma-same-chain": true,
	"counter-accounting":       true,
	"kernel-bug":               true,
	"kernel-warn":              true,
}

// reproVMA is one line of /proc/self/maps as the model predicts it: a page
// slot range and permissions ("rw-p").
type reproVMA struct {
	start, end uint8
	perm       string
}

// reproStep is one step of the trace as the program performs it.
type reproStep struct {
	st     *Step
	label  string // the step's number as traces print it: "s1", "4"
	call   string // the system call without the process: "mprotect([0,1), r)"
	proc   int    // the process slot that performs it
	child  int    // a fork's new process slot; -1 otherwise
	expect int    // the return value expected: 0 or -errno
	layout []reproVMA
	// childLayout is the new process's layout after a fork.
	childLayout []reproVMA
	// base, when not nil, is this step as the nearest variant without the
	// patch ran it; its outcome is expected instead of the trace
	// variant's, which oopsed here.
	base *Step
	// baseName names that variant.
	baseName string
}

// reproPage is a page slot of a process at the end, as the model has it.
type reproPage struct {
	// mapcount is page_mapcount() of the page mapped at the slot; 0 when
	// the model maps none there.
	mapcount int
	// reach reports whether an rmap walk from the page's page->mapping
	// finds this mapping (specs.RmapReaches).
	reach bool
}

// reproFinal is the MADV_PAGEOUT a live process performs at the end.
type reproFinal struct {
	proc   int
	expect int
	layout []reproVMA
	pages  []reproPage // one per page slot
}

// reproPlan is everything the program needs, derived from the trace.
type reproPlan struct {
	t       *Trace
	steps   []reproStep
	pageout []reproFinal
	// setup counts the setup steps among steps.
	setup int
	// predictor names the variant whose state the final pageouts are
	// predicted from: the trace's, or the base variant that completed the
	// step the trace's variant stopped at.
	predictor string
	// fault, when not nil, is the first step with an injected allocation
	// failure (--fail-alloc): the program runs the steps before it and
	// stops there, since it does not inject the failure.
	fault *reproFault
}

// reproFault is a step the program cannot run: it needs an allocation to
// fail.
type reproFault struct {
	st    *Step
	label string
	left  int // the trace's steps from this one on, which are not run
}

// model names the variant whose prediction a step's expectation is.
func (rs *reproStep) model(t *Trace) string {
	if rs.base != nil {
		return rs.baseName
	}
	return t.Variant.Name
}

// planRepro follows the trace's processes slot by slot and works out what
// each step must return and leave mapped.
func planRepro(t *Trace) (*reproPlan, error) {
	if t == nil || t.Variant == nil {
		return nil, fmt.Errorf("repro: no trace")
	}
	sc := t.Scope
	if sc.Pages < 1 || sc.Pages > state.MaxSlots || sc.Procs < 1 || sc.Procs > state.MaxProcs {
		return nil, fmt.Errorf("repro: scope pages=%d procs=%d outside the model's capacity", sc.Pages, sc.Procs)
	}
	p := &reproPlan{t: t, predictor: t.Variant.Name}
	var live [state.MaxProcs]bool
	live[0] = true
	final := transitions.Initial()
	for i := range t.Steps {
		st := &t.Steps[i]
		if st.Op.Fail != 0 {
			p.fault = &reproFault{st: st, label: stepLabel(t, i), left: len(t.Steps) - i}
			break
		}
		rs := reproStep{st: st, label: stepLabel(t, i), call: st.Op.Call(), proc: int(st.Op.Proc), child: -1, expect: st.Errno}
		if rs.proc >= sc.Procs || !live[rs.proc] {
			return nil, fmt.Errorf("repro: step %d (%s): %s is not running", i+1, st.Op, transitions.ProcName(st.Op.Proc))
		}
		after := &st.After
		if st.Errno == transitions.EOOPS || after.Faulted() {
			b, name, err := baseOutcome(t, i)
			if err != nil {
				return nil, err
			}
			rs.base, rs.baseName, rs.expect, after = b, name, b.Errno, &b.After
			p.predictor = name
		}
		if st.Setup {
			p.setup++
		}
		switch st.Op.Kind {
		case transitions.OpFork:
			rs.child = lowestFree(&live, sc.Procs)
			if rs.child < 0 {
				return nil, fmt.Errorf("repro: step %d (%s): no free process slot", i+1, st.Op)
			}
			if after.MMs[rs.child].Live == 0 {
				return nil, fmt.Errorf("repro: step %d (%s): the model has no process in slot %s after the fork",
					i+1, st.Op, transitions.ProcName(uint8(rs.child)))
			}
			live[rs.child] = true
			rs.childLayout = layoutOf(after, rs.child)
		case transitions.OpExit:
			if after.MMs[rs.proc].Live != 0 {
				return nil, fmt.Errorf("repro: step %d (%s): the process is still alive after it", i+1, st.Op)
			}
			live[rs.proc] = false
		}
		if st.Op.Kind != transitions.OpExit {
			rs.layout = layoutOf(after, rs.proc)
		}
		final = *after
		p.steps = append(p.steps, rs)
	}
	if t.Property != nil && rmapProperties[t.Property.Name] && p.fault == nil {
		for q := 0; q < sc.Procs; q++ {
			if !live[q] {
				continue
			}
			l := layoutOf(&final, q)
			p.pageout = append(p.pageout, reproFinal{proc: q, expect: pageoutResult(l, sc.Pages), layout: l, pages: pagesOf(&final, q, sc.Pages)})
		}
	}
	return p, nil
}

// baseOutcome replays the trace up to step i under the variants the trace's
// variant is based on, nearest first, and returns step i as the first of
// them that completes it, with that variant's name.
func baseOutcome(t *Trace, i int) (*Step, string, error) {
	ops := make([]transitions.Op, i+1)
	setup := make([]bool, i+1)
	for j := 0; j <= i; j++ {
		ops[j], setup[j] = t.Steps[j].Op, t.Steps[j].Setup
	}
	for v := t.Variant.Parent(); v != nil; v = v.Parent() {
		bt, err := Replay(v, t.Scope, nil, ops, setup)
		if err != nil {
			return nil, "", fmt.Errorf("repro: step %d: replaying under %s to learn what an unpatched kernel does: %v", i+1, v.Name, err)
		}
		if len(bt.Steps) == i+1 && bt.Steps[i].Errno != transitions.EOOPS && !bt.Steps[i].After.Faulted() {
			return &bt.Steps[i], v.Name, nil
		}
	}
	return nil, "", fmt.Errorf("repro: step %d (%s): the model of %s stops here (%s) and so does every variant it is based on: no outcome to expect",
		i+1, t.Steps[i].Op, t.Variant.Name, faultName(&t.Steps[i].After))
}

// faultName names what stopped the model in s: the oops, the overflowed
// capacity, or just "oops".
func faultName(s *state.State) string {
	switch {
	case s.Bug != 0:
		return transitions.Assertion(s.Bug).String()
	case s.Overflow != 0:
		return "out of " + state.CapName(s.Overflow)
	}
	return "oops"
}

// lowestFree returns the lowest process slot below procs that is not
// live, the one a fork's child takes; -1 when there is none.
func lowestFree(live *[state.MaxProcs]bool, procs int) int {
	for c := 0; c < procs && c < state.MaxProcs; c++ {
		if !live[c] {
			return c
		}
	}
	return -1
}

// layoutOf returns process p's VMAs in s as /proc/self/maps shows them.
func layoutOf(s *state.State, p int) []reproVMA {
	var out []reproVMA
	s.ForEachVMA(p, func(v state.VMAID) bool {
		vv := s.VMA(v)
		out = append(out, reproVMA{start: vv.Start, end: vv.End, perm: MapsPerm(vv.Flags)})
		return true
	})
	return out
}

// pagesOf returns, for each of process p's page slots in s, how many PTEs
// of live processes map the page mapped there (page_mapcount(), counted
// rather than read, so that a variant's counting bug does not change what
// MADV_PAGEOUT does) and whether rmap reaches that mapping.
func pagesOf(s *state.State, p, pages int) []reproPage {
	out := make([]reproPage, pages)
	for a := range out {
		pg := s.PT[p][a].Page()
		if pg == state.NoPage {
			continue
		}
		n := 0
		for q := 0; q < state.MaxProcs; q++ {
			for b := 0; b < state.MaxSlots; b++ {
				if s.MMs[q].Live != 0 && s.PT[q][b].Page() == pg {
					n++
				}
			}
		}
		out[a] = reproPage{mapcount: max(n, 1), reach: specs.RmapReaches(s, p, a)}
	}
	return out
}

// MapsPerm renders flags as the permission column of /proc/pid/maps; every
// modelled mapping is private.
func MapsPerm(f state.Flags) string {
	b := []byte("---p")
	if f&state.VMRead != 0 {
		b[0] = 'r'
	}
	if f&state.VMWrite != 0 {
		b[1] = 'w'
	}
	if f&state.VMExec != 0 {
		b[2] = 'x'
	}
	return string(b)
}

// pageoutResult is what madvise(MADV_PAGEOUT) over all page slots returns
// for a layout: -ENOMEM when part of the range is unmapped, else 0.
func pageoutResult(l []reproVMA, pages int) int {
	next := uint8(0)
	for _, v := range l {
		if v.start != next {
			return transitions.ENOMEM
		}
		next = v.end
	}
	if int(next) != pages {
		return transitions.ENOMEM
	}
	return 0
}

// stepLabel numbers step i as the text traces do: s1, s2 ... for setup,
// 1, 2 ... for operations.
func stepLabel(t *Trace, i int) string {
	if t.Steps[i].Setup {
		return fmt.Sprintf("s%d", t.Number(i))
	}
	return fmt.Sprint(t.Number(i))
}
