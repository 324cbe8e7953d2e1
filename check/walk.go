package check

import (
	"context"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
)

// Random walks with restarts, as TLC's -simulate and Stateright's
// simulation run them: from an initial state chosen at random, take
// enabled actions chosen at random until the walk is MaxDepth long, meets
// a terminal state or a violation, or has no successor; then start again.
// A walk remembers nothing between states, so it goes as deep as it likes
// at no memory cost, and covers nothing exhaustively: a walk run proves
// nothing about what it did not meet.

// WalkConfig bounds and seeds a walk run.
type WalkConfig[S any] struct {
	// Properties are checked in every state a walk meets; a walk ends at
	// its first violation.
	Properties []Property[S]
	// Seed chooses the walks: the same model, seed, Steps and Workers
	// give the same walks and the same result.
	Seed uint64
	// Workers walk in parallel, each its share of Steps with its own
	// random stream; 0 or 1 means one.
	Workers int
	// Steps is the number of actions taken in all, over all walks.
	Steps int
	// MaxDepth is the length of the longest walk.
	MaxDepth int
	// Weights, with a worker that is a Classifier, choose each step's
	// class of action: class c with probability Weights[c] over the sum of
	// the weights of the classes enabled, then an action of it uniformly.
	// Swarm testing (Groce et al., ISSTA 2012) draws such weights at
	// random per run: a run that rarely takes some kinds of action goes
	// deeper into what the others do. Nil weights choose uniformly among
	// all enabled actions.
	Weights []float64
}

// Classifier is an optional capability of a Worker for weighted walks:
// the class of an action, below MaxClasses (the model's operation kind,
// say).
type Classifier interface {
	Class(a Action) int
}

// MaxClasses bounds the classes a Classifier may return.
const MaxClasses = 16

// WalkResult is what a walk run found. Without a violation and
// uncancelled, every count depends only on the model, seed, steps and
// workers; with one, Steps counts each worker's actions up to the step the
// violation was found at (so it too is independent of timing), and Walks
// and MaxDepth may include walks that other workers took meanwhile.
type WalkResult struct {
	Steps    int // actions taken
	Walks    int // walks started
	MaxDepth int // the longest walk taken
	// Violation is the first violation found, nil if none: its path
	// starts with the setup actions of its initial state. Among the
	// workers, the one found after the fewest steps of its worker wins,
	// then the lowest worker, so that it does not depend on timing.
	Violation *Violation
	Cancelled bool // the context ended the run
	// Distinct estimates the distinct states the walks met (HyperLogLog,
	// about 1%).
	Distinct float64
	// Counts are the workers' counts (Counter), summed; nil without.
	Counts []uint64
}

// Setup is the setup closure of a model: every state reachable from the
// initial state by setup actions, with the path to each. Walks start from
// its states; computing it once serves every walk run of the model.
//
// A closure cut short by NewSetupLimit's limit (or its context) holds the
// states of its first levels only: the layouts built with the fewest
// setup actions. Walks from it extend each start with random setup actions
// first, so that they still begin in layouts of every size, drawn rather
// than enumerated.
type Setup[S any] struct {
	States []S
	parent []int32
	action []Action
	depth  []int32        // setup actions of each state
	index  map[uint64]int // fingerprint -> state
	// Complete says States holds every state setup actions reach.
	Complete bool
	// Levels is the most setup actions of a state held.
	Levels int
}

// NewSetup computes the setup closure of m.
func NewSetup[S any](m Model[S]) *Setup[S] {
	return NewSetupLimit(context.Background(), m, 0)
}

