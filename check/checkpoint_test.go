package check

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Pack and Unpack make the square model a Packer, as checkpoints and
// VerifyStates need.
func (m sqModel) Pack(dst []byte, s *sq) []byte {
	return binary.LittleEndian.AppendUint32(dst, uint32(s.X)<<16|uint32(s.Y))
}

func (m sqModel) Unpack(src []byte, s *sq) {
	v := binary.LittleEndian.Uint32(src)
	s.X, s.Y = uint16(v>>16), uint16(v)
}

// weakSq is the square model with a fingerprint of 8 bits: collisions are
// certain.
type weakSq struct{ sqModel }

func (m weakSq) NewWorker() Worker[sq]    { return m }
func (m weakSq) Fingerprint(s *sq) uint64 { return uint64(s.X*31+s.Y) & 0xff }

var sqProps = []Property[sq]{
	{Name: "x+y != 30", Holds: func(s *sq) bool { return s.X+s.Y != 30 }},
	{Name: "x != 55", Holds: func(s *sq) bool { return s.X != 55 }},
	{Name: "y*x != 1200", Holds: func(s *sq) bool { return int(s.X)*int(s.Y) != 1200 }},
}

func same(a, b Result) string {
	if a.Stats.States != b.Stats.States || a.Stats.Transitions != b.Stats.Transitions || a.Stop != b.Stop ||
		a.Complete != b.Complete || a.Stats.Depth != b.Stats.Depth ||
		fmt.Sprint(a.Stats.PerDepth) != fmt.Sprint(b.Stats.PerDepth) || fmt.Sprint(a.Violations) != fmt.Sprint(b.Violations) {
		return fmt.Sprintf("%v %+v %v\nvs %v %+v %v", a.Stop, a.Stats, a.Violations, b.Stop, b.Stats, b.Violations)
	}
	return ""
}

// A run cancelled part way, at any point, writes a checkpoint; resumed
// from it, the run ends with the same states, transitions, depths,
// violations and paths as one never stopped, for one worker and several.
func TestResumeMatchesUninterrupted(t *testing.T) {
	oldB, oldU := batchStates, unitStates
	batchStates, unitStates = 40, 7
	defer func() { batchStates, unitStates = oldB, oldU }()
	m := sqModel{90}
	for _, w := range []int{1, 2, 3} {
		full := Run[sq](context.Background(), m, Config[sq]{Properties: sqProps, Workers: w})
		if !full.Complete {
			t.Fatal("the uninterrupted run did not complete")
		}
		for _, after := range []int{2, 3, 17, 40} {
			path := filepath.Join(t.TempDir(), "run.ckpt")
			ctx, cancel := context.WithCancel(context.Background())
			calls := 0
			part := Run[sq](ctx, m, Config[sq]{Properties: sqProps, Workers: w, Identity: "sq90",
				Checkpoint: path, ProgressEvery: 1, Progress: func(Stats) {
					if calls++; calls == after {
						cancel()
					}
				}})
			cancel()
			if part.Stop != Cancelled || part.Err != nil || part.Checkpoints == 0 {
				t.Fatalf("workers=%d after=%d: interrupted run: stop %v, err %v, %d checkpoints", w, after, part.Stop, part.Err, part.Checkpoints)
			}
			if part.Stats.States >= full.Stats.States {
				t.Fatalf("workers=%d after=%d: the run was not interrupted early (%d states)", w, after, part.Stats.States)
			}
			res := Run[sq](context.Background(), m, Config[sq]{Properties: sqProps, Workers: w, Identity: "sq90", Resume: path})
			if res.Err != nil {
				t.Fatal(res.Err)
			}
			if d := same(res, full); d != "" {
				t.Fatalf("workers=%d after=%d: resumed run differs from the uninterrupted one:\n%s", w, after, d)
			}
		}
	}
}

