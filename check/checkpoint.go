package check

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unsafe"

	"anoncheck/version"
)

// Checkpoints. A checkpoint is the whole search at a point where it is
// consistent: between two states (two batches, when parallel) of a level,
// the visited set holds exactly the recorded states, the parent links and
// actions of all of them, the level's frontier, how many of its states are
// done, and the new states recorded from those. A run resumed from it
// expands the rest of the level in the same order, so it ends with the
// same states, indexes, counts, violations and paths as a run that was
// never stopped (TestResumeMatchesUninterrupted).
//
// A checkpoint is written every Config.CheckpointEvery and when the run is
// cancelled or stopped by Config.MaxMemory. A run stopped by MaxStates
// stops in the middle of a batch and writes none; the last periodic one
// stays. The file is written to a temporary name and renamed, so it is
// never half written, and ends with a CRC-32 of its contents.

// Version 3 added the build that wrote the checkpoint (version.String),
// after the identity, which callers now make readable (see Identity).
// Version 4 holds the same fields; the states it stores packed
// (Packer) are those of a model whose state grew by two bytes
// (anoncheck's State.FailedAllocs), which a version 3 file's cannot be
// unpacked into.
const (
	checkpointMagic   = "anoncheck-checkpoint\n"
	checkpointVersion = 4
	endianMark        = 0x01020304
)

type checkpointer struct {
	path  string
	every time.Duration
	last  time.Time
	err   error
	saves int
}

// checkpointIfDue writes a checkpoint if one is configured and due.
func (e *explorer[S]) checkpointIfDue() {
	c := &e.ckpt
	if c.path == "" || c.err != nil || time.Since(c.last) < c.every {
		return
	}
	e.saveCheckpoint()
}

// interrupted writes a checkpoint when the run was stopped at a
// consistent point by a cancellation or the memory limit.
func (e *explorer[S]) interrupted() {
	if e.ckpt.path != "" && e.ckpt.err == nil && (e.res.Stop == Cancelled || e.res.Stop == MaxMemory) {
		e.saveCheckpoint()
	}
}

func (e *explorer[S]) saveCheckpoint() {
	c := &e.ckpt
	c.last = time.Now()
	if err := e.writeCheckpoint(c.path); err != nil {
		c.err = fmt.Errorf("writing checkpoint %s: %v", c.path, err)
		return
	}
	c.saves++
}

// ckptWriter writes little pieces of a checkpoint and sums them.
type ckptWriter struct {
	w   *bufio.Writer
	crc hash.Hash32
	err error
}

func (w *ckptWriter) bytes(b []byte) {
	if w.err == nil {
		_, w.err = w.w.Write(b)
		w.crc.Write(b)
	}
}

func (w *ckptWriter) u64(v uint64) {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], v)
	w.bytes(b[:])
}

func (w *ckptWriter) str(s string) {
	w.u64(uint64(len(s)))
	w.bytes([]byte(s))
}

// raw views a slice of fixed-size integers as its bytes.
func raw[T uint32 | uint64](s []T) []byte {
	if len(s) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&s[0])), len(s)*int(unsafe.Sizeof(s[0])))
}

