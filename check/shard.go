package check

// Shard is one of Count parts of a run, for runs spread over machines.
// Every part explores the same levels up to the first with at least
// ShardMinStates states per part (the split level); there part Index
// keeps only the states whose fingerprint it owns (mix(fp) mod Count),
// and explores the rest of the run from those alone. A state beyond the
// split level descends from a state of that level, so it is explored by
// the part owning that ancestor, at its own depth: the union of the parts
// is the whole run, and the shortest violation is the shortest over the
// parts. A part keeps every state's fingerprint (Result.Fingerprints) so
// that the union can be counted.
type Shard struct {
	Index, Count int
}

// ShardMinStates is how many states per part the split level must have:
// enough that the parts get about as much work each.
const ShardMinStates = 64

// split keeps the states of level that this part owns.
func (e *explorer[S]) split(level *frontier[S]) *frontier[S] {
	out := e.newFrontier()
	for i := 0; i < level.len(); i++ {
		idx := level.get(i, &e.cur)
		if mix(e.w.Fingerprint(&e.cur))%uint64(e.cfg.Shard.Count) == uint64(e.cfg.Shard.Index) {
			out.push(idx, &e.cur)
		}
	}
	return out
}