// Periodic checkpoints, each resumable to the same end.
func TestPeriodicCheckpoints(t *testing.T) {
	m := sqModel{60}
	full := Run[sq](context.Background(), m, Config[sq]{Properties: sqProps})
	dir := t.TempDir()
	path := filepath.Join(dir, "run.ckpt")
	var copies []string
	res := Run[sq](context.Background(), m, Config[sq]{Properties: sqProps, Identity: "sq60", Checkpoint: path,
		CheckpointEvery: 1, ProgressEvery: 1, Progress: func(Stats) {
			if data, err := os.ReadFile(path); err == nil {
				c := filepath.Join(dir, fmt.Sprintf("copy%d", len(copies)))
				os.WriteFile(c, data, 0o644)
				copies = append(copies, c)
			}
		}})
	if d := same(res, full); d != "" {
		t.Fatalf("a run writing checkpoints differs from one that does not:\n%s", d)
	}
	if res.Checkpoints < 3 || len(copies) < 3 {
		t.Fatalf("%d checkpoints written, %d copied: want several", res.Checkpoints, len(copies))
	}
	for _, c := range []string{copies[0], copies[len(copies)/2], copies[len(copies)-1]} {
		r := Run[sq](context.Background(), m, Config[sq]{Properties: sqProps, Identity: "sq60", Resume: c})
		if d := same(r, full); r.Err != nil || d != "" {
			t.Fatalf("resumed from %s: err %v\n%s", c, r.Err, d)
		}
	}
}

// A checkpoint of another run, a truncated one and a corrupted one are
// refused with a reason.
func TestResumeRefusesBadCheckpoints(t *testing.T) {
	m := sqModel{60}
	dir := t.TempDir()
	path := filepath.Join(dir, "run.ckpt")
	ctx, cancel := context.WithCancel(context.Background())
	Run[sq](ctx, m, Config[sq]{Properties: sqProps, Identity: "sq60", Checkpoint: path, ProgressEvery: 1,
		Progress: func(Stats) { cancel() }})
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	flipped := append([]byte(nil), data...)
	flipped[len(flipped)/2] ^= 0x40
	for _, c := range []struct {
		path, identity, want string
	}{
		{path, "other", "another run"},
		{write("trunc", data[:len(data)-100]), "sq60", "truncated"},
		{write("flip", flipped), "sq60", "corrupt"},
		{write("junk", []byte("hello")), "sq60", "not an anoncheck checkpoint"},
		{filepath.Join(dir, "missing"), "sq60", "no such file"},
	} {
		r := Run[sq](context.Background(), m, Config[sq]{Properties: sqProps, Identity: c.identity, Resume: c.path})
		if r.Err == nil || r.Stop != Failed || !strings.Contains(r.Err.Error(), c.want) {
			t.Errorf("resume from %s as %q: err %v, stop %v; want an error containing %q", filepath.Base(c.path), c.identity, r.Err, r.Stop, c.want)
		}
	}
}

// With an 8-bit fingerprint, collisions hide states: a plain run finds
// fewer states than there are, and VerifyStates stops it with the
// collision instead. With the exact fingerprint VerifyStates finds none.
func TestVerifyStatesDetectsCollision(t *testing.T) {
	for _, w := range []int{1, 2} {
		exact := Run[sq](context.Background(), sqModel{30}, Config[sq]{Workers: w, VerifyStates: true})
		if exact.Stop != Exhausted || exact.Collision != nil || exact.Stats.States != 30*30 {
			t.Fatalf("workers=%d: exact fingerprints: stop %v, collision %v, %d states (want %d)", w, exact.Stop, exact.Collision, exact.Stats.States, 30*30)
		}
		weak := Run[sq](context.Background(), weakSq{sqModel{30}}, Config[sq]{Workers: w})
		if weak.Stats.States >= exact.Stats.States {
			t.Fatalf("workers=%d: the weak fingerprint hid no state (%d states)", w, weak.Stats.States)
		}
		v := Run[sq](context.Background(), weakSq{sqModel{30}}, Config[sq]{Workers: w, VerifyStates: true})
		if v.Stop != Collision || v.Collision == nil || v.Complete {
			t.Fatalf("workers=%d: VerifyStates did not report the collision: stop %v, %+v", w, v.Stop, v.Collision)
		}
	}
}
