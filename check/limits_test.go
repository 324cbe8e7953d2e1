package check

import (
	"context"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// ckptLayout is where the fields a test patches lie in a checkpoint file.
type ckptLayout struct {
	depth, pos, levels, viols, states int
	shardSlots                        [numShards]int
	frontier                          [2]int // level, next
}

func layoutOf(t *testing.T, data []byte) ckptLayout {
	t.Helper()
	u := func(off int) int { return int(binary.LittleEndian.Uint64(data[off:])) }
	var l ckptLayout
	off := len(checkpointMagic) + 16 // magic, version, byte order
	off += 8 + u(off)                // identity
	off += 8 + u(off)                // tool
	props := u(off)
	off += 8
	l.depth, l.pos = off, off+8
	off += 5 * 8 // depth, position, setup states, transitions, elapsed
	l.levels = off
	off += 8 + 8*u(off)
	l.viols = off
	off += 16 * props
	l.states = off
	off += 8 + 8*u(off)
	for i := range l.shardSlots {
		l.shardSlots[i] = off + 16
		off += 24 + 8*u(off+16)
	}
	for k := range l.frontier {
		l.frontier[k] = off
		m := u(off)
		off += 8 + 4*m
		for i := 0; i < m; i++ {
			off += 8 + u(off)
		}
	}
	if off+8 != len(data) {
		t.Fatalf("checkpoint layout: fields end at %d, the file at %d", off+8, len(data))
	}
	return l
}

func put64(data []byte, off int, v uint64) { binary.LittleEndian.PutUint64(data[off:], v) }
func get64(data []byte, off int) uint64    { return binary.LittleEndian.Uint64(data[off:]) }

// reCRC makes data's checksum right again after a patch, so that what
// refuses the patch is the check of the field, not the checksum.
func reCRC(data []byte) {
	put64(data, len(data)-8, uint64(crc32.ChecksumIEEE(data[:len(data)-8])))
}

// checkpointAt runs m with one worker until it begins to find the states
// at depth, cancels it there and returns its checkpoint, in the middle of
// that level.
func checkpointAt(t *testing.T, m sqModel, props []Property[sq], depth int) (string, []byte) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "run.ckpt")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	res := Run[sq](ctx, m, Config[sq]{Properties: props, Identity: "sq", Checkpoint: path, ProgressEvery: 1,
		Progress: func(st Stats) {
			if st.Depth == depth {
				cancel()
			}
		}})
	if res.Stop != Cancelled || res.Err != nil || res.Checkpoints != 1 {
		t.Fatalf("interrupted run: stop %v, err %v, %d checkpoints", res.Stop, res.Err, res.Checkpoints)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	l := layoutOf(t, data)
	if d, p := get64(data, l.depth), get64(data, l.pos); d != uint64(depth) || p == 0 {
		t.Fatalf("checkpoint at depth %d position %d, want depth %d part way", d, p, depth)
	}
	return path, data
}

func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func failedCleanly(r Result) string {
	if r.Stop != Failed || r.Err == nil {
		return fmt.Sprintf("stop %v, err %v: want a failure", r.Stop, r.Err)
	}
	if r.Stats.States != 0 || r.Complete {
		return fmt.Sprintf("a failed run reports %d states, complete %v", r.Stats.States, r.Complete)
	}
	for i := range r.Violations {
		if r.Violated(i) {
			return fmt.Sprintf("a failed run reports property %d violated", i)
		}
	}
	return ""
}

// A checkpoint that has explored into depth D, resumed with a bound below
// D, would report its states, transitions and violations beyond the bound
// as within it: it is refused, naming the bound it needs. With a bound of
// D or more, or none, it ends as a run never stopped.
func TestResumeWithBoundBelowCheckpointRefused(t *testing.T) {
	m := sqModel{90}
	path, _ := checkpointAt(t, m, sqProps, 5) // depths 0-4 complete, 5 in part
	for _, bound := range []int{1, 4} {
		r := Run[sq](context.Background(), m, Config[sq]{Properties: sqProps, Identity: "sq", Resume: path, Bound: bound})
		if d := failedCleanly(r); d != "" {
			t.Fatalf("bound %d: %s", bound, d)
		}
		if want := "explored to depth 5 (depth 4 complete, depth 5 in part), beyond bound " + fmt.Sprint(bound) + "; resume with --bound 5 or more (0 for no bound)"; !strings.Contains(r.Err.Error(), want) ||
			!strings.HasPrefix(r.Err.Error(), "checkpoint "+path+": ") {
			t.Fatalf("bound %d: error %q; want one naming the checkpoint and saying %q", bound, r.Err, want)
		}
	}
	for _, bound := range []int{5, 6, 0} {
		full := Run[sq](context.Background(), m, Config[sq]{Properties: sqProps, Bound: bound})
		r := Run[sq](context.Background(), m, Config[sq]{Properties: sqProps, Identity: "sq", Resume: path, Bound: bound})
		if r.Err != nil {
			t.Fatalf("bound %d: %v", bound, r.Err)
		}
		if d := same(r, full); d != "" {
			t.Fatalf("bound %d: resumed run differs from the uninterrupted one:\n%s", bound, d)
		}
	}
}

