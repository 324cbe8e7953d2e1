// Package conform tests the model against the kernel it runs on: it
// generates operation sequences (random, from a seed, and every sequence
// up to a bound), performs each on a variant's model and, as real
// processes, on this machine's kernel, and compares after every step each
// system call's result, each process's maps inside the test region, and
// per page whether it is present, which processes share it, whether it is
// the page it was before the step, pagemap's exclusively-mapped bit and
// the mapcount. docs/CONFORM.md describes what is compared and the known
// differences.
package conform

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"anoncheck/specs"
	"anoncheck/transitions"
)

// Config is one conform run.
type Config struct {
	Variant *specs.Variant
	Scope   transitions.Scope
	// Runs random sequences of Ops operations each, drawn from Seed.
	Runs, Ops int
	Seed      uint64
	// Bound > 0 also runs every sequence of Bound operations.
	Bound int
	// Workers executors run sequences at once, each pinned to a CPU.
	Workers int
	// Markers compares content markers instead of PFNs even where PFNs
	// are shown (they are used anyway where they are not).
	Markers bool
	// NoPin leaves the executors free to run on any CPU. Pinned, every
	// process of a sequence runs on one CPU, so the per-CPU LRU batches
	// that hold references to new pages are those lru_add_drain() drains
	// (known difference extra-reference-copy).
	NoPin bool
	// Out, if set, is where each run with a difference is written
	// (File), up to MaxFiles unexplained ones and MaxFiles known ones.
	Out      string
	MaxFiles int
	// Progress, if set, is called about every ProgressEvery.
	Progress      func(Progress)
	ProgressEvery time.Duration
}

// Progress is how far a run has got.
type Progress struct {
	Runs, Total int // Total: 0 when unknown (bound mode's count)
	Steps       int64
	Known       int
	Unexplained int
	Elapsed     time.Duration
}

// Finding is a run with a difference: the sequence up to the step that
// differed, its differences, and the file it was written to.
type Finding struct {
	Seq   *Sequence
	Diffs []Difference
	File  string
}

// Unexplained reports whether a difference of the finding is not a known
// one.
func (f *Finding) Unexplained() bool {
	for i := range f.Diffs {
		if f.Diffs[i].Known == nil {
			return true
		}
	}
	return false
}

// Result is what a conform run compared and found.
type Result struct {
	Machine Machine
	// Markers: content markers stood in for PFNs.
	Markers bool
	// RandomRuns and BoundRuns are the sequences run; Steps their steps.
	RandomRuns, BoundRuns int
	Steps                 int64
	// Cut counts the runs the model's capacity ended early.
	Cut int
	// Compared counts the fields compared.
	Compared Counts
	// Known counts the runs with a known difference (and none
	// unexplained), by Known.ID.
	Known map[string]int
	// Unexplained counts the runs with an unexplained difference.
	Unexplained int
	// Findings are the runs with a difference, unexplained first, each
	// kind in run order; at most MaxFiles of each when Out is set.
	Findings []*Finding
	Elapsed  time.Duration
	// Stopped: the context ended the run before every sequence ran.
	Stopped bool
}

// Runs is the number of sequences run.
func (r *Result) Runs() int { return r.RandomRuns + r.BoundRuns }

// KnownRuns is the number of runs with a known difference only.
func (r *Result) KnownRuns() int {
	n := 0
	for _, v := range r.Known {
		n += v
	}
	return n
}

// ErrUnavailable wraps the reasons conform cannot run on this machine:
// no C compiler, or an executor that cannot start.
var ErrUnavailable = errors.New("conform cannot run here")

