package check

import (
	"bytes"
	"testing"
)

// blob is a state whose packed form has a length that varies with it, up
// to far more than the frontier's guess of the room one state needs.
type blob struct{ n, seed int }

type blobWorker struct{}

func (blobWorker) Actions(*blob, bool, []Action) []Action { return nil }
func (blobWorker) Next(*blob, Action, *blob) bool         { return false }
func (blobWorker) Fingerprint(*blob) uint64               { return 0 }
func (blobWorker) Terminal(*blob) bool                    { return false }
func (blobWorker) Pack(dst []byte, s *blob) []byte {
	dst = append(dst, byte(s.n), byte(s.n>>8), byte(s.n>>16), byte(s.seed))
	for i := 0; i < s.n; i++ {
		dst = append(dst, byte(s.seed+i))
	}
	return dst
}
func (blobWorker) Unpack(src []byte, s *blob) {
	s.n = int(src[0]) | int(src[1])<<8 | int(src[2])<<16
	s.seed = int(src[3])
	if len(src) != 4+s.n || !bytes.Equal(src[4:], blobWorker{}.Pack(nil, s)[4:]) {
		panic("frontier returned a corrupt packed state")
	}
}

// The frontier must give back every state as pushed, in order, across
// chunk boundaries and for states larger than its guess of the room a
// state needs, whether pushed whole or already packed.
func TestFrontierChunks(t *testing.T) {
	f := newFrontier[blob](blobWorker{})
	g := newFrontier[blob](blobWorker{})
	var want []blob
	total := 0
	for i := 0; total < 3*chunkSize; i++ {
		s := blob{n: (i * 7919) % 3000, seed: i % 251}
		if i%97 == 0 {
			s.n = 60000 // far beyond the room guessed for one state
		}
		total += s.n + 4
		want = append(want, s)
		if i%2 == 0 {
			f.push(uint32(i), &s)
		} else {
			f.pushPacked(uint32(i), blobWorker{}.Pack(nil, &s))
		}
	}
	g.appendAll(f)
	for _, fr := range []*frontier[blob]{f, g} {
		if fr.len() != len(want) {
			t.Fatalf("frontier holds %d states, want %d", fr.len(), len(want))
		}
		for i := range want {
			var s blob
			if idx := fr.get(i, &s); idx != uint32(i) || s != want[i] {
				t.Fatalf("state %d: got index %d, %+v; want %+v", i, idx, s, want[i])
			}
		}
	}
	if len(f.chunks) < 3 {
		t.Fatalf("%d bytes in %d chunks: the test did not cross chunk boundaries", total, len(f.chunks))
	}
}
