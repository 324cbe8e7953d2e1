package state

import (
	"bytes"
	"fmt"

	"github.com/zeebo/xxh3"
)

// Symmetry selects how much renaming the canonical form applies. Each level
// identifies states that the kernel cannot tell apart: objects have no
// names, only identities, and processes differ only in what they hold.
type Symmetry uint8

// The symmetry levels.
const (
	// SymFull renames processes as well as objects (the default): two
	// states that differ by which process slot holds which address space
	// are one state.
	SymFull Symmetry = iota
	// SymObjects renumbers VMAs, anon_vmas and pages (Canonical) but keeps
	// processes in their slots.
	SymObjects
	// SymOff renames nothing: a state is the slots as the model allocated
	// them. Only for cross-checks and for measuring the reduction.
	SymOff
)

var symmetryNames = [...]string{SymFull: "full", SymObjects: "objects", SymOff: "off"}

func (y Symmetry) String() string {
	if int(y) < len(symmetryNames) {
		return symmetryNames[y]
	}
	return fmt.Sprintf("Symmetry(%d)", y)
}

// ParseSymmetry parses a --symmetry value.
func ParseSymmetry(s string) (Symmetry, error) {
	for i, n := range symmetryNames {
		if s == n {
			return Symmetry(i), nil
		}
	}
	return 0, fmt.Errorf("unknown symmetry %q: use full, objects or off", s)
}

// Perm maps process slots of a state to the slots they have in its
// canonical form: Perm[p] is the new slot of process p.
type Perm [MaxProcs]uint8

// Identity is the permutation that moves no process.
func Identity() Perm { return Perm{0, 1, 2, 3} }

// Inverse returns the permutation that undoes p.
func (p Perm) Inverse() Perm {
	var q Perm
	for i, j := range p {
		q[j] = uint8(i)
	}
	return q
}

// Canonical writes to dst the canonical form of s at this level of
// symmetry and returns where each process slot went.
func (y Symmetry) Canonical(dst, s *State) Perm {
	switch y {
	case SymOff:
		*dst = *s
		return Identity()
	case SymObjects:
		Canonical(dst, s)
		return Identity()
	}
	return CanonicalFull(dst, s)
}

// procSig summarises what process p holds without naming any object: its
// VMAs in address order (range, pgoff, flags, chain length, and the shape
// of the anon_vma each points at) and its page table (which slots map a
// page, writable or not, and that page's index, mapcount and flags). Two
// processes that a renaming maps onto each other have equal signatures, so
// sorting by signature is independent of slot names.
func procSig(s *State, p int) uint64 {
	var buf [MaxVMAs*8 + MaxSlots*5 + 2]byte
	n := 0
	buf[n] = s.MMs[p].MapCount
	n++
	s.ForEachVMA(p, func(id VMAID) bool {
		v := s.VMA(id)
		buf[n], buf[n+1], buf[n+2], buf[n+3], buf[n+4] = v.Start, v.End, v.Pgoff, uint8(v.Flags), v.NChain
		if v.AnonVMA != NoAV && int(v.AnonVMA) <= MaxAnonVMAs {
			a := s.AV(v.AnonVMA)
			root := uint8(0)
			if a.Root == v.AnonVMA {
				root = 1
			}
			buf[n+5], buf[n+6], buf[n+7] = 1+a.Status+root<<2, uint8(a.Refcount), a.Degree
		}
		n += 8
		return true
	})
	buf[n] = 0xff
	n++
	for a := 0; a < MaxSlots; a++ {
		pte := s.PT[p][a]
		pg := pte.Page()
		if pg == NoPage || int(pg) > MaxPages {
			n += 5
			continue
		}
		page := s.Page(pg)
		w := uint8(1)
		if pte.Writable() {
			w = 2
		}
		buf[n], buf[n+1], buf[n+2], buf[n+3], buf[n+4] = w, page.Index, uint8(page.Mapcount), page.Flags, uint8(a)
		n += 5
	}
	return xxh3.Hash(buf[:n])
}

