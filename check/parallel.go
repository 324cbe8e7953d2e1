package check

import (
	"sync"
	"sync/atomic"
)

// Parallel expansion. A level is expanded in batches of batchStates
// states, each in three phases:
//
//  1. Successors (parallel). Workers take units of unitStates frontier
//     states from a shared counter, compute successors, canonical forms,
//     fingerprints and the properties each violates, and drop those whose
//     fingerprint is already visited (a read-only lookup). Each unit's
//     output is kept apart, so the batch's successors have a global order:
//     unit by unit, state by state, action by action, exactly the order in
//     which one worker would have met them.
//  2. Deduplication (parallel). The visited set is sharded by fingerprint;
//     workers take shards, and each scans the batch's successors in order,
//     inserting those of its shard. The first occurrence of a fingerprint
//     in the global order is the one marked new, as with one worker.
//  3. Recording (sequential). The explorer walks the successors in order
//     and gives each new one its index, parent link and action, records
//     the first violation of each property, and packs it into the next
//     frontier.
//
// Phase 3 of one batch runs while the workers do phase 1 of the next: phase
// 1 only reads the visited set and the current frontier, and phase 3 only
// writes the parent links, violations and next frontier. Phase 2 waits for
// both. States, counts, depths and violating paths therefore do not depend
// on the number of workers; only the Transitions count of a run stopped
// early may include the batch that was in flight.

// Batch and unit sizes; variables so that tests can make them small.
var (
	batchStates = 8192
	unitStates  = 64
)

// succ is a successor not visited before its batch: its fingerprint, the
// properties it violates, and the state, packed in its unit's arena when
// the worker can pack states.
type succ[S any] struct {
	parent   uint32
	action   Action
	fp       uint64
	violated uint64
	end      uint32 // end of the packed state in the arena
	shard    uint8  // the visited-set shard of fp
	isNew    bool   // set by phase 2: first occurrence, inserted
	s        S      // the state, when the worker cannot pack
}

// unit is phase 1's output for unitStates consecutive frontier states.
type unit[S any] struct {
	out         []succ[S]
	arena       []byte
	transitions int
}

// batch is the output of one batch: its units in frontier order.
type batch[S any] struct {
	units []unit[S]
	n     int // units in use
}

// part is one worker's scratch space.
type part[S any] struct {
	w     Worker[S]
	p     Packer[S]
	cur   S
	nxt   S
	buf   []Action
	vbuf  []byte   // scratch for VerifyStates
	local unitSeen // fingerprints met in the unit being expanded
}

// unitSeen is a small set of the fingerprints a unit has produced, so
// that phase 1 drops a successor met earlier in the same unit: that one
// comes first in the global order, so the later one can never be new.
// Siblings in the frontier share parents, so diamonds (the same two
// operations in either order) mostly meet within one unit; dropping the
// later copies spares their properties, packing and deduplication.
type unitSeen struct {
	slots   [unitSeenSlots]uint64
	touched []uint32
}

const unitSeenSlots = 1 << 13

// reset empties the set, clearing only the slots in use.
func (u *unitSeen) reset() {
	for _, i := range u.touched {
		u.slots[i] = 0
	}
	u.touched = u.touched[:0]
}

// firstTime adds fp and reports whether it was absent. When the set is
// three quarters full it reports every fingerprint as new: the later
// phases deduplicate exactly, this only saves them work.
func (u *unitSeen) firstTime(fp uint64) bool {
	if fp == 0 || len(u.touched) >= unitSeenSlots*3/4 {
		return true
	}
	for i := uint32(mix(fp)) & (unitSeenSlots - 1); ; i = (i + 1) & (unitSeenSlots - 1) {
		switch u.slots[i] {
		case 0:
			u.slots[i] = fp
			u.touched = append(u.touched, i)
			return true
		case fp:
			return false
		}
	}
}

// expandUnit computes the successors of frontier states [lo, hi) into u.
func (p *part[S]) expandUnit(e *explorer[S], cur *frontier[S], lo, hi int, setup bool, depth int, pending uint64, u *unit[S]) {
	u.out = u.out[:0]
	u.arena = u.arena[:0]
	u.transitions = 0
	p.local.reset()
	for i := lo; i < hi; i++ {
		pidx := cur.get(i, &p.cur)
		if p.w.Terminal(&p.cur) {
			continue
		}
		p.buf = p.w.Actions(&p.cur, setup, p.buf[:0])
		for _, a := range p.buf {
			if !p.w.Next(&p.cur, a, &p.nxt) {
				continue
			}
			u.transitions++
			fp := p.w.Fingerprint(&p.nxt)
			if e.visited.contains(fp) {
				if e.full != nil {
					p.vbuf = p.p.Pack(p.vbuf[:0], &p.nxt)
					if !e.sameAsStored(fp, p.vbuf) {
						e.collided(fp, depth)
					}
				}
				continue
			}
			if e.full == nil && !p.local.firstTime(fp) {
				continue // VerifyStates compares every copy in dedup instead
			}
			sc := succ[S]{parent: pidx, action: a, fp: fp, shard: uint8(shardOf(fp)), violated: e.violations(&p.nxt, pending)}
			if p.p != nil {
				u.arena = p.p.Pack(u.arena, &p.nxt)
				sc.end = uint32(len(u.arena))
			} else {
				sc.s = p.nxt
			}
			u.out = append(u.out, sc)
		}
	}
}

