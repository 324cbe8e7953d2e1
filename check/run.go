package check

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"
)

// Action is an opaque action id chosen by the model. It must identify the
// action independently of the state it is taken in, so a path of actions
// replays deterministically.
type Action = uint32

// Model is what Run explores.
type Model[S any] interface {
	// Init returns the initial state.
	Init() S
	// NewWorker returns a worker; each goroutine uses its own.
	NewWorker() Worker[S]
}

// Worker computes successors. It may keep scratch space between calls.
type Worker[S any] interface {
	// Actions appends to buf the actions enabled in s; with setup, only
	// the setup actions.
	Actions(s *S, setup bool, buf []Action) []Action
	// Next writes to out the successor of s under a, in canonical form.
	// It returns false if a is not enabled in s; it may also return false
	// when the successor is s itself, a self-loop that adds nothing to
	// the search.
	Next(s *S, a Action, out *S) bool
	// Fingerprint hashes a canonical state.
	Fingerprint(s *S) uint64
	// Terminal reports a state with no successors (the kernel oopsed).
	Terminal(s *S) bool
}

// Counter is an optional capability of a Worker: counts of what its
// transitions reached (a model's coverage of its own code). Run and Walk
// add the counts of all their workers into their results.
type Counter interface {
	Counts() []uint64
}

// addCounts adds w's counts, if it keeps any, to sum.
func addCounts(sum []uint64, w any) []uint64 {
	c, ok := w.(Counter)
	if !ok {
		return sum
	}
	counts := c.Counts()
	if sum == nil {
		sum = make([]uint64, len(counts))
	}
	for i, n := range counts {
		sum[i] += n
	}
	return sum
}

// Property is a predicate that must hold in every reachable state.
type Property[S any] struct {
	Name string
	// Holds reports whether the property holds in s.
	Holds func(s *S) bool
}

// Config bounds and tunes a run.
type Config[S any] struct {
	// Bound is the largest number of actions after setup; 0 means no
	// bound: explore to the fixpoint.
	Bound int
	// Properties are checked in every state.
	Properties []Property[S]
	// MaxStates stops the run when it finds a new state beyond this many:
	// a search of exactly MaxStates states completes. 0 means no limit.
	MaxStates int
	// MaxMemory stops the run when the Go heap in use exceeds this many
	// bytes (sampled about every 250 ms); 0 means no limit. Run collects
	// the garbage before it starts, so that what an earlier run left
	// does not count against it.
	MaxMemory uint64
	// Progress, if set, is called about every ProgressEvery with the
	// statistics so far.
	Progress      func(Stats)
	ProgressEvery time.Duration
	// StopWhenAllViolated ends the run as soon as every property has a
	// violation.
	StopWhenAllViolated bool
	// StopWhenViolated ends the run at the first violation of any
	// property: the first in the breadth-first order, so a shortest one.
	StopWhenViolated bool
	// Workers is the number of goroutines computing successors; 0 or 1
	// means one. The results do not depend on it.
	Workers int

	// VerifyStates keeps every state, packed, beside its fingerprint and
	// compares each state met again with the one stored: a fingerprint
	// collision, which would otherwise hide a state, stops the run with
	// StopReason Collision. It needs a Packer and memory for every state;
	// it is meant for small scopes.
	VerifyStates bool

	// Identity names the model and options a checkpoint belongs to; a
	// checkpoint of another identity is refused.
	Identity string
	// Checkpoint, if set, is the file a checkpoint is written to every
	// CheckpointEvery (default 5 minutes) and when the run is cancelled or
	// reaches MaxMemory. It needs a Packer.
	Checkpoint      string
	CheckpointEvery time.Duration
	// Resume, if set, is a checkpoint file to continue from instead of
	// starting afresh.
	Resume string

	// SpillDir, if set, is a directory where the run keeps its frontiers'
	// packed states and its parent links on disk (see spill.go), in files
	// deleted as the run ends. It needs a Packer.
	SpillDir string

	// Shard splits the run into Shard.Count parts that together explore
	// every state: see Shard. The zero value is one part, the whole run.
	Shard Shard
}

// Stats describes a run.
type Stats struct {
	States      int           // distinct states found
	Transitions int           // successors computed, self-loops the worker drops excepted
	Setup       int           // states at depth 0 (the setup closure)
	Depth       int           // deepest completed level
	PerDepth    []int         // new states found at each depth; they sum to States (a stopped run's last depth may be partial: beyond Depth)
	Frontier    int           // states waiting at the current level
	Elapsed     time.Duration // wall time so far
	HeapBytes   uint64        // Go heap in use at the last sample
	TableBytes  int           // bytes held by the visited set
}

