package check

import (
	"math/rand/v2"
	"testing"
)

// The visited set keeps what it was given, nothing else, and never holds
// more than 16 bytes per fingerprint once past its initial size.
func TestVisitedSet(t *testing.T) {
	s := newShardedSet(1 << 10)
	r := rand.New(rand.NewPCG(1, 2))
	var in []uint64
	worst := 0.0
	for n := 0; n < 400_000; n++ {
		fp := r.Uint64()
		if n%1000 == 0 {
			fp = uint64(n) // weak fingerprints too, and 0
		}
		if !s.insert(fp) {
			t.Fatalf("insert %#x: reported present after %d inserts", fp, n)
		}
		in = append(in, fp)
		if n > 64*minVisitedSetSlots {
			worst = max(worst, float64(s.bytes())/float64(s.len()))
		}
	}
	if worst > 16 {
		t.Errorf("visited set held %.1f bytes per fingerprint, want at most 16", worst)
	}
	if s.len() != len(in) {
		t.Errorf("len = %d, want %d", s.len(), len(in))
	}
	for _, fp := range in {
		if !s.contains(fp) || s.insert(fp) {
			t.Fatalf("%#x inserted but not found", fp)
		}
	}
	for i := 0; i < 100_000; i++ {
		if fp := r.Uint64() | 1<<63; s.contains(fp) {
			t.Fatalf("%#x found but never inserted", fp)
		}
	}
	t.Logf("worst %.1f bytes per fingerprint", worst)
}
