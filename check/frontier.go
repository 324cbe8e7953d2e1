package check

// Packer is an optional capability of a Worker: a compact encoding of
// states, which the explorer then uses for the states waiting in the
// breadth-first frontier. Unpack(Pack(s)) must equal s.
type Packer[S any] interface {
	Pack(dst []byte, s *S) []byte
	Unpack(src []byte, s *S)
}

// frontier holds the states of one BFS level with their indexes, packed
// when the worker can pack them.
type frontier[S any] struct {
	p    Packer[S]
	idx  []uint32
	st   []S      // unpacked states, without a Packer
	data []byte   // packed states, with a Packer
	end  []uint32 // end offset of state i in data
}

func newFrontier[S any](w Worker[S]) *frontier[S] {
	f := &frontier[S]{}
	if p, ok := w.(Packer[S]); ok {
		f.p = p
	}
	return f
}

func (f *frontier[S]) len() int { return len(f.idx) }

func (f *frontier[S]) push(idx uint32, s *S) {
	f.idx = append(f.idx, idx)
	if f.p == nil {
		f.st = append(f.st, *s)
		return
	}
	f.data = f.p.Pack(f.data, s)
	f.end = append(f.end, uint32(len(f.data)))
}

// pushPacked adds a state already packed by the Packer.
func (f *frontier[S]) pushPacked(idx uint32, packed []byte) {
	f.idx = append(f.idx, idx)
	f.data = append(f.data, packed...)
	f.end = append(f.end, uint32(len(f.data)))
}

// get writes state i to s and returns its index.
func (f *frontier[S]) get(i int, s *S) uint32 {
	if f.p == nil {
		*s = f.st[i]
		return f.idx[i]
	}
	start := uint32(0)
	if i > 0 {
		start = f.end[i-1]
	}
	f.p.Unpack(f.data[start:f.end[i]], s)
	return f.idx[i]
}

// appendAll adds the states of g to f.
func (f *frontier[S]) appendAll(g *frontier[S]) {
	var s S
	for i := 0; i < g.len(); i++ {
		idx := g.get(i, &s)
		f.push(idx, &s)
	}
}

// bytes is the memory the frontier holds, roughly.
func (f *frontier[S]) bytes(stateSize int) int {
	return cap(f.idx)*4 + cap(f.st)*stateSize + cap(f.data) + cap(f.end)*4
}
