package run

import (
	"context"
	"fmt"
	"math"
	"os"
	"runtime"
	"strings"
	"time"

	"anoncheck/check"
	"anoncheck/specs"
	"anoncheck/state"
)

// Pilot limits (variables for tests).
var (
	pilotStates = 400_000
	pilotTime   = 2 * time.Second
)

// The size model of estimate.
const (
	BytesPerState = 256 // of maximum RSS: 206-261 measured on the largest runs of docs/PERFORMANCE.md (visited set, parent links, packed frontiers, batches, heap headroom)
	// SpillBytesPerState is BytesPerState with SpillDir: the visited set
	// and the frontiers' index and location stay in memory.
	SpillBytesPerState = 48
	absurdFactor       = 100 // refuse runs estimated at more than this times the memory limit: the extrapolation overestimates spaces that saturate
	defaultGrowth      = 8.0 // states per level over the one before, when the pilot saw too few levels
	setupPerPage       = 57  // one-process layouts grow by about this per page slot (1,445 at 2, 82,677 at 3)

	// The least heap a run needs to build its initial layouts: the
	// explorer's fixed buffers (4 MiB frontier chunks, the visited set's
	// first tables, the batches of the workers) with the garbage the
	// collector lets grow before it runs, 21-30 MiB of heap in use at the
	// end of the initial layouts at pages 1 and 2 with 1 to 8 workers; and
	// per layout, garbage included, 230-650 bytes measured at pages 3.
	explorerBase = 32 << 20
	setupBytes   = 768
)

// initialLayouts estimates the number of initial layouts at pages page
// slots: 25 at 1 page, 1,445 at 2, 82,677 at 3 (default protections).
func initialLayouts(pages int) float64 {
	return 1445 * math.Pow(setupPerPage, float64(pages-2))
}

// MemoryTooSmall is the error of a memory limit that cannot hold even
// the initial layouts of a run: the run could explore next to nothing
// before the limit stopped it.
type MemoryTooSmall struct {
	Limit   uint64  // the limit given
	Least   uint64  // the least limit estimated to hold the initial layouts, in whole MiB
	Pages   int     // the scope's page slots
	Layouts float64 // the initial layouts estimated
}

func (e *MemoryTooSmall) Error() string {
	return fmt.Sprintf("a memory limit of %d bytes cannot hold the ~%.0f initial layouts at pages=%d; at least %d bytes are needed", e.Limit, e.Layouts, e.Pages, e.Least)
}

// checkMemory refuses, before any run, a memory limit below what the
// initial layouts of the scope need (explorerBase and setupBytes per
// layout, above the heap in use now), when more memory would do: such a
// run would stop after a state or two, and say only that the limit
// stopped it.
func (c *Config) checkMemory() error {
	if c.Limits.MaxMemory == 0 {
		return nil
	}
	runtime.GC() // as check.Run does before it judges the heap
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	layouts := initialLayouts(c.Scope.Pages)
	least := float64(ms.HeapInuse) + explorerBase + layouts*setupBytes
	if float64(c.Limits.MaxMemory) >= least || least > float64(PhysicalMemory()) {
		// Enough; or no limit would do, and the size estimate says to
		// lower --pages.
		return nil
	}
	const mib = 1 << 20
	return &MemoryTooSmall{Limit: c.Limits.MaxMemory, Least: uint64(math.Ceil(least/mib)) * mib, Pages: c.Scope.Pages, Layouts: layouts}
}

// TooLarge is the error of a run whose estimated size is far beyond the
// memory limit.
type TooLarge struct {
	Bound, Pages, Procs int
	States              float64 // the estimate for the whole run
	Memory              uint64  // the memory limit it was judged against
	// Fits is the largest bound estimated to fit, -1 if even the initial
	// layouts do not; FitsStates its estimated size.
	Fits          int
	FitsStates    float64
	BytesPerState int // the memory a state was reckoned at
}

func (e *TooLarge) Error() string {
	return fmt.Sprintf("bound %d at pages=%d procs=%d: estimated ~%.1e states, far beyond the memory limit", e.Bound, e.Pages, e.Procs, e.States)
}