// A checkpoint taken between two levels has explored only the complete
// ones: it resumes with a bound of its last complete level, and not less.
func TestResumeBoundAtLevelBoundary(t *testing.T) {
	m := sqModel{60}
	dir := t.TempDir()
	path, copied := filepath.Join(dir, "run.ckpt"), filepath.Join(dir, "boundary.ckpt")
	var copyErr error
	taken := false
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	Run[sq](ctx, m, Config[sq]{Properties: sqProps, Identity: "sq", Checkpoint: path,
		CheckpointEvery: 1, ProgressEvery: 1, Progress: func(st Stats) {
			// The first progress of depth 4 follows the checkpoint
			// written when depth 3 was complete.
			if st.Depth == 4 && !taken {
				taken = true
				var data []byte
				if data, copyErr = os.ReadFile(path); copyErr == nil {
					copyErr = os.WriteFile(copied, data, 0o644)
				}
				cancel()
			}
		}})
	if !taken || copyErr != nil {
		t.Fatalf("no checkpoint copied (%v)", copyErr)
	}
	data, _ := os.ReadFile(copied)
	l := layoutOf(t, data)
	if d, p := get64(data, l.depth), get64(data, l.pos); d != 4 || p != 0 {
		t.Fatalf("checkpoint at depth %d position %d, want 4 and 0 (depth 3 complete)", d, p)
	}
	r := Run[sq](context.Background(), m, Config[sq]{Properties: sqProps, Identity: "sq", Resume: copied, Bound: 2})
	if d := failedCleanly(r); d != "" || !strings.Contains(r.Err.Error(), "explored to depth 3, beyond bound 2; resume with --bound 3 or more") {
		t.Fatalf("bound 2: %s; err %v", d, r.Err)
	}
	full := Run[sq](context.Background(), m, Config[sq]{Properties: sqProps, Bound: 3})
	r = Run[sq](context.Background(), m, Config[sq]{Properties: sqProps, Identity: "sq", Resume: copied, Bound: 3})
	if d := same(r, full); r.Err != nil || d != "" {
		t.Fatalf("bound 3: err %v\n%s", r.Err, d)
	}
}

// A violation restored from a checkpoint is at the depth of its state, so
// never beyond the depth the checkpoint reached nor the bound it resumes
// with; one that is not, in a file whose checksum is right, is refused.
func TestResumeRefusesViolationBeyondItsState(t *testing.T) {
	m := sqModel{90}
	props := []Property[sq]{{Name: "x+y != 4", Holds: func(s *sq) bool { return s.X+s.Y != 4 }}}
	path, data := checkpointAt(t, m, props, 5)
	l := layoutOf(t, data)
	if d := get64(data, l.viols); d != 2 {
		t.Fatalf("checkpoint has the violation at depth %d, want 2", d)
	}
	r := Run[sq](context.Background(), m, Config[sq]{Properties: props, Identity: "sq", Resume: path, Bound: 5})
	if r.Err != nil || !r.Violated(0) || r.Violations[0].Depth != 2 {
		t.Fatalf("unpatched: err %v, violations %+v", r.Err, r.Violations)
	}
	for _, depth := range []uint64{3, 5, 7, 1 << 40} {
		bad := append([]byte(nil), data...)
		put64(bad, l.viols, depth)
		reCRC(bad)
		p := writeFile(t, "viol.ckpt", bad)
		r := Run[sq](context.Background(), m, Config[sq]{Properties: props, Identity: "sq", Resume: p, Bound: 5})
		if d := failedCleanly(r); d != "" || !strings.Contains(r.Err.Error(), "corrupt") {
			t.Fatalf("violation patched to depth %d: %s; err %v", depth, d, r.Err)
		}
	}
}