// NewSetupLimit computes the setup closure of m breadth first, stopping at
// limit states (0: no limit) or when ctx ends; Complete says whether it
// got to the end.
func NewSetupLimit[S any](ctx context.Context, m Model[S], limit int) *Setup[S] {
	w := m.NewWorker()
	st := &Setup[S]{States: []S{m.Init()}, parent: []int32{-1}, action: []Action{0}, depth: []int32{0}, Complete: true}
	st.index = map[uint64]int{w.Fingerprint(&st.States[0]): 0}
	var buf []Action
	var next S
	for i := 0; i < len(st.States); i++ {
		if i&1023 == 0 && ctx.Err() != nil {
			st.Complete = false
			break
		}
		cur := st.States[i]
		if w.Terminal(&cur) {
			continue
		}
		buf = w.Actions(&cur, true, buf[:0])
		for _, a := range buf {
			if !w.Next(&cur, a, &next) {
				continue
			}
			fp := w.Fingerprint(&next)
			if _, ok := st.index[fp]; ok {
				continue
			}
			if limit > 0 && len(st.States) >= limit {
				st.Complete = false
				break
			}
			st.index[fp] = len(st.States)
			st.States = append(st.States, next)
			st.parent = append(st.parent, int32(i))
			st.action = append(st.action, a)
			st.depth = append(st.depth, st.depth[i]+1)
			st.Levels = max(st.Levels, int(st.depth[i])+1)
		}
		if !st.Complete {
			break
		}
	}
	return st
}

// Path returns the setup actions that build state i.
func (st *Setup[S]) Path(i int) []Step {
	var rev []Step
	for j := i; st.parent[j] >= 0; j = int(st.parent[j]) {
		rev = append(rev, Step{Action: st.action[j], Setup: true})
	}
	out := make([]Step, 0, len(rev))
	for k := len(rev) - 1; k >= 0; k-- {
		out = append(out, rev[k])
	}
	return out
}

// extend takes, from state start of a partial closure (in *cur), up to
// Levels more setup actions drawn uniformly (their number uniformly from
// 0 to Levels), appending them to prefix. A state the closure holds
// becomes the new start, with an empty prefix.
func (st *Setup[S]) extend(w Worker[S], r *rand.Rand, start int, cur *S, prefix []Step) (int, []Step) {
	var buf []Action
	var next S
	for n := r.IntN(st.Levels + 1); n > 0 && !w.Terminal(cur); n-- {
		buf = w.Actions(cur, true, buf[:0])
		if len(buf) == 0 {
			break
		}
		a := buf[r.IntN(len(buf))]
		if !w.Next(cur, a, &next) {
			continue
		}
		*cur = next
		if i, ok := st.index[w.Fingerprint(cur)]; ok {
			start, prefix = i, prefix[:0]
		} else {
			prefix = append(prefix, Step{Action: a, Setup: true})
		}
	}
	return start, prefix
}

