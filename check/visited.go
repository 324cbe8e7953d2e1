package check

import "math/bits"

// visitedSet is an open-addressing hash set of 64-bit fingerprints with
// linear probing. Slot value 0 means empty; fingerprint 0 is kept in a
// flag of its own.
//
// The table is not a power of two: a fingerprint's home slot is its mix
// scaled to the table size (the high half of a 64x64-bit product), so the
// table can grow by half rather than double. It grows at a load of 13/16
// to 3/2 of its size, so the load stays between 0.54 and 0.81 and the set
// holds 8/0.81 to 8/0.54, 9.8 to 14.8 bytes per state, never more than
// 16. Linear probing at that load costs about three probes for a
// fingerprint already present (most lookups: most successors are states
// already seen) and stays within one or two cache lines.
type visitedSet struct {
	slots   []uint64
	n       int
	hasZero bool
}

// Load factor and growth of visitedSet.
const (
	loadNum, loadDen   = 13, 16 // grow when more than 13/16 full
	growNum, growDen   = 3, 2   // to 3/2 of the size
	minVisitedSetSlots = 1024
)

func newVisitedSet(capacity int) *visitedSet {
	size := max(minVisitedSetSlots, capacity*loadDen/loadNum+1)
	return &visitedSet{slots: make([]uint64, size)}
}

// home is fp's first slot in a table of size slots. The top shardBits of
// the mix choose the shard (shardOf), so the rest of it chooses the slot.
func home(fp uint64, size int) int {
	hi, _ := bits.Mul64(mix(fp)<<shardBits, uint64(size))
	return int(hi)
}

// insert adds fp and reports whether it was new.
func (v *visitedSet) insert(fp uint64) bool {
	if fp == 0 {
		if v.hasZero {
			return false
		}
		v.hasZero = true
		return true
	}
	if (v.n+1)*loadDen > len(v.slots)*loadNum {
		v.grow()
	}
	slots := v.slots
	for i := home(fp, len(slots)); ; {
		s := slots[i]
		if s == 0 {
			slots[i] = fp
			v.n++
			return true
		}
		if s == fp {
			return false
		}
		if i++; i == len(slots) {
			i = 0
		}
	}
}

// contains reports whether fp is in the set. It only reads, so several
// goroutines may call it while nothing inserts.
func (v *visitedSet) contains(fp uint64) bool {
	if fp == 0 {
		return v.hasZero
	}
	slots := v.slots
	for i := home(fp, len(slots)); ; {
		s := slots[i]
		if s == 0 {
			return false
		}
		if s == fp {
			return true
		}
		if i++; i == len(slots) {
			i = 0
		}
	}
}

func (v *visitedSet) grow() {
	old := v.slots
	slots := make([]uint64, len(old)*growNum/growDen)
	for _, s := range old {
		if s == 0 {
			continue
		}
		i := home(s, len(slots))
		for slots[i] != 0 {
			if i++; i == len(slots) {
				i = 0
			}
		}
		slots[i] = s
	}
	v.slots = slots
}

// bytes is the memory the set holds.
func (v *visitedSet) bytes() int { return len(v.slots) * 8 }

// mix spreads the fingerprint's bits over the low end used for indexing,
// so that a weak fingerprint (as in tests) still spreads over the table.
func mix(x uint64) uint64 {
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	return x
}

// shardBits selects the shard of a fingerprint: the top bits of its mix,
// independent of the low bits each shard indexes by.
const (
	shardBits = 6
	numShards = 1 << shardBits
)

// shardedSet is the visited set split into shards by fingerprint, so that
// parallel workers can insert into different shards without locks.
type shardedSet struct {
	shards [numShards]visitedSet
}

func newShardedSet(capacity int) *shardedSet {
	s := &shardedSet{}
	for i := range s.shards {
		s.shards[i] = *newVisitedSet(capacity / numShards)
	}
	return s
}

func shardOf(fp uint64) int { return int(mix(fp) >> (64 - shardBits)) }

// insert adds fp and reports whether it was new.
func (s *shardedSet) insert(fp uint64) bool { return s.shards[shardOf(fp)].insert(fp) }

// contains reports whether fp is in the set; read-only, like
// visitedSet.contains.
func (s *shardedSet) contains(fp uint64) bool { return s.shards[shardOf(fp)].contains(fp) }

// bytes is the memory the set holds.
func (s *shardedSet) bytes() int {
	n := 0
	for i := range s.shards {
		n += s.shards[i].bytes()
	}
	return n
}

// len is the number of fingerprints held.
func (s *shardedSet) len() int {
	n := 0
	for i := range s.shards {
		n += s.shards[i].n
		if s.shards[i].hasZero {
			n++
		}
	}
	return n
}
