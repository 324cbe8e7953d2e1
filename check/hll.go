package check

import (
	"math"
	"math/bits"
)

// hll is a HyperLogLog sketch (Flajolet et al., 2007) of the fingerprints
// a walk run met: it estimates how many distinct states the walks visited
// in 16 KiB, within about 1% (standard error 1.04/sqrt(2^14)).
type hll struct {
	reg [1 << hllBits]uint8
}

const hllBits = 14

// add counts fingerprint fp.
func (h *hll) add(fp uint64) {
	x := mix(fp)
	i := x >> (64 - hllBits)
	rank := uint8(bits.LeadingZeros64(x<<hllBits|1<<(hllBits-1))) + 1
	if rank > h.reg[i] {
		h.reg[i] = rank
	}
}

// merge folds o into h.
func (h *hll) merge(o *hll) {
	for i, r := range o.reg {
		h.reg[i] = max(h.reg[i], r)
	}
}

// estimate returns the estimated number of distinct fingerprints added,
// with the small-range correction (linear counting) of the original paper.
func (h *hll) estimate() float64 {
	const m = float64(len(h.reg))
	sum, zeros := 0.0, 0
	for _, r := range h.reg {
		sum += math.Ldexp(1, -int(r))
		if r == 0 {
			zeros++
		}
	}
	e := 0.7213 / (1 + 1.079/m) * m * m / sum
	if e <= 2.5*m && zeros > 0 {
		e = m * math.Log(m/float64(zeros))
	}
	return e
}