// successors is phase 1 for frontier states [lo, hi) into b.
func (e *explorer[S]) successors(cur *frontier[S], lo, hi int, setup bool, depth int, pending uint64, b *batch[S]) {
	b.n = (hi - lo + unitStates - 1) / unitStates
	for len(b.units) < b.n {
		b.units = append(b.units, unit[S]{})
	}
	var next atomic.Int64
	e.each(func(p *part[S]) {
		for {
			k := int(next.Add(1) - 1)
			if k >= b.n {
				return
			}
			ulo := lo + k*unitStates
			p.expandUnit(e, cur, ulo, min(ulo+unitStates, hi), setup, depth, pending, &b.units[k])
		}
	})
}

// dedup is phase 2: it marks the first occurrence of each fingerprint in
// b that was not yet visited, and inserts it.
func (e *explorer[S]) dedup(b *batch[S], depth int) {
	// Shards are handed out in groups: each group scans the batch once,
	// so few groups keep the scanning cheap and a few per worker keep the
	// workers evenly loaded.
	groups := min(numShards, 4*len(e.parts))
	var next atomic.Int64
	e.each(func(p *part[S]) {
		for {
			g := int(next.Add(1) - 1)
			if g >= groups {
				return
			}
			lo, hi := uint8(g*numShards/groups), uint8((g+1)*numShards/groups)
			for k := 0; k < b.n; k++ {
				u := &b.units[k]
				start := uint32(0)
				for i := range u.out {
					sc := &u.out[i]
					if sh := sc.shard; sh >= lo && sh < hi {
						sc.isNew = e.visited.shards[sh].insert(sc.fp)
						if e.full != nil {
							e.verifyInBatch(int(sh), sc, u.arena[start:sc.end], depth)
						}
					}
					start = sc.end
				}
			}
		}
	})
}

// verifyInBatch stores a new state, or compares a repeated one with the
// state stored, for VerifyStates. Only the worker owning shard sh writes
// its map.
func (e *explorer[S]) verifyInBatch(sh int, sc *succ[S], packed []byte, depth int) {
	if sc.isNew {
		e.full[sh][sc.fp] = string(packed)
	} else if e.full[sh][sc.fp] != string(packed) {
		e.collided(sc.fp, depth)
	}
}

// record is phase 3: it gives b's new states their indexes, in order, and
// puts them on nxt.
func (e *explorer[S]) record(b *batch[S], nxt *frontier[S], depth int) {
	for k := 0; k < b.n; k++ {
		u := &b.units[k]
		e.res.Stats.Transitions += u.transitions
		start := uint32(0)
		for i := range u.out {
			sc := &u.out[i]
			if sc.isNew {
				idx := e.record1(sc.fp, sc.parent, sc.action, depth, sc.violated)
				if idx < 0 {
					return // beyond MaxStates: stopped, not recorded
				}
				if e.parts[0].p != nil {
					nxt.pushPacked(uint32(idx), u.arena[start:sc.end])
				} else {
					nxt.push(uint32(idx), &sc.s)
				}
			}
			start = sc.end
			if e.stop {
				return
			}
		}
	}
}

// each runs f on every part in its own goroutine and waits for all.
func (e *explorer[S]) each(f func(p *part[S])) {
	var wg sync.WaitGroup
	for _, p := range e.parts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(p)
		}()
	}
	wg.Wait()
}

// expandParallel is expand with the explorer's parts as workers.
func (e *explorer[S]) expandParallel(setup bool, depth int, cancelled func() bool) {
	cur, nxt := e.level, e.next
	var bufs [2]batch[S]
	var done *batch[S] // a batch whose phase 3 is still to run
	for lo, turn := e.pos, 0; ; lo, turn = lo+batchStates, 1-turn {
		b := &bufs[turn]
		hi := min(lo+batchStates, cur.len())
		if e.cfg.Checkpoint == "" {
			cur.release(lo) // phase 1 of every batch before this one is done
		}
		if lo < hi {
			pending := e.pending() // may include properties record then finds violated: harmless
			var wg sync.WaitGroup
			wg.Add(1)
			go func() {
				defer wg.Done()
				e.successors(cur, lo, hi, setup, depth, pending, b)
			}()
			if done != nil {
				e.record(done, nxt, depth)
			}
			wg.Wait()
		} else if done != nil {
			e.record(done, nxt, depth)
		}
		done = nil
		if e.stopCollision(); e.stop {
			return
		}
		// Every state before lo is recorded; b is computed but not yet
		// deduplicated, so nothing of it is in the visited set.
		e.pos = min(lo, cur.len())
		if cancelled() {
			return
		}
		e.progress(depth, nxt.len())
		if e.stop || lo >= hi {
			return
		}
		if !setup {
			e.checkpointIfDue()
		}
		e.dedup(b, depth)
		if e.stopCollision(); e.stop {
			return
		}
		done = b
	}
}