// CanonicalFull writes to dst the canonical form of s under renaming of
// processes as well as objects, and returns where each process slot went.
//
// Live processes are sorted by a signature that names no object (procSig)
// and packed into slots 0, 1, ...; processes with equal signatures are
// tried in every order, and the order whose object-canonical form has the
// smallest bytes wins. The candidate orders are a function of the state up
// to renaming, so every renaming of s gets the same result. With up to
// MaxProcs = 4 processes there are at most 24 candidates; distinct
// signatures, the usual case, leave one.
func CanonicalFull(dst, s *State) Perm {
	var live [MaxProcs]uint8
	var sig [MaxProcs]uint64
	n := 0
	for p := 0; p < MaxProcs; p++ {
		if s.MMs[p].Live != 0 {
			live[n] = uint8(p)
			sig[p] = procSig(s, p)
			n++
		}
	}
	// Insertion sort by signature, then by slot: deterministic.
	for i := 1; i < n; i++ {
		for j := i; j > 0 && sig[live[j]] < sig[live[j-1]]; j-- {
			live[j], live[j-1] = live[j-1], live[j]
		}
	}
	ties := false
	for i := 1; i < n; i++ {
		if sig[live[i]] == sig[live[i-1]] {
			ties = true
		}
	}
	if !ties {
		return applyOrder(dst, s, &live, n)
	}
	// Try every order that keeps the signature sort, keep the least.
	var best, tmp State
	var bestPerm Perm
	first := true
	for _, pi := range &allOrders {
		var o [MaxProcs]uint8
		ok := true
		for i := n; i < MaxProcs; i++ {
			ok = ok && int(pi[i]) == i
		}
		for i := 0; i < n && ok; i++ {
			if int(pi[i]) >= n {
				ok = false
				break
			}
			o[i] = live[pi[i]]
			ok = i == 0 || sig[o[i-1]] <= sig[o[i]]
		}
		if !ok {
			continue
		}
		perm := applyOrder(&tmp, s, &o, n)
		if first || bytes.Compare(tmp.Bytes(), best.Bytes()) < 0 {
			best, bestPerm, first = tmp, perm, false
		}
	}
	*dst = best
	return bestPerm
}

// allOrders lists the permutations of MaxProcs slots; CanonicalFull uses
// those that permute only the first n slots.
var allOrders = func() (out [24][MaxProcs]uint8) {
	i := 0
	for a := uint8(0); a < 4; a++ {
		for b := uint8(0); b < 4; b++ {
			for c := uint8(0); c < 4; c++ {
				d := 6 - a - b - c
				if a == b || a == c || b == c || d > 3 || d == a || d == b || d == c {
					continue
				}
				out[i] = [MaxProcs]uint8{a, b, c, d}
				i++
			}
		}
	}
	return out
}()

// applyOrder moves process order[i] to slot i for i < n, empties the other
// process slots, and canonicalises the objects.
func applyOrder(dst, s *State, order *[MaxProcs]uint8, n int) Perm {
	var perm Perm
	used := uint8(0)
	for i := 0; i < n; i++ {
		perm[order[i]] = uint8(i)
		used |= 1 << order[i]
	}
	next := uint8(n)
	for p := uint8(0); p < MaxProcs; p++ {
		if used&(1<<p) == 0 {
			perm[p] = next
			next++
		}
	}
	if perm == Identity() {
		Canonical(dst, s)
		return perm
	}
	var t State
	t = *s
	for p := 0; p < MaxProcs; p++ {
		t.MMs[perm[p]] = s.MMs[p]
		t.PT[perm[p]] = s.PT[p]
	}
	for i := range t.VMAs {
		if m := t.VMAs[i].MM; m != 0 && int(m) <= MaxProcs {
			t.VMAs[i].MM = perm[m-1] + 1
		}
	}
	Canonical(dst, &t)
	return perm
}