// A count in a corrupt checkpoint is checked against what the rest of
// the file can hold before anything is allocated for it: the read fails
// cleanly, allocating no more than a small multiple of the file's size,
// even where the checksum was made right again.
func TestCorruptCountsFailWithoutHugeAllocation(t *testing.T) {
	m := sqModel{90}
	_, data := checkpointAt(t, m, sqProps, 5)
	l := layoutOf(t, data)
	for _, c := range []struct {
		what string
		off  int
		v    uint64
	}{
		{"states", l.states, 1 << 26},
		{"shard 0 slots", l.shardSlots[0], 1 << 26},
		{"shard 37 slots", l.shardSlots[37], 1 << 26},
		{"shard 63 slots", l.shardSlots[63], 1 << 36},
		{"level states", l.frontier[0], 1 << 26},
		{"next states", l.frontier[1], 1 << 26},
		{"levels", l.levels, 1 << 20},
		{"packed state length", l.frontier[1] + 8 + 4*int(get64(data, l.frontier[1])), 1 << 19},
	} {
		for _, fix := range []bool{false, true} {
			bad := append([]byte(nil), data...)
			put64(bad, c.off, c.v)
			if fix {
				reCRC(bad)
			}
			p := writeFile(t, "bad.ckpt", bad)
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			r := Run[sq](context.Background(), m, Config[sq]{Properties: sqProps, Identity: "sq", Resume: p})
			runtime.ReadMemStats(&after)
			if d := failedCleanly(r); d != "" || !strings.Contains(r.Err.Error(), "checkpoint "+p+": corrupt") {
				t.Fatalf("%s = %d (checksum fixed %v): %s; err %v", c.what, c.v, fix, d, r.Err)
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 32<<20+4*uint64(len(data)) {
				t.Fatalf("%s = %d: reading the %d-byte file allocated %d MiB", c.what, c.v, len(data), alloc>>20)
			}
		}
	}
	for _, cut := range []int{len(data) / 4, len(data) / 2, l.frontier[0] + 3, l.frontier[1] + 20, len(data) - 9, len(data) - 1} {
		p := writeFile(t, "cut.ckpt", data[:cut])
		r := Run[sq](context.Background(), m, Config[sq]{Properties: sqProps, Identity: "sq", Resume: p})
		if d := failedCleanly(r); d != "" || !strings.Contains(r.Err.Error(), "truncated") {
			t.Fatalf("cut at %d of %d: %s; err %v", cut, len(data), d, r.Err)
		}
	}
}

// A limit of exactly the states a search has lets it complete; one state
// fewer stops it, with its states per depth summing to the states found
// (the last depth partial, if the stop fell after its first state). With any number of workers.
func TestMaxStatesExactlyTheSearchCompletes(t *testing.T) {
	oldB, oldU := batchStates, unitStates
	batchStates, unitStates = 24, 5
	defer func() { batchStates, unitStates = oldB, oldU }()
	m := sqModel{80}
	for _, bound := range []int{0, 17} {
		full := Run[sq](context.Background(), m, Config[sq]{Properties: sqProps, Bound: bound})
		n := full.Stats.States
		for _, w := range []int{1, 2, 3} {
			r := Run[sq](context.Background(), m, Config[sq]{Properties: sqProps, Bound: bound, Workers: w, MaxStates: n})
			if d := same(r, full); d != "" {
				t.Fatalf("bound %d workers %d, --max-states %d, the search's size: differs from the run without it:\n%s", bound, w, n, d)
			}
			for _, limit := range []int{n - 1, n / 2, 2} {
				r := Run[sq](context.Background(), m, Config[sq]{Properties: sqProps, Bound: bound, Workers: w, MaxStates: limit})
				if r.Complete || r.Stop != MaxStates || r.Stats.States != limit {
					t.Fatalf("bound %d workers %d max-states %d: stop %v complete %v with %d states", bound, w, limit, r.Stop, r.Complete, r.Stats.States)
				}
				sum := 0
				for _, c := range r.Stats.PerDepth {
					sum += c
				}
				if k := len(r.Stats.PerDepth) - r.Stats.Depth; sum != r.Stats.States || k != 1 && k != 2 {
					t.Fatalf("bound %d workers %d max-states %d: %d states, depth %d, per depth %v", bound, w, limit, r.Stats.States, r.Stats.Depth, r.Stats.PerDepth)
				}
				for d := 0; d <= r.Stats.Depth; d++ {
					if r.Stats.PerDepth[d] != full.Stats.PerDepth[d] {
						t.Fatalf("max-states %d: complete depth %d has %d states, the full run %d", limit, d, r.Stats.PerDepth[d], full.Stats.PerDepth[d])
					}
				}
			}
		}
	}
}