// Probe builds the executor and starts it once to learn what this machine
// shows; tests use it to decide whether to skip.
func Probe() (Machine, error) {
	dir, err := os.MkdirTemp("", "anoncheck-conform-")
	if err != nil {
		return Machine{}, err
	}
	defer os.RemoveAll(dir)
	bin, err := Build(dir)
	if err != nil {
		return Machine{}, err
	}
	e, err := startExecutor(bin, -1)
	if err != nil {
		return Machine{}, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	defer e.close()
	return e.m, nil
}

// pool is the executors of a run, one per worker.
type pool struct {
	dir  string
	bin  string
	exec []*executor
}

func newPool(workers int, pin bool) (*pool, error) {
	dir, err := os.MkdirTemp("", "anoncheck-conform-")
	if err != nil {
		return nil, err
	}
	p := &pool{dir: dir}
	if p.bin, err = Build(dir); err != nil {
		p.close()
		return nil, err
	}
	var cpus []int
	if pin {
		cpus = allowedCPUs()
	}
	for w := 0; w < workers; w++ {
		cpu := -1
		if len(cpus) > 0 {
			cpu = cpus[w%len(cpus)]
		}
		e, err := startExecutor(p.bin, cpu)
		if err != nil {
			p.close()
			return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
		}
		p.exec = append(p.exec, e)
	}
	return p, nil
}

func (p *pool) close() {
	for _, e := range p.exec {
		e.close()
	}
	os.RemoveAll(p.dir)
}

// job is one sequence to run.
type job struct{ seq *Sequence }

// Run runs the configuration's sequences on the model and the kernel.
func Run(ctx context.Context, cfg *Config) (*Result, error) {
	if cfg.Workers < 1 {
		cfg.Workers = 1
	}
	if err := checkScope(&cfg.Scope); err != nil {
		return nil, err
	}
	p, err := newPool(cfg.Workers, !cfg.NoPin)
	if err != nil {
		return nil, err
	}
	defer p.close()
	res := &Result{Machine: p.exec[0].m, Known: map[string]int{}}
	res.Markers = cfg.Markers || !res.Machine.PFN
	start := time.Now()
	outer := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	jobs := make(chan job, 4*cfg.Workers)
	var genErr error
	go func() {
		defer close(jobs)
		genErr = generate(ctx, cfg, jobs)
	}()

	var mu sync.Mutex
	var runs atomic.Int64
	var steps atomic.Int64
	var knownRuns, unexplained atomic.Int64
	var findings []*Finding
	var firstErr error
	var wg sync.WaitGroup
	for w := range p.exec {
		wg.Add(1)
		go func(e *executor) {
			defer wg.Done()
			c := &comparer{pages: cfg.Scope.Pages, procs: cfg.Scope.Procs, pfn: !res.Markers, kpagecount: e.m.KPageCount && !res.Markers,
				markers: res.Markers}
			var randomRuns, boundRuns, cut int
			defer func() {
				mu.Lock()
				res.Compared.Add(&c.counts)
				res.RandomRuns += randomRuns
				res.BoundRuns += boundRuns
				res.Cut += cut
				mu.Unlock()
			}()
			for j := range jobs {
				if ctx.Err() != nil {
					continue // drain
				}
				f, err := runOne(e, c, cfg, j.seq, res.Markers)
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					cancel() // the rest would only wait for a broken executor
					continue
				}
				runs.Add(1)
				steps.Add(int64(len(j.seq.Ops)))
				if j.seq.Mode == "random" {
					randomRuns++
				} else {
					boundRuns++
				}
				if j.seq.Cut {
					cut++
				}
				if f == nil {
					continue
				}
				if f.Unexplained() {
					unexplained.Add(1)
				} else {
					knownRuns.Add(1)
				}
				mu.Lock()
				findings = append(findings, f)
				mu.Unlock()
			}
		}(p.exec[w])
	}

	done := make(chan struct{})
	if cfg.Progress != nil {
		every := cfg.ProgressEvery
		if every <= 0 {
			every = 10 * time.Second
		}
		total := cfg.Runs
		if cfg.Bound > 0 {
			total = 0
		}
		go func() {
			t := time.NewTicker(every)
			defer t.Stop()
			for {
				select {
				case <-done:
					return
				case <-t.C:
					cfg.Progress(Progress{Runs: int(runs.Load()), Total: total, Steps: steps.Load(),
						Known: int(knownRuns.Load()), Unexplained: int(unexplained.Load()), Elapsed: time.Since(start)})
				}
			}
		}()
	}
	wg.Wait()
	close(done)
	res.Elapsed = time.Since(start)
	res.Steps = steps.Load()
	res.Stopped = outer.Err() != nil
	if firstErr != nil {
		return res, firstErr
	}
	if genErr != nil && !res.Stopped {
		return res, genErr
	}

	// Unexplained first, then known; each in run order (random, then bound).
	slices.SortStableFunc(findings, func(a, b *Finding) int {
		if ua, ub := a.Unexplained(), b.Unexplained(); ua != ub {
			if ua {
				return -1
			}
			return 1
		}
		if a.Seq.Mode != b.Seq.Mode {
			if a.Seq.Mode == "random" {
				return -1
			}
			return 1
		}
		return a.Seq.Index - b.Seq.Index
	})
	res.Unexplained = int(unexplained.Load())
	perKnown := map[string]int{}
	for _, f := range findings {
		if !f.Unexplained() {
			res.Known[f.Diffs[firstKnown(f)].Known.ID]++
		}
	}
	kept := findings[:0]
	nu := 0
	for _, f := range findings {
		if cfg.MaxFiles > 0 {
			if f.Unexplained() {
				if nu >= cfg.MaxFiles {
					continue
				}
				nu++
			} else {
				id := f.Diffs[firstKnown(f)].Known.ID
				if perKnown[id] >= cfg.MaxFiles {
					continue
				}
				perKnown[id]++
			}
		}
		kept = append(kept, f)
	}
	res.Findings = kept
	if cfg.Out != "" {
		for _, f := range res.Findings {
			path, err := writeFinding(cfg, res, f)
			if err != nil {
				return res, err
			}
			f.File = path
		}
	}
	return res, nil
}