// StopReason says why a run ended.
type StopReason int

// The reasons a run ends.
const (
	Exhausted   StopReason = iota // every state within the bound was explored
	AllViolated                   // every property was violated (StopWhenAllViolated)
	Violated                      // a property was violated (StopWhenViolated)
	MaxStates                     // Config.MaxStates was reached
	MaxMemory                     // Config.MaxMemory was reached
	Cancelled                     // the context was cancelled
	Collision                     // VerifyStates found two states with one fingerprint
	Failed                        // the run could not start (Result.Err)
	SpillFailed                   // a spill file could not be written (Result.Err)
)

func (r StopReason) String() string {
	switch r {
	case Exhausted:
		return "exhausted"
	case AllViolated:
		return "all properties violated"
	case Violated:
		return "a property violated"
	case MaxStates:
		return "state limit"
	case MaxMemory:
		return "memory limit"
	case Cancelled:
		return "cancelled"
	case Collision:
		return "fingerprint collision"
	case Failed:
		return "failed"
	case SpillFailed:
		return "spill failed"
	}
	return "unknown"
}

// Step is one action of a path; Setup marks the actions of the setup
// closure that built the initial layout.
type Step struct {
	Action Action
	Setup  bool
}

// Violation is the first state found that violates a property: at the
// smallest depth, and within it the first in the deterministic BFS order.
type Violation struct {
	Property int
	Depth    int
	Path     []Step
}

// Result is the outcome of a run.
type Result struct {
	Stats      Stats
	Stop       StopReason
	Complete   bool        // every state within the bound was explored
	Violations []Violation // indexed by property; Path is nil where it holds

	// Collision describes the fingerprint collision VerifyStates found.
	Collision *CollisionInfo
	// Err is why the run could not start (a checkpoint that cannot be
	// resumed) or could not write its checkpoint.
	Err error
	// Checkpoints is the number of checkpoints written.
	Checkpoints int
	// Counts are the workers' counts (Counter), summed; nil without.
	Counts []uint64
	// With Config.Shard: the depth of the split level (-1 if no level was
	// large enough, so that this part explored everything), and the
	// fingerprint of every state in index order (states are recorded
	// level by level, so Stats.PerDepth gives each one's depth).
	SplitDepth   int
	Fingerprints []uint64
}

// CollisionInfo is a fingerprint shared by two different states.
type CollisionInfo struct {
	Fingerprint uint64
	Depth       int
}

// Violated reports whether property i was violated.
func (r *Result) Violated(i int) bool { return r.Violations[i].Path != nil }

const noParent = ^uint32(0)

