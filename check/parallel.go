package check

import "sync"

// Parallel expansion. A level is expanded in batches of batchStates
// states. Each batch is cut into one contiguous part per worker; the
// workers compute successors, canonical forms and fingerprints, and drop
// the successors whose fingerprint is already in the visited set (a
// read-only lookup: nothing writes the set while they run). The explorer
// then merges the parts in order, inserting, checking properties and
// assigning indexes exactly as a single worker would, so states, counts,
// depths and violating paths do not depend on the number of workers.

const batchStates = 2048

// succ is a successor a worker found not yet visited: its fingerprint,
// the properties it violates, and the state itself, packed in the part's
// arena when the worker can pack states.
type succ[S any] struct {
	parent   uint32
	action   Action
	fp       uint64
	violated uint64
	end      uint32 // end of the packed state in the arena
	s        S      // the state, when the worker cannot pack
}

// part is one worker's share of a batch and its output.
type part[S any] struct {
	w           Worker[S]
	p           Packer[S]
	lo, hi      int
	out         []succ[S]
	arena       []byte
	transitions int
	cur         S
	buf         []Action
}

func (p *part[S]) run(e *explorer[S], cur *frontier[S], setup bool, pending uint64) {
	p.out = p.out[:0]
	p.arena = p.arena[:0]
	p.transitions = 0
	var next S
	for i := p.lo; i < p.hi; i++ {
		pidx := cur.get(i, &p.cur)
		if p.w.Terminal(&p.cur) {
			continue
		}
		p.buf = p.w.Actions(&p.cur, setup, p.buf[:0])
		for _, a := range p.buf {
			if !p.w.Next(&p.cur, a, &next) {
				continue
			}
			p.transitions++
			fp := p.w.Fingerprint(&next)
			if e.visited.contains(fp) {
				continue
			}
			sc := succ[S]{parent: pidx, action: a, fp: fp, violated: e.violations(&next, pending)}
			if p.p != nil {
				p.arena = p.p.Pack(p.arena, &next)
				sc.end = uint32(len(p.arena))
			} else {
				sc.s = next
			}
			p.out = append(p.out, sc)
		}
	}
}

// expandParallel is expand with the explorer's parts as workers.
func (e *explorer[S]) expandParallel(cur *frontier[S], setup bool, depth int, cancelled func() bool) *frontier[S] {
	nxt := newFrontier(e.w)
	for lo := 0; lo < cur.len(); lo += batchStates {
		hi := min(lo+batchStates, cur.len())
		n := len(e.parts)
		pending := e.pending()
		var wg sync.WaitGroup
		for k, p := range e.parts {
			p.lo = lo + (hi-lo)*k/n
			p.hi = lo + (hi-lo)*(k+1)/n
			wg.Add(1)
			go func() {
				defer wg.Done()
				p.run(e, cur, setup, pending)
			}()
		}
		wg.Wait()
		for _, p := range e.parts {
			e.res.Stats.Transitions += p.transitions
			start := uint32(0)
			for i := range p.out {
				sc := &p.out[i]
				if idx := e.addChecked(sc.fp, sc.parent, sc.action, depth, sc.violated); idx >= 0 {
					if p.p != nil {
						nxt.pushPacked(uint32(idx), p.arena[start:sc.end])
					} else {
						nxt.push(uint32(idx), &sc.s)
					}
				}
				start = sc.end
				if e.stop {
					return nxt
				}
			}
		}
		if cancelled() {
			return nxt
		}
		e.progress(depth, nxt.len())
		if e.stop {
			return nxt
		}
	}
	return nxt
}
