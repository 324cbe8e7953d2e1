package check

// visitedSet is an open-addressing hash set of 64-bit fingerprints with
// linear probing. Slot value 0 means empty; fingerprint 0 is kept in a
// flag of its own.
type visitedSet struct {
	slots   []uint64
	mask    uint64
	n       int
	hasZero bool
}

func newVisitedSet(capacity int) *visitedSet {
	size := 1024
	for size*3/4 < capacity {
		size *= 2
	}
	return &visitedSet{slots: make([]uint64, size), mask: uint64(size - 1)}
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
	if (v.n+1)*4 > len(v.slots)*3 {
		v.grow()
	}
	i := mix(fp) & v.mask
	for {
		s := v.slots[i]
		if s == 0 {
			v.slots[i] = fp
			v.n++
			return true
		}
		if s == fp {
			return false
		}
		i = (i + 1) & v.mask
	}
}

// contains reports whether fp is in the set. It only reads, so several
// goroutines may call it while nothing inserts.
func (v *visitedSet) contains(fp uint64) bool {
	if fp == 0 {
		return v.hasZero
	}
	i := mix(fp) & v.mask
	for {
		s := v.slots[i]
		if s == 0 {
			return false
		}
		if s == fp {
			return true
		}
		i = (i + 1) & v.mask
	}
}

func (v *visitedSet) grow() {
	old := v.slots
	v.slots = make([]uint64, len(old)*2)
	v.mask = uint64(len(v.slots) - 1)
	for _, s := range old {
		if s == 0 {
			continue
		}
		i := mix(s) & v.mask
		for v.slots[i] != 0 {
			i = (i + 1) & v.mask
		}
		v.slots[i] = s
	}
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