// Run explores m breadth first within cfg and returns what it found. It is
// deterministic: the same model and configuration give the same states,
// counts and paths.
func Run[S any](ctx context.Context, m Model[S], cfg Config[S]) Result {
	if cfg.MaxMemory > 0 {
		// The limit is judged by the heap in use, which counts garbage
		// until a collection: start from a collected heap, or what the
		// caller left (a pilot run, say) stops this run at once.
		runtime.GC()
	}
	start := time.Now()
	w := m.NewWorker()
	e := &explorer[S]{
		w:       w,
		cfg:     cfg,
		visited: newShardedSet(1 << 16),
		start:   start,
		init:    m.Init(),
	}
	if len(cfg.Properties) > 64 {
		panic("check: at most 64 properties")
	}
	e.res.Violations = make([]Violation, len(cfg.Properties))
	for i := range e.res.Violations {
		e.res.Violations[i].Property = i
	}
	if cfg.ProgressEvery == 0 {
		e.cfg.ProgressEvery = time.Second
	}
	e.lastProgress = start
	e.violIdx = make([]uint32, len(cfg.Properties))
	e.ckpt = checkpointer{path: cfg.Checkpoint, every: cfg.CheckpointEvery, last: start}
	if e.ckpt.every == 0 {
		e.ckpt.every = 5 * time.Minute
	}
	if cfg.Workers > 1 {
		for k := 0; k < cfg.Workers; k++ {
			pw := m.NewWorker()
			pk, _ := pw.(Packer[S])
			e.parts = append(e.parts, &part[S]{w: pw, p: pk})
		}
	}
	if cfg.VerifyStates {
		if _, ok := w.(Packer[S]); !ok {
			return e.fail(errors.New("check: VerifyStates needs a worker that packs states (check.Packer)"))
		}
		e.full = new([numShards]map[uint64]string)
		for i := range e.full {
			e.full[i] = map[uint64]string{}
		}
	}
	if sh := cfg.Shard; sh.Count > 1 && (sh.Index < 0 || sh.Index >= sh.Count || cfg.Resume != "" || cfg.Checkpoint != "") {
		return e.fail(fmt.Errorf("check: shard %d of %d: a part must be below the count, and parts do not checkpoint", sh.Index, sh.Count))
	}
	if cfg.Resume != "" {
		if cfg.VerifyStates {
			return e.fail(errors.New("check: VerifyStates cannot resume a checkpoint: it has no stored states"))
		}
		if err := e.loadCheckpoint(cfg.Resume); err != nil {
			return e.fail(fmt.Errorf("checkpoint %s: %v", cfg.Resume, err))
		}
		if err := e.checkResumeBound(); err != nil {
			return e.fail(fmt.Errorf("checkpoint %s: %v", cfg.Resume, err))
		}
	}
	if cfg.SpillDir != "" {
		if _, ok := w.(Packer[S]); !ok {
			return e.fail(errors.New("check: SpillDir needs a worker that packs states (check.Packer)"))
		}
		links, err := newSpillFile(cfg.SpillDir)
		if err != nil {
			return e.fail(fmt.Errorf("check: spill directory: %v", err))
		}
		e.parent.spill, e.action.spill = links, links
		defer func() {
			e.parent.unmap()
			e.action.unmap()
			links.close()
		}()
	}
	e.run(ctx)
	e.res.Counts = addCounts(nil, e.w)
	for _, p := range e.parts {
		e.res.Counts = addCounts(e.res.Counts, p.w)
	}
	e.res.Checkpoints, e.res.Err = e.ckpt.saves, e.ckpt.err
	e.res.Stats.Elapsed = time.Since(e.start)
	e.sampleMemory()
	return e.res
}

type explorer[S any] struct {
	w       Worker[S]
	cfg     Config[S]
	init    S
	visited *shardedSet
	parent  u32s // of each state, its parent's index
	action  u32s // of each state, the action from its parent
	nSetup  int
	res     Result
	start   time.Time

	lastProgress time.Time
	lastMemCheck time.Time
	violated     int
	stop         bool

	parts []*part[S] // the workers of a parallel run

	violIdx []uint32 // the state index of each property's violation

	// With VerifyStates: every state, packed, by shard and fingerprint,
	// and the first collision found (set under collMu by workers).
	full      *[numShards]map[uint64]string
	vbuf      []byte
	collMu    sync.Mutex
	collision *CollisionInfo

	// The level being expanded, how many of its states are done, and the
	// new states found so far; depth is the level's depth.
	level, next *frontier[S]
	pos, depth  int
	resumed     bool // started from a checkpoint

	ckpt     checkpointer
	spillErr error // a spill file could not be created

	buf   []Action // scratch for Actions
	cur   S        // the state being expanded
	next1 S        // scratch for Next
}

// add records a new state if it is new; it returns its index or -1.
func (e *explorer[S]) add(s *S, parent uint32, a Action, depth int) int {
	return e.addFP(s, e.w.Fingerprint(s), parent, a, depth)
}

// addFP is add with the fingerprint already computed. Properties are
// evaluated only for a state that is new.
func (e *explorer[S]) addFP(s *S, fp uint64, parent uint32, a Action, depth int) int {
	if e.full != nil {
		e.vbuf = e.w.(Packer[S]).Pack(e.vbuf[:0], s)
	}
	if e.visited.contains(fp) {
		if e.full != nil && !e.sameAsStored(fp, e.vbuf) {
			e.collided(fp, depth)
			e.stopCollision()
		}
		return -1
	}
	if e.full != nil {
		e.full[shardOf(fp)][fp] = string(e.vbuf)
	}
	return e.addChecked(fp, parent, a, depth, e.violations(s, e.pending()))
}

// sameAsStored reports whether packed is the state stored under fp.
func (e *explorer[S]) sameAsStored(fp uint64, packed []byte) bool {
	return e.full[shardOf(fp)][fp] == string(packed)
}

// collided records a collision; workers may call it concurrently.
func (e *explorer[S]) collided(fp uint64, depth int) {
	e.collMu.Lock()
	if e.collision == nil {
		e.collision = &CollisionInfo{Fingerprint: fp, Depth: depth}
	}
	e.collMu.Unlock()
}

