package check

// Packer is an optional capability of a Worker: a compact encoding of
// states, which the explorer then uses for the states waiting in the
// breadth-first frontier. Unpack(Pack(s)) must equal s.
type Packer[S any] interface {
	Pack(dst []byte, s *S) []byte
	Unpack(src []byte, s *S)
}

// chunkSize is the size of the blocks packed states are stored in. A
// frontier grows by whole chunks and never copies what it holds: doubling
// one slice would copy every state at each growth, and at tens of millions
// of states that copying (and the page faults of the new copy) was a
// tenth of the run.
const chunkSize = 1 << 22

// frontier holds the states of one BFS level with their indexes, packed
// when the worker can pack them.
type frontier[S any] struct {
	p      Packer[S]
	spill  *spillFile // with Config.SpillDir: where full chunks go
	mapped int        // chunks [0, mapped) are mapped from spill
	err    error      // the first spill error
	idx    []uint32
	st     []S      // unpacked states, without a Packer
	chunks [][]byte // packed states, with a Packer; none straddles two chunks
	loc    []uint64 // state i: chunk<<40 | offset<<16 | length
	room   int      // the most bytes one packed state may need
}

func newFrontier[S any](w Worker[S]) *frontier[S] {
	f := &frontier[S]{}
	if p, ok := w.(Packer[S]); ok {
		f.p = p
		var s S
		f.room = 2*len(p.Pack(nil, &s)) + 1024 // a guess; push copes with more
	}
	return f
}

func (f *frontier[S]) len() int { return len(f.idx) }

// tail returns the chunk new states are packed into, with room for one.
// With a spill file, the chunk that is full goes to disk and its memory
// becomes the new chunk.
func (f *frontier[S]) tail(need int) []byte {
	n := len(f.chunks)
	if n > 0 && cap(f.chunks[n-1])-len(f.chunks[n-1]) >= need {
		return f.chunks[n-1]
	}
	var next []byte
	if n > 0 && f.spill != nil && f.err == nil && f.mapped == n-1 {
		full := f.chunks[n-1]
		if m, err := f.spill.put(full); err != nil {
			f.err = err
		} else {
			f.chunks[n-1] = m
			f.mapped = n
			if cap(full) >= need {
				next = full[:0]
			}
		}
	}
	if next == nil {
		next = make([]byte, 0, max(chunkSize, need))
	}
	f.chunks = append(f.chunks, next)
	return f.chunks[len(f.chunks)-1]
}

// release unmaps the spilled chunks that hold only states before state
// i: the run has read them for the last time.
func (f *frontier[S]) release(i int) {
	if f.spill == nil || i >= len(f.loc) {
		return
	}
	last := int(f.loc[i] >> 40) // the chunk of state i stays
	for k := 0; k < min(last, f.mapped); k++ {
		if f.chunks[k] != nil {
			unmap(f.chunks[k])
			f.chunks[k] = nil
		}
	}
}

// discard releases what the frontier holds on disk.
func (f *frontier[S]) discard() {
	if f.spill == nil {
		return
	}
	for k := 0; k < f.mapped; k++ {
		unmap(f.chunks[k])
		f.chunks[k] = nil
	}
	f.spill.close()
}

func (f *frontier[S]) record(c []byte, start int) {
	n := len(f.chunks) - 1
	f.chunks[n] = c
	f.loc = append(f.loc, uint64(n)<<40|uint64(start)<<16|uint64(len(c)-start))
}

func (f *frontier[S]) push(idx uint32, s *S) {
	f.idx = append(f.idx, idx)
	if f.p == nil {
		f.st = append(f.st, *s)
		return
	}
	c := f.tail(f.room)
	start := len(c)
	out := f.p.Pack(c, s)
	if cap(out) != cap(c) {
		// Larger than room: Pack grew the chunk into a new array. Keep
		// the chunk as it was and give the state a chunk of its own.
		f.pushPacked(0, out[start:])
		f.idx = f.idx[:len(f.idx)-1]
		return
	}
	f.record(out, start)
}

// pushPacked adds a state already packed by the Packer.
func (f *frontier[S]) pushPacked(idx uint32, packed []byte) {
	f.idx = append(f.idx, idx)
	c := f.tail(len(packed))
	start := len(c)
	f.record(append(c, packed...), start)
}

// packed returns state i's encoding.
func (f *frontier[S]) packed(i int) []byte {
	l := f.loc[i]
	start := int(l>>16) & (1<<24 - 1)
	return f.chunks[l>>40][start : start+int(l&0xffff)]
}

// get writes state i to s and returns its index.
func (f *frontier[S]) get(i int, s *S) uint32 {
	if f.p == nil {
		*s = f.st[i]
		return f.idx[i]
	}
	f.p.Unpack(f.packed(i), s)
	return f.idx[i]
}

// appendAll adds the states of g to f.
func (f *frontier[S]) appendAll(g *frontier[S]) {
	for i := 0; i < g.len(); i++ {
		if f.p == nil {
			f.idx = append(f.idx, g.idx[i])
			f.st = append(f.st, g.st[i])
			continue
		}
		f.pushPacked(g.idx[i], g.packed(i))
	}
}

// bytes is the memory the frontier holds, roughly: its spilled chunks
// are not counted.
func (f *frontier[S]) bytes(stateSize int) int {
	n := cap(f.idx)*4 + cap(f.st)*stateSize + cap(f.loc)*8
	for _, c := range f.chunks[f.mapped:] {
		n += cap(c)
	}
	return n
}
