package check_test

import (
	"context"
	"testing"

	"anoncheck/check"
)

// Parts of a sharded run explore, together, exactly the states of the
// whole run, each at its depth, and the shortest violation is the
// shortest over the parts.
func TestShardsCoverTheRun(t *testing.T) {
	const n = 400
	prop := check.Property[pt]{Name: "y<40 or x<50", Holds: func(s *pt) bool { return s.Y < 40 || s.X < 50 }}
	whole := check.Run[pt](context.Background(), grid{n}, check.Config[pt]{Properties: []check.Property[pt]{prop}, Shard: check.Shard{Index: 0, Count: 1}})
	for _, parts := range []int{2, 3, 5} {
		depthOf := map[uint64]int{}
		best := -1
		for i := 0; i < parts; i++ {
			res := check.Run[pt](context.Background(), grid{n}, check.Config[pt]{Properties: []check.Property[pt]{prop},
				Workers: 1 + i%2, Shard: check.Shard{Index: i, Count: parts}})
			if !res.Complete || res.SplitDepth < 0 || len(res.Fingerprints) != res.Stats.States {
				t.Fatalf("%d parts, part %d: complete %v, split at %d, %d fingerprints for %d states", parts, i,
					res.Complete, res.SplitDepth, len(res.Fingerprints), res.Stats.States)
			}
			idx := 0
			for d, k := range res.Stats.PerDepth {
				for j := 0; j < k; j, idx = j+1, idx+1 {
					fp := res.Fingerprints[idx]
					if old, ok := depthOf[fp]; !ok || d < old {
						depthOf[fp] = d
					}
				}
			}
			if res.Violated(0) && (best < 0 || res.Violations[0].Depth < best) {
				best = res.Violations[0].Depth
			}
		}
		if len(depthOf) != whole.Stats.States {
			t.Errorf("%d parts: %d distinct states together, the whole run has %d", parts, len(depthOf), whole.Stats.States)
		}
		perDepth := make([]int, len(whole.Stats.PerDepth))
		for _, d := range depthOf {
			perDepth[d]++
		}
		for d := range perDepth {
			if perDepth[d] != whole.Stats.PerDepth[d] {
				t.Fatalf("%d parts: %d states at depth %d, the whole run has %d", parts, perDepth[d], d, whole.Stats.PerDepth[d])
			}
		}
		if best != whole.Violations[0].Depth {
			t.Errorf("%d parts: shortest violation at depth %d, the whole run's at %d", parts, best, whole.Violations[0].Depth)
		}
	}
}