// stopCollision stops the run if a collision was found.
func (e *explorer[S]) stopCollision() {
	if e.collision != nil && !e.stop {
		e.res.Collision = e.collision
		e.res.Stop = Collision
		e.stop = true
	}
}

// fail ends a run that could not start. Its result reports nothing found,
// not even what a checkpoint it refused held.
func (e *explorer[S]) fail(err error) Result {
	r := Result{Err: err, Stop: Failed, Violations: make([]Violation, len(e.cfg.Properties))}
	for i := range r.Violations {
		r.Violations[i].Property = i
	}
	return r
}

// pending is the set of properties not yet violated, as a bit mask.
func (e *explorer[S]) pending() uint64 {
	var m uint64
	for i := range e.cfg.Properties {
		if e.res.Violations[i].Path == nil {
			m |= 1 << i
		}
	}
	return m
}

// violations returns the properties among those in mask that s violates.
func (e *explorer[S]) violations(s *S, mask uint64) uint64 {
	var v uint64
	for i := range e.cfg.Properties {
		if mask&(1<<i) != 0 && !e.cfg.Properties[i].Holds(s) {
			v |= 1 << i
		}
	}
	return v
}

// addChecked records a state whose fingerprint is fp and which violates
// the properties in violated; it returns the state's index, or -1 if the
// state was known.
func (e *explorer[S]) addChecked(fp uint64, parent uint32, a Action, depth int, violated uint64) int {
	if !e.visited.insert(fp) {
		return -1
	}
	return e.record1(fp, parent, a, depth, violated)
}

// record1 gives a new state, already inserted in the visited set, the next
// index, and records the first violations among violated.
//
// A new state beyond Config.MaxStates is not recorded: the run stops, and
// record1 returns -1. A run of exactly MaxStates states so completes.
func (e *explorer[S]) record1(fp uint64, parent uint32, a Action, depth int, violated uint64) int {
	idx := e.parent.len()
	if e.cfg.MaxStates > 0 && idx >= e.cfg.MaxStates {
		e.res.Stop = MaxStates
		e.stop = true
		return -1
	}
	if e.cfg.Shard.Count > 1 {
		e.res.Fingerprints = append(e.res.Fingerprints, fp)
	}
	e.parent.append(parent)
	e.action.append(a)
	for i := range e.cfg.Properties {
		v := &e.res.Violations[i]
		if v.Path != nil || violated&(1<<i) == 0 {
			continue
		}
		v.Depth = depth
		v.Path = e.path(uint32(idx))
		e.violIdx[i] = uint32(idx)
		e.violated++
	}
	switch {
	case e.cfg.StopWhenAllViolated && e.violated == len(e.cfg.Properties):
		e.res.Stop = AllViolated
		e.stop = true
	case e.cfg.StopWhenViolated && e.violated > 0:
		e.res.Stop = Violated
		e.stop = true
	}
	return idx
}

// path rebuilds the actions from the initial state to state idx.
func (e *explorer[S]) path(idx uint32) []Step {
	var rev []Step
	for i := idx; e.parent.get(int(i)) != noParent; i = e.parent.get(int(i)) {
		rev = append(rev, Step{Action: e.action.get(int(i)), Setup: int(i) < e.nSetup || e.nSetup == 0})
	}
	out := make([]Step, len(rev))
	for i := range rev {
		out[i] = rev[len(rev)-1-i]
	}
	if out == nil {
		out = []Step{}
	}
	return out
}