// Walk runs random walks on m from the states of setup (NewSetup(m), or
// the closure of a model whose setup actions are the same).
func Walk[S any](ctx context.Context, m Model[S], setup *Setup[S], cfg WalkConfig[S]) WalkResult {
	workers := max(cfg.Workers, 1)
	type found struct {
		at   int // the worker's step count when it found it
		viol Violation
	}
	results := make([]*found, workers)
	taken := make([]int, workers)
	sketches := make([]hll, workers)
	var best atomic.Int64 // the fewest steps at which a worker found one
	best.Store(int64(cfg.Steps) + 1)
	var res WalkResult
	var mu sync.Mutex
	var wg sync.WaitGroup
	for k := 0; k < workers; k++ {
		share := cfg.Steps / workers
		if k < cfg.Steps%workers {
			share++
		}
		wg.Add(1)
		go func(k, share int) {
			defer wg.Done()
			w := m.NewWorker()
			cls, _ := w.(Classifier)
			if cfg.Weights == nil {
				cls = nil
			}
			r := rand.New(rand.NewPCG(cfg.Seed, uint64(k)+1))
			var cur, next S
			var buf []Action
			var path []Step
			var prefix []Step // setup actions drawn after setup.States[start] (a partial closure)
			var fps []uint64  // the fingerprint after each step of path
			sketch := &sketches[k]
			steps, walks, deepest := 0, 0, 0
			start := 0 // the walk's initial state in setup
			cancelled := false
			// violated records the first property s violates, if any, as
			// this worker's result, with the path that led to it.
			violated := func(s *S) bool {
				p := firstViolated(cfg.Properties, s)
				if p < 0 {
					return false
				}
				v := Violation{Property: p, Depth: len(path),
					Path: append(append(setup.Path(start), prefix...), path...)}
				results[k] = &found{at: steps, viol: v}
				for {
					b := best.Load()
					if int64(steps) >= b || best.CompareAndSwap(b, int64(steps)) {
						break
					}
				}
				return true
			}
			// A worker goes on while its steps do not pass the best
			// found (<=: a violation found right after a start's random
			// setup actions is counted at the steps taken before it, so
			// a worker at exactly that count must still look, whatever
			// the timing, for the lowest worker to win the tie).
			for steps < share && int64(steps) <= best.Load() {
				if walks&63 == 0 && ctx.Err() != nil {
					cancelled = true
					break
				}
				walks++
				start = r.IntN(len(setup.States))
				cur = setup.States[start]
				path, fps, prefix = path[:0], fps[:0], prefix[:0]
				if !setup.Complete {
					start, prefix = setup.extend(w, r, start, &cur, prefix)
					if violated(&cur) {
						break
					}
				}
				for d := 0; d < cfg.MaxDepth && steps < share && !w.Terminal(&cur); d++ {
					buf = w.Actions(&cur, false, buf[:0])
					ok := false
					// Self-loops and disabled actions are redrawn a few
					// times; a state where every draw fails ends the walk.
					for tries := 0; tries < 8 && len(buf) > 0 && !ok; tries++ {
						a := pick(r, buf, cls, cfg.Weights)
						if ok = w.Next(&cur, a, &next); ok {
							path = append(path, Step{Action: a})
						}
					}
					if !ok {
						break
					}
					cur, next = next, cur
					steps++
					deepest = max(deepest, d+1)
					// A walk that comes back to a state it met, or to an
					// initial state, drops the loop from its path: paths
					// stay free of repeats, as the explorer's are.
					fp := w.Fingerprint(&cur)
					sketch.add(fp)
					if i, ok := setup.index[fp]; ok {
						start, path, fps, prefix = i, path[:0], fps[:0], prefix[:0]
					} else if i := slices.Index(fps, fp); i >= 0 {
						path, fps = path[:i+1], fps[:i+1]
					} else {
						fps = append(fps, fp)
					}
					if violated(&cur) {
						break
					}
				}
				if results[k] != nil {
					break
				}
			}
			taken[k] = steps
			mu.Lock()
			res.Counts = addCounts(res.Counts, w)
			res.Walks += walks
			res.MaxDepth = max(res.MaxDepth, deepest)
			res.Cancelled = res.Cancelled || cancelled
			mu.Unlock()
		}(k, share)
	}
	wg.Wait()
	var win *found
	for _, f := range results {
		if f != nil && (win == nil || f.at < win.at) {
			win = f
		}
	}
	var all hll
	for k := range sketches {
		all.merge(&sketches[k])
	}
	res.Distinct = all.estimate()
	for _, n := range taken {
		if win != nil {
			n = min(n, win.at)
		}
		res.Steps += n
	}
	if win != nil {
		res.Violation = &win.viol
	}
	return res
}

// pick draws an action of buf: uniformly, or with cls a class by its
// weight among the classes present, then an action of that class
// uniformly. A class with no weight (or weight 0) is never taken while
// another is enabled.
func pick(r *rand.Rand, buf []Action, cls Classifier, weights []float64) Action {
	if cls == nil {
		return buf[r.IntN(len(buf))]
	}
	var count [MaxClasses]int
	for _, a := range buf {
		count[cls.Class(a)]++
	}
	total := 0.0
	for c, n := range count {
		if n > 0 && c < len(weights) {
			total += weights[c]
		}
	}
	if total <= 0 {
		return buf[r.IntN(len(buf))]
	}
	x := r.Float64() * total
	chosen := -1
	for c, n := range count {
		if n == 0 || c >= len(weights) || weights[c] <= 0 {
			continue
		}
		chosen = c
		if x -= weights[c]; x < 0 {
			break
		}
	}
	i := r.IntN(count[chosen])
	for _, a := range buf {
		if cls.Class(a) == chosen {
			if i == 0 {
				return a
			}
			i--
		}
	}
	return buf[0] // not reached
}

// firstViolated returns the index of the first property s violates, or -1.
func firstViolated[S any](props []Property[S], s *S) int {
	for i := range props {
		if !props[i].Holds(s) {
			return i
		}
	}
	return -1
}