func (e *explorer[S]) writeCheckpoint(path string) error {
	pk, ok := e.w.(Packer[S])
	if !ok {
		return errors.New("the model's worker cannot pack states (check.Packer)")
	}
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name()) // after a successful rename there is nothing to remove
	w := &ckptWriter{w: bufio.NewWriterSize(f, 1<<20), crc: crc32.NewIEEE()}
	w.bytes([]byte(checkpointMagic))
	w.u64(checkpointVersion)
	w.u64(endianMark)
	w.str(e.cfg.Identity)
	w.str(version.String())
	w.u64(uint64(len(e.cfg.Properties)))
	w.u64(uint64(e.depth))
	w.u64(uint64(e.pos))
	w.u64(uint64(e.nSetup))
	w.u64(uint64(e.res.Stats.Transitions))
	w.u64(uint64(time.Since(e.start)))
	w.u64(uint64(len(e.res.Stats.PerDepth)))
	for _, n := range e.res.Stats.PerDepth {
		w.u64(uint64(n))
	}
	for i := range e.res.Violations {
		v := &e.res.Violations[i]
		if v.Path == nil {
			w.u64(noViolation)
			w.u64(0)
			continue
		}
		w.u64(uint64(v.Depth))
		w.u64(uint64(e.violIdx[i]))
	}
	w.u64(uint64(e.parent.len()))
	for _, b := range e.parent.slices() {
		w.bytes(raw(b))
	}
	for _, b := range e.action.slices() {
		w.bytes(raw(b))
	}
	for i := range e.visited.shards {
		sh := &e.visited.shards[i]
		w.u64(uint64(sh.n))
		z := uint64(0)
		if sh.hasZero {
			z = 1
		}
		w.u64(z)
		w.u64(uint64(len(sh.slots)))
		w.bytes(raw(sh.slots))
	}
	var s S
	var buf []byte
	for _, fr := range []*frontier[S]{e.level, e.next} {
		w.u64(uint64(fr.len()))
		w.bytes(raw(fr.idx))
		for i := 0; i < fr.len(); i++ {
			if fr.p != nil {
				buf = fr.packed(i)
			} else {
				fr.get(i, &s)
				buf = pk.Pack(buf[:0], &s)
			}
			w.u64(uint64(len(buf)))
			w.bytes(buf)
		}
	}
	sum := w.crc.Sum32()
	w.u64(uint64(sum))
	if w.err == nil {
		w.err = w.w.Flush()
	}
	if w.err == nil {
		w.err = f.Sync()
	}
	if err := f.Close(); w.err == nil {
		w.err = err
	}
	if w.err != nil {
		return w.err
	}
	return os.Rename(f.Name(), path)
}

// ckptReader reads a checkpoint and sums what it read. Its checksum is
// known only at the end, so the counts read before are checked another
// way: left is what the file holds beyond what was read, and a count of
// things the file must hold is refused when the rest of the file is too
// short for them, before anything is allocated for them. A corrupt count
// so fails cleanly, and nothing allocated exceeds a small multiple of the
// file's size.
type ckptReader struct {
	r    *bufio.Reader
	crc  hash.Hash32
	err  error
	left int64
}

func (r *ckptReader) bytes(b []byte) {
	if r.err == nil {
		var n int
		n, r.err = io.ReadFull(r.r, b)
		r.left -= int64(n)
		r.crc.Write(b)
	}
}

func (r *ckptReader) u64() uint64 {
	var b [8]byte
	r.bytes(b[:])
	return binary.LittleEndian.Uint64(b[:])
}

// count reads a number that sizes nothing in the file and checks it
// against a sanity limit.
func (r *ckptReader) count(limit uint64, what string) int {
	n := r.u64()
	if r.err == nil && n > limit {
		r.err = fmt.Errorf("corrupt (%s: %d is implausible)", what, n)
	}
	if r.err != nil {
		return 0
	}
	return int(n)
}

// sized reads the number of items of what that follow in the file, each
// of at least per bytes, and refuses a number above limit or one the
// rest of the file, less its checksum, cannot hold.
func (r *ckptReader) sized(per int64, limit uint64, what string) int {
	n := r.u64()
	if r.err != nil {
		return 0
	}
	room := max(r.left-8, 0)
	if n > uint64(room/per) {
		r.err = fmt.Errorf("corrupt or truncated (%s: %d of at least %d bytes each, but %d bytes are left)", what, n, per, room)
		return 0
	}
	if n > limit {
		r.err = fmt.Errorf("corrupt (%s: %d is implausible)", what, n)
		return 0
	}
	return int(n)
}

func (r *ckptReader) str(limit uint64, what string) string {
	b := make([]byte, r.sized(1, limit, what))
	r.bytes(b)
	return string(b)
}