func (e *explorer[S]) run(ctx context.Context) {
	if !e.resumed {
		// Setup closure: every state reachable from the initial one by
		// setup actions, all at depth 0.
		cur := newFrontier(e.w) // the setup levels are small: in memory
		cur.push(e.initState(), &e.init)
		all := e.newFrontier()
		all.push(0, &e.init)
		for cur.len() > 0 && !e.stop {
			e.level, e.next, e.pos = cur, newFrontier(e.w), 0
			e.expand(ctx, true, 0)
			cur.discard()
			cur = e.next
			all.appendAll(cur)
		}
		cur.discard()
		e.nSetup = e.parent.len()
		e.res.Stats.Setup = e.nSetup
		e.res.Stats.PerDepth = []int{e.nSetup}
		if e.stop {
			e.finish(false)
			return
		}
		e.level, e.next, e.pos, e.depth = all, e.newFrontier(), 0, 1
	}
	e.res.SplitDepth = -1
	for e.cfg.Bound == 0 || e.depth <= e.cfg.Bound {
		if n := e.cfg.Shard.Count; n > 1 && e.res.SplitDepth < 0 && e.level.len() >= ShardMinStates*n {
			whole := e.level
			e.level = e.split(whole)
			whole.discard()
			e.res.SplitDepth = e.depth - 1
		}
		e.expand(ctx, false, e.depth)
		if e.stop {
			e.interrupted()
			if n := e.next.len(); n > 0 {
				// The states found at the depth being explored, so
				// that PerDepth sums to States; Depth stays the last
				// complete level. (After the checkpoint, which keeps
				// complete levels only.)
				e.res.Stats.PerDepth = append(e.res.Stats.PerDepth, n)
			}
			e.finish(false)
			return
		}
		if e.next.len() == 0 {
			e.res.Stats.Depth = e.depth - 1
			e.finish(true)
			return
		}
		e.res.Stats.PerDepth = append(e.res.Stats.PerDepth, e.next.len())
		e.res.Stats.Depth = e.depth
		if e.spillFailed() {
			e.finish(false)
			return
		}
		e.level.discard()
		e.level, e.next, e.pos = e.next, e.newFrontier(), 0
		e.depth++
		e.checkpointIfDue()
	}
	e.finish(true)
}

// expand computes the successors of e.level from position e.pos on (setup
// actions only, with setup) and adds the new states among them to e.next,
// recorded at depth. Between states (between batches when parallel),
// e.pos says how many states of e.level are done and e.next holds exactly
// the states recorded from them: a checkpoint may be taken there.
func (e *explorer[S]) expand(ctx context.Context, setup bool, depth int) {
	if len(e.parts) > 1 {
		e.expandParallel(setup, depth, func() bool { return e.cancelled(ctx) })
		return
	}
	cur, nxt := e.level, e.next
	for i := e.pos; i < cur.len(); i++ {
		pidx := cur.get(i, &e.cur)
		if !e.w.Terminal(&e.cur) {
			e.buf = e.w.Actions(&e.cur, setup, e.buf[:0])
			for _, a := range e.buf {
				if !e.w.Next(&e.cur, a, &e.next1) {
					continue
				}
				e.res.Stats.Transitions++
				if idx := e.add(&e.next1, pidx, a, depth); idx >= 0 {
					nxt.push(uint32(idx), &e.next1)
				}
				if e.stop {
					return
				}
			}
		}
		e.pos = i + 1
		if e.cancelled(ctx) {
			return
		}
		if i&255 == 0 {
			if e.cfg.Checkpoint == "" {
				cur.release(i)
			}
			e.progress(depth, nxt.len())
			if e.stop {
				return
			}
			if !setup {
				e.checkpointIfDue()
			}
		}
	}
}

// initState records the initial state as state 0.
func (e *explorer[S]) initState() uint32 {
	e.add(&e.init, noParent, 0, 0)
	return 0
}

func (e *explorer[S]) finish(complete bool) {
	if e.level != nil {
		e.level.discard()
	}
	if e.next != nil && e.cfg.Checkpoint == "" {
		e.next.discard()
	}
	e.res.Complete = complete
	if complete {
		e.res.Stop = Exhausted
	}
	e.res.Stats.States = e.parent.len()
	e.res.Stats.TableBytes = e.visited.bytes()
}

func (e *explorer[S]) cancelled(ctx context.Context) bool {
	if ctx.Err() != nil {
		e.res.Stop = Cancelled
		e.stop = true
		return true
	}
	return false
}

func (e *explorer[S]) progress(depth, frontier int) {
	if e.cfg.Progress == nil && e.cfg.MaxMemory == 0 {
		return
	}
	now := time.Now()
	if e.cfg.MaxMemory > 0 && now.Sub(e.lastMemCheck) >= 250*time.Millisecond {
		e.lastMemCheck = now
		e.sampleMemory()
		if e.res.Stats.HeapBytes > e.cfg.MaxMemory {
			e.res.Stop = MaxMemory
			e.stop = true
			return
		}
	}
	if e.cfg.Progress == nil || now.Sub(e.lastProgress) < e.cfg.ProgressEvery {
		return
	}
	e.lastProgress = now
	e.sampleMemory()
	st := e.res.Stats
	st.States = e.parent.len()
	st.Depth = depth
	st.Frontier = frontier
	st.Elapsed = now.Sub(e.start)
	st.TableBytes = e.visited.bytes()
	e.cfg.Progress(st)
}

func (e *explorer[S]) sampleMemory() {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	e.res.Stats.HeapBytes = ms.HeapInuse
}
