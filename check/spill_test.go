package check

import (
	"context"
	"fmt"
	"testing"
)

// fat is a point whose packed form carries 200 bytes, so that a frontier
// of tens of thousands of them fills several chunks.
type fat struct{ X, Y int }

type fatModel struct{ n, depth int }

func (m fatModel) Init() fat                  { return fat{} }
func (m fatModel) NewWorker() Worker[fat]     { return fatWorker(m) }
func (w fatWorker) Fingerprint(s *fat) uint64 { return mix(uint64(s.X)<<32 | uint64(s.Y)) }
func (w fatWorker) Terminal(*fat) bool        { return false }
func (w fatWorker) Actions(s *fat, setup bool, buf []Action) []Action {
	if setup {
		return append(buf, 1, 4)
	}
	return append(buf, 2, 3)
}
func (w fatWorker) Next(s *fat, a Action, out *fat) bool {
	*out = *s
	switch a {
	case 1, 4: // a binary tree of x: few setup levels
		out.X = 2*s.X + int(a+1)/2
		return out.X < w.n
	case 2:
		out.Y++
		return out.Y <= w.depth
	}
	out.Y = 0
	return s.Y != 0
}
func (w fatWorker) Pack(dst []byte, s *fat) []byte {
	dst = append(dst, byte(s.X), byte(s.X>>8), byte(s.X>>16), byte(s.Y))
	for i := 0; i < 196; i++ {
		dst = append(dst, byte(s.X+i))
	}
	return dst
}
func (w fatWorker) Unpack(src []byte, s *fat) {
	s.X, s.Y = int(src[0])|int(src[1])<<8|int(src[2])<<16, int(src[3])
	if src[199] != byte(s.X+195) {
		panic("a spilled frontier returned a corrupt state")
	}
}

type fatWorker fatModel

// A run that spills its frontiers and parent links to disk finds the same
// states, counts and paths as one that keeps them in memory, with one
// worker and with three, on a model large enough that every frontier and
// link array fills several chunks.
func TestSpillMatchesMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("1.3 M states")
	}
	m := fatModel{n: 50000, depth: 25}
	prop := Property[fat]{Name: "x", Holds: func(s *fat) bool { return s.X != 49999 || s.Y < 25 }}
	for _, workers := range []int{1, 3} {
		mem := Run[fat](context.Background(), m, Config[fat]{Properties: []Property[fat]{prop}, Workers: workers})
		spill := Run[fat](context.Background(), m, Config[fat]{Properties: []Property[fat]{prop}, Workers: workers, SpillDir: t.TempDir()})
		if spill.Err != nil || !spill.Complete || spill.Stats.States < 1_200_000 {
			t.Fatalf("workers=%d: spilled run: %v, complete %v, %d states", workers, spill.Err, spill.Complete, spill.Stats.States)
		}
		if fmt.Sprint(mem.Stats.PerDepth, mem.Stats.Transitions, mem.Violations) != fmt.Sprint(spill.Stats.PerDepth, spill.Stats.Transitions, spill.Violations) {
			t.Fatalf("workers=%d: in memory %v %d %v; spilled %v %d %v", workers, mem.Stats.PerDepth, mem.Stats.Transitions, mem.Violations,
				spill.Stats.PerDepth, spill.Stats.Transitions, spill.Violations)
		}
	}
}
