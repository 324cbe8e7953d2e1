package check_test

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
	"testing"

	"anoncheck/check"
)

// The grid of side 5 has 25 states, 5 of them set up (depth 0): a limit of
// 25 lets the search complete; a limit of 6 stops it at the first state of
// depth 1, which its states per depth count.
func TestMaxStatesLimitIsReachedNotExceeded(t *testing.T) {
	for _, c := range []struct {
		limit, bound int
		complete     bool
		states       int
		perDepth     string
		depth        int
	}{
		{25, 0, true, 25, "[5 5 5 5 5]", 4},
		{26, 0, true, 25, "[5 5 5 5 5]", 4},
		{24, 0, false, 24, "[5 5 5 5 4]", 3},
		{6, 0, false, 6, "[5 1]", 0},
		{15, 2, true, 15, "[5 5 5]", 2},
		{14, 2, false, 14, "[5 5 4]", 1},
		{3, 0, false, 3, "[3]", 0}, // stopped during setup
	} {
		res := check.Run[pt](context.Background(), grid{5}, check.Config[pt]{MaxStates: c.limit, Bound: c.bound})
		stop := check.Exhausted
		if !c.complete {
			stop = check.MaxStates
		}
		if res.Complete != c.complete || res.Stop != stop || res.Stats.States != c.states ||
			fmt.Sprint(res.Stats.PerDepth) != c.perDepth || res.Stats.Depth != c.depth {
			t.Errorf("max-states %d bound %d: complete %v, stop %v, %d states, per depth %v, depth %d; want %v, %v, %d, %s, %d",
				c.limit, c.bound, res.Complete, res.Stop, res.Stats.States, res.Stats.PerDepth, res.Stats.Depth,
				c.complete, stop, c.states, c.perDepth, c.depth)
		}
	}
}

var garbage []byte

// The memory limit is judged by the heap in use, which counts garbage
// until a collection: a run with a limit starts from a collected heap, so
// what was allocated and dropped before it (here with the collector off)
// does not stop it.
func TestMaxMemoryIgnoresEarlierGarbage(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	limit := ms.HeapInuse + 32<<20
	for i := 0; i < 96; i++ {
		garbage = make([]byte, 1<<20)
	}
	garbage = nil
	runtime.ReadMemStats(&ms)
	if ms.HeapInuse <= limit {
		t.Fatalf("heap in use %d MiB with the garbage: not over the limit of %d MiB", ms.HeapInuse>>20, limit>>20)
	}
	res := check.Run[pt](context.Background(), grid{10}, check.Config[pt]{MaxMemory: limit})
	if !res.Complete || res.Stop != check.Exhausted || res.Stats.States != 100 {
		t.Fatalf("stop %v after %d states (heap %d MiB, limit %d MiB): want the whole grid of 100", res.Stop, res.Stats.States, res.Stats.HeapBytes>>20, limit>>20)
	}
}