func firstKnown(f *Finding) int {
	for i := range f.Diffs {
		if f.Diffs[i].Known != nil {
			return i
		}
	}
	return 0
}

// generate sends the configuration's sequences to jobs: the random runs,
// then every sequence to the bound.
func generate(ctx context.Context, cfg *Config, jobs chan<- job) error {
	m := newModel(cfg.Variant, &cfg.Scope)
	for i := 0; i < cfg.Runs; i++ {
		seq, err := m.randomSequence(cfg.Seed, i, cfg.Ops)
		if err != nil {
			return err
		}
		select {
		case jobs <- job{seq}:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if cfg.Bound <= 0 {
		return nil
	}
	var stopped error
	err := m.boundSequences(cfg.Bound, func(seq *Sequence) bool {
		select {
		case jobs <- job{seq}:
			return true
		case <-ctx.Done():
			stopped = ctx.Err()
			return false
		}
	})
	if err != nil {
		return err
	}
	return stopped
}

// runOne runs seq on the kernel and compares each step; it returns the
// finding of the first step that differs, or nil.
func runOne(e *executor, c *comparer, cfg *Config, seq *Sequence, markers bool) (*Finding, error) {
	if len(seq.Ops) == 0 {
		return nil, nil
	}
	if err := e.send(seq, cfg.Scope.Pages, markers); err != nil {
		return nil, err
	}
	obs := make([]Obs, len(seq.Ops))
	if err := e.receive(obs); err != nil {
		return nil, err
	}
	for i := range seq.Ops {
		var prev *Obs
		if i > 0 {
			prev = &obs[i-1]
		}
		if diffs := c.compare(seq, i, &obs[i], prev); len(diffs) > 0 {
			cutAt(seq, i+1)
			return &Finding{Seq: seq, Diffs: diffs}, nil
		}
	}
	return nil, nil
}

// cutAt keeps the first n steps of seq: a finding's trace ends at the step
// that differed.
func cutAt(seq *Sequence, n int) {
	seq.Ops, seq.Results, seq.States = seq.Ops[:n], seq.Results[:n], seq.States[:n]
}

// CPUs lists the CPUs this process may run on, which the executors are
// pinned to, one each in turn; empty when that cannot be told.
func CPUs() []int { return allowedCPUs() }

// allowedCPUs lists the CPUs this process may run on, so that each
// executor can be pinned to one; empty when that cannot be told.
func allowedCPUs() []int {
	return schedCPUs(runtime.NumCPU())
}