// estimate runs a pilot of the run, limited to pilotStates states and
// pilotTime. If the pilot finishes, it is the run (done). If not, the size
// of the whole run is extrapolated from the levels the pilot completed
// (states; 0 for a run to the fixpoint, whose depth is unknown), and a
// run estimated far beyond the memory limit is refused with a *TooLarge,
// rather than left to thrash until MaxMemory stops it.
func (c *Config) estimate(ctx context.Context, m *specs.Model, cfg check.Config[state.State]) (res check.Result, done bool, states float64, err error) {
	// The pilot keeps the run's limits: a pilot stopped by MaxMemory or
	// MaxStates that the user set is the run, stopped by them.
	pilot := cfg
	if pilot.MaxStates == 0 || pilot.MaxStates > pilotStates {
		pilot.MaxStates = pilotStates
	}
	pctx, cancel := context.WithTimeout(ctx, pilotTime)
	res = check.Run[state.State](pctx, m, pilot)
	cancel()
	cut := (res.Stop == check.MaxStates && pilot.MaxStates != cfg.MaxStates) ||
		(res.Stop == check.Cancelled && ctx.Err() == nil)
	if !cut {
		return res, true, 0, nil
	}
	mem := c.Limits.MaxMemory
	if mem == 0 {
		mem = PhysicalMemory()
	}
	// The complete levels only: a stopped run also counts the level it
	// was part way through.
	levels := append([]int(nil), res.Stats.PerDepth[:min(len(res.Stats.PerDepth), res.Stats.Depth+1)]...)
	if res.Stats.States <= res.Stats.Setup {
		// The pilot may not have finished the initial layouts.
		levels = []int{int(max(initialLayouts(m.Scope.Pages), float64(res.Stats.States)))}
	}
	at := func(bound int) float64 { return extrapolate(levels, bound, m.Scope.Procs) }
	bound := c.Bound
	if bound == 0 {
		bound = len(levels) - 1 // a fixpoint's depth is unknown: judge what is already known
	}
	est := at(bound)
	if c.Bound > 0 {
		states = est
	}
	bps := float64(BytesPerState)
	if c.SpillDir != "" {
		bps = SpillBytesPerState
	}
	if est*bps <= float64(mem)*absurdFactor {
		return res, false, states, nil
	}
	e := &TooLarge{Bound: c.Bound, Pages: m.Scope.Pages, Procs: m.Scope.Procs, States: est, Memory: mem, Fits: -1, BytesPerState: int(bps)}
	for b := 0; b <= bound && at(b)*bps <= float64(mem); b++ {
		e.Fits, e.FitsStates = b, at(b)
	}
	return res, false, states, e
}

// extrapolate estimates the states of a run to bound from the sizes of
// its first complete levels: each level beyond grows by the last growth
// factor seen (with three levels or more), or by defaultGrowth.
func extrapolate(levels []int, bound, procs int) float64 {
	growth := defaultGrowth
	if procs == 1 {
		growth = 0 // the initial layouts are closed under P1's operations; only exit is left
	}
	if n := len(levels); n >= 3 && levels[n-2] > 0 {
		growth = max(1, float64(levels[n-1])/float64(levels[n-2]))
	}
	total, last := 0.0, float64(levels[len(levels)-1])
	for d := 0; d <= bound; d++ {
		if d < len(levels) {
			total += float64(levels[d])
			continue
		}
		last *= growth
		total += last
	}
	return total
}

// expected returns what a run of m to the bound is expected to end by, as
// it goes: the extrapolation from its own complete levels once it has
// three, else the pilot's estimate (0: none); never more than MaxStates.
// Unknown (0) for a run to the fixpoint without a state limit.
func (c *Config) expected(m *specs.Model, pilot float64) func(check.Stats) float64 {
	return func(st check.Stats) float64 {
		total := pilot
		if done := min(st.Depth, len(st.PerDepth)); c.Bound > 0 && done >= 3 {
			total = extrapolate(st.PerDepth[:done], c.Bound, m.Scope.Procs)
		}
		if n := float64(c.Limits.MaxStates); n > 0 && (total == 0 || n < total) {
			total = n // the run stops there
		}
		return total
	}
}

// PhysicalMemory reads MemTotal from /proc/meminfo; 8 GiB if unknown.
func PhysicalMemory() uint64 {
	data, err := os.ReadFile("/proc/meminfo")
	if err == nil {
		for _, l := range strings.Split(string(data), "\n") {
			if rest, ok := strings.CutPrefix(l, "MemTotal:"); ok {
				var kb uint64
				if _, err := fmt.Sscanf(strings.TrimSpace(rest), "%d kB", &kb); err == nil && kb > 0 {
					return kb << 10
				}
			}
		}
	}
	return 8 << 30
}