// loadCheckpoint restores the explorer from path.
func (e *explorer[S]) loadCheckpoint(path string) error {
	pk, ok := e.w.(Packer[S])
	if !ok {
		return errors.New("the model's worker cannot pack states (check.Packer)")
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	r := &ckptReader{r: bufio.NewReaderSize(f, 1<<20), crc: crc32.NewIEEE(), left: fi.Size()}
	h, err := r.header()
	if err != nil {
		return err
	}
	if h.Identity != e.cfg.Identity {
		return fmt.Errorf("checkpoint is of another run (%s), written by %s", identityDiff(h.Identity, e.cfg.Identity), h.Tool)
	}
	const big = 1 << 40
	if n := r.count(64, "properties"); r.err == nil && n != len(e.cfg.Properties) {
		return fmt.Errorf("checkpoint checks %d properties, this run %d", n, len(e.cfg.Properties))
	}
	e.depth = r.count(big, "depth")
	e.pos = r.count(big, "position")
	e.nSetup = r.count(big, "setup states")
	e.res.Stats.Transitions = r.count(1<<62, "transitions")
	elapsed := time.Duration(r.u64())
	e.res.Stats.PerDepth = make([]int, r.sized(8, 1<<20, "levels"))
	for i := range e.res.Stats.PerDepth {
		e.res.Stats.PerDepth[i] = r.count(big, "level size")
	}
	viols := make([]savedViolation, len(e.cfg.Properties))
	for i := range viols {
		viols[i].depth = r.u64()
		viols[i].idx = r.u64()
	}
	n := r.sized(8, 1<<32-1, "states") // a parent link and an action each
	parent, action := make([]uint32, n), make([]Action, n)
	r.bytes(raw(parent))
	r.bytes(raw(action))
	e.parent, e.action = u32sOf(parent), u32sOf(action)
	fingerprints := 0
	for i := range e.visited.shards {
		sh := &e.visited.shards[i]
		sh.n = r.count(1<<32, "shard size")
		sh.hasZero = r.u64() == 1
		size := r.sized(8, 1<<36, "shard slots")
		if r.err == nil && (size < minVisitedSetSlots || sh.n >= size) {
			r.err = fmt.Errorf("corrupt (visited-set shard %d: %d slots for %d fingerprints)", i, size, sh.n)
		}
		sh.slots = make([]uint64, size)
		r.bytes(raw(sh.slots))
		fingerprints += sh.n
		if sh.hasZero {
			fingerprints++
		}
	}
	// The states recorded before the level being expanded: its states
	// then the new ones found from it are numbered from there on.
	levelStart := 0
	for _, c := range e.res.Stats.PerDepth[:max(len(e.res.Stats.PerDepth)-1, 0)] {
		levelStart += c
	}
	var s S
	var buf []byte
	for k := 0; k < 2; k++ {
		fr := newFrontier(e.w)
		m := r.sized(4+8, 1<<32-1, "frontier states") // an index and a length each
		idx := make([]uint32, m)
		r.bytes(raw(idx))
		for i := 0; i < m && r.err == nil; i++ {
			l := r.sized(1, 1<<16-1, "packed state") // the frontier keeps 16 bits of length
			if cap(buf) < l {
				buf = make([]byte, l)
			}
			buf = buf[:l]
			r.bytes(buf)
			if r.err != nil {
				break
			}
			if want := levelStart + fr.len(); int(idx[i]) != want {
				r.err = fmt.Errorf("corrupt (frontier state %d has index %d, not %d)", i, idx[i], want)
				break
			}
			if fr.p != nil {
				fr.pushPacked(idx[i], buf)
			} else {
				pk.Unpack(buf, &s)
				fr.push(idx[i], &s)
			}
		}
		if k == 0 {
			e.level = fr
			levelStart += fr.len()
		} else {
			e.next = fr
		}
	}
	want := r.crc.Sum32()
	if got := uint32(r.u64()); r.err == nil && got != want {
		return errors.New("corrupt (checksum mismatch)")
	}
	if r.err != nil {
		if errors.Is(r.err, io.EOF) || errors.Is(r.err, io.ErrUnexpectedEOF) {
			return errors.New("truncated")
		}
		return r.err
	}
	if err := e.checkLoaded(viols, fingerprints); err != nil {
		return fmt.Errorf("corrupt (%v)", err)
	}
	for i, v := range viols {
		if v.depth == noViolation {
			continue
		}
		e.res.Violations[i].Depth = int(v.depth)
		e.violIdx[i] = uint32(v.idx)
		e.res.Violations[i].Path = e.path(uint32(v.idx))
		e.violated++
	}
	e.res.Stats.Setup = e.nSetup
	e.res.Stats.Depth = e.depth - 1
	e.start = time.Now().Add(-elapsed)
	e.resumed = true
	return nil
}

// CheckpointHeader is what a checkpoint says of the run it holds.
type CheckpointHeader struct {
	Identity string // Config.Identity of the run that wrote it
	Tool     string // the build that wrote it (version.String)
}

// ReadCheckpointHeader reads the header of the checkpoint at path, not
// the search it holds: what run it belongs to and what wrote it. A file
// of another format version is refused, saying which.
func ReadCheckpointHeader(path string) (CheckpointHeader, error) {
	f, err := os.Open(path)
	if err != nil {
		return CheckpointHeader{}, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return CheckpointHeader{}, err
	}
	return (&ckptReader{r: bufio.NewReader(f), crc: crc32.NewIEEE(), left: fi.Size()}).header()
}

// header reads the checkpoint's header: magic, format version, byte
// order, identity and the build that wrote it.
func (r *ckptReader) header() (CheckpointHeader, error) {
	var h CheckpointHeader
	magic := make([]byte, len(checkpointMagic))
	r.bytes(magic)
	if r.err != nil || string(magic) != checkpointMagic {
		return h, errors.New("not an anoncheck checkpoint")
	}
	if v := r.u64(); r.err == nil && v != checkpointVersion {
		return h, fmt.Errorf("checkpoint format version %d, written by another anoncheck; this one reads version %d only: start the search again without --resume", v, checkpointVersion)
	}
	if m := r.u64(); r.err == nil && m != endianMark {
		return h, errors.New("checkpoint written on a machine of another byte order")
	}
	h.Identity = r.str(1<<16, "identity")
	h.Tool = r.str(1<<12, "tool")
	if r.err != nil {
		if errors.Is(r.err, io.EOF) || errors.Is(r.err, io.ErrUnexpectedEOF) {
			return h, errors.New("truncated")
		}
		return h, r.err
	}
	return h, nil
}

// IdentityDiff is a name=value line of two identities (Config.Identity)
// with different values; a value is empty where its identity lacks the
// line.
type IdentityDiff struct{ Name, Saved, Current string }

// DiffIdentities lists the name=value lines in which a checkpoint's
// identity, saved, and a run's, cur, differ: cur's order, then the lines
// saved alone has.
func DiffIdentities(saved, cur string) []IdentityDiff {
	fields := func(s string) (names []string, vals map[string]string) {
		vals = map[string]string{}
		for _, l := range strings.Split(s, "\n") {
			if k, v, ok := strings.Cut(l, "="); ok {
				names = append(names, k)
				vals[k] = v
			}
		}
		return names, vals
	}
	sn, sv := fields(saved)
	cn, cv := fields(cur)
	var diffs []IdentityDiff
	for _, k := range cn {
		if sv[k] != cv[k] {
			diffs = append(diffs, IdentityDiff{k, sv[k], cv[k]})
		}
	}
	for _, k := range sn {
		if _, ok := cv[k]; !ok {
			diffs = append(diffs, IdentityDiff{k, sv[k], ""})
		}
	}
	return diffs
}

// identityDiff describes how identity saved differs from this run's, cur.
func identityDiff(saved, cur string) string {
	var d []string
	for _, x := range DiffIdentities(saved, cur) {
		d = append(d, fmt.Sprintf("%s %q in the checkpoint, %q in this run", x.Name, x.Saved, x.Current))
	}
	if len(d) == 0 {
		return fmt.Sprintf("%q, not this one's %q", saved, cur)
	}
	return strings.Join(d, "; ")
}

// savedViolation is a property's violation as a checkpoint keeps it: its
// depth and state index, or noViolation.
type savedViolation struct{ depth, idx uint64 }

const noViolation = ^uint64(0)

// checkLoaded checks that a checkpoint read whole, with its checksum
// right, is the consistent search that writeCheckpoint saves: levels
// 0..depth-1 complete, the states numbered level by level, the level
// being expanded and the new states found from it, parent links to
// earlier states, and violations at the depth of their states.
func (e *explorer[S]) checkLoaded(viols []savedViolation, fingerprints int) error {
	per, n := e.res.Stats.PerDepth, e.parent.len()
	if e.depth < 1 || len(per) != e.depth {
		return fmt.Errorf("%d complete levels at depth %d", len(per), e.depth)
	}
	if e.nSetup < 1 || per[0] != e.nSetup {
		return fmt.Errorf("%d setup states, %d at depth 0", e.nSetup, per[0])
	}
	if e.level.len() != per[e.depth-1] {
		return fmt.Errorf("the level being expanded has %d states, depth %d had %d", e.level.len(), e.depth-1, per[e.depth-1])
	}
	if e.pos > e.level.len() {
		return fmt.Errorf("position %d is beyond its level of %d states", e.pos, e.level.len())
	}
	if e.pos == 0 && e.next.len() > 0 {
		return fmt.Errorf("%d states found from a level not yet begun", e.next.len())
	}
	total := e.next.len()
	for _, c := range per {
		total += c
	}
	if total != n || fingerprints != n {
		return fmt.Errorf("%d states by depth, %d recorded, %d fingerprints", total, n, fingerprints)
	}
	for i := 0; i < n; i++ {
		if p := e.parent.get(i); (i == 0) != (p == noParent) || (i > 0 && p >= uint32(i)) {
			return fmt.Errorf("state %d has parent %d", i, p)
		}
	}
	for i, v := range viols {
		if v.depth == noViolation {
			continue
		}
		if v.idx >= uint64(n) {
			return fmt.Errorf("violation of property %d at state %d of %d", i, v.idx, n)
		}
		// The depth of state v.idx: the states are numbered by depth.
		d, end := 0, per[0]
		for d < len(per) && uint64(end) <= v.idx {
			if d++; d < len(per) {
				end += per[d]
			}
		}
		if v.depth != uint64(d) {
			return fmt.Errorf("violation of property %d at depth %d, but its state %d is at depth %d", i, v.depth, v.idx, d)
		}
	}
	return nil
}

// reached is the deepest depth a resumed search has gone into: the depth
// of the level it is finding once it has begun to (expanded a state of
// the level before), else its last complete level.
func (e *explorer[S]) reached() int {
	if e.pos > 0 {
		return e.depth
	}
	return e.depth - 1
}

// checkResumeBound refuses to resume with a bound below the depth the
// checkpoint has reached: the states, transitions and violations it
// holds beyond the bound cannot be taken back. (checkLoaded checks that
// a violation is at the depth of its state, so none is beyond the bound.)
func (e *explorer[S]) checkResumeBound() error {
	d := e.reached()
	if e.cfg.Bound == 0 || e.cfg.Bound >= d {
		return nil
	}
	part := ""
	if d == e.depth {
		part = fmt.Sprintf(" (depth %d complete, depth %d in part)", d-1, d)
	}
	return fmt.Errorf("the search has explored to depth %d%s, beyond bound %d; resume with --bound %d or more (0 for no bound)", d, part, e.cfg.Bound, d)
}
