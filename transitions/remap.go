package transitions

import (
	"fmt"
	"strings"
)

// MremapFlags are the flags of an mremap() call, with the kernel's values
// (include/uapi/linux/mman.h). The model explores three combinations: none
// (shrink or grow in place), MREMAP_MAYMOVE|MREMAP_FIXED (move to a given
// address) and MREMAP_MAYMOVE|MREMAP_FIXED|MREMAP_DONTUNMAP (Linux 5.7 and
// later: move and leave the old VMA mapped, empty). MREMAP_MAYMOVE alone
// lets the kernel pick the new address (get_unmapped_area()), which the
// model's few page slots cannot stand for, so it is not explored.
type MremapFlags uint8

// The mremap() flag bits.
const (
	MremapMayMove   MremapFlags = 1 // MREMAP_MAYMOVE
	MremapFixed     MremapFlags = 2 // MREMAP_FIXED
	MremapDontUnmap MremapFlags = 4 // MREMAP_DONTUNMAP (5.7 and later)

	// MremapMove is MREMAP_MAYMOVE|MREMAP_FIXED.
	MremapMove = MremapMayMove | MremapFixed
	// MremapMoveKeep is MREMAP_MAYMOVE|MREMAP_FIXED|MREMAP_DONTUNMAP.
	MremapMoveKeep = MremapMove | MremapDontUnmap
)

var mremapFlagNames = []struct {
	f    MremapFlags
	name string
}{{MremapMayMove, "MREMAP_MAYMOVE"}, {MremapFixed, "MREMAP_FIXED"}, {MremapDontUnmap, "MREMAP_DONTUNMAP"}}

// String renders the flags as C spells them: "MREMAP_MAYMOVE|MREMAP_FIXED",
// or "0".
func (f MremapFlags) String() string {
	var parts []string
	for _, n := range mremapFlagNames {
		if f&n.f != 0 {
			parts = append(parts, n.name)
		}
	}
	if rest := f &^ (MremapMayMove | MremapFixed | MremapDontUnmap); rest != 0 {
		parts = append(parts, fmt.Sprintf("%#x", uint8(rest)))
	}
	if len(parts) == 0 {
		return "0"
	}
	return strings.Join(parts, "|")
}

// C renders the flags as C source; the names are the kernel's.
func (f MremapFlags) C() string { return f.String() }

// ParseMremapFlags parses what String prints: "0" or names joined by "|".
func ParseMremapFlags(s string) (MremapFlags, error) {
	if s == "" || s == "0" {
		return 0, nil
	}
	var f MremapFlags
	for _, part := range strings.Split(s, "|") {
		found := false
		for _, n := range mremapFlagNames {
			if strings.EqualFold(strings.TrimSpace(part), n.name) {
				f |= n.f
				found = true
			}
		}
		if !found {
			return 0, fmt.Errorf("unknown mremap flag %q: use 0 or MREMAP_MAYMOVE|MREMAP_FIXED[|MREMAP_DONTUNMAP]", part)
		}
	}
	return f, nil
}

// checkRemap checks an mremap's arguments against the scope: both ranges
// inside the address space, one of the three explored flag combinations,
// and for an in-place call the new range starting at the old (the kernel
// ignores new_address then; the model keeps one spelling of each call).
func (o Op) checkRemap(sc *Scope) error {
	if o.Start >= o.End || int(o.End) > sc.Pages || o.To >= o.ToEnd || int(o.ToEnd) > sc.Pages {
		return fmt.Errorf("%s: range outside the address space [0,%d)", o, sc.Pages)
	}
	switch MremapFlags(o.Arg) {
	case 0:
		if o.To != o.Start {
			return fmt.Errorf("%s: an mremap without MREMAP_FIXED stays at its old address", o)
		}
	case MremapMove, MremapMoveKeep:
	default:
		return fmt.Errorf("%s: flags not modelled: use 0, MREMAP_MAYMOVE|MREMAP_FIXED or MREMAP_MAYMOVE|MREMAP_FIXED|MREMAP_DONTUNMAP", o)
	}
	return nil
}

// remapActions appends process p's mremap calls on the old range [a, b):
// in place to every other length that fits, and with MREMAP_FIXED (and
// MREMAP_DONTUNMAP, same length only, as the kernel requires) to every
// range of the address space that does not overlap the old one (the
// kernel refuses an overlap with -EINVAL, no state change).
func remapActions(buf []uint32, p, a, b, n uint8) []uint32 {
	for e := a + 1; e <= n; e++ {
		if e != b {
			buf = append(buf, Op{Kind: OpMremap, Proc: p, Start: a, End: b, To: a, ToEnd: e}.Encode())
		}
	}
	for to := uint8(0); to < n; to++ {
		for te := to + 1; te <= n; te++ {
			if to < b && a < te {
				continue
			}
			buf = append(buf, Op{Kind: OpMremap, Proc: p, Start: a, End: b, To: to, ToEnd: te, Arg: uint8(MremapMove)}.Encode())
			if te-to == b-a {
				buf = append(buf, Op{Kind: OpMremap, Proc: p, Start: a, End: b, To: to, ToEnd: te, Arg: uint8(MremapMoveKeep)}.Encode())
			}
		}
	}
	return buf
}

// adviceFlagNames are the names --advices takes, in Advice order.
var adviceFlagNames = [numAdvices]string{"dontfork", "dofork", "wipeonfork", "keeponfork", "dontneed"}

// FlagName is the advice's name in --advices: "dontneed".
func (a Advice) FlagName() string {
	if a < numAdvices {
		return adviceFlagNames[a]
	}
	return a.String()
}

// ForkAdvices are the four fork-related advices, the default of --advices.
func ForkAdvices() []Advice {
	return []Advice{MadvDontFork, MadvDoFork, MadvWipeOnFork, MadvKeepOnFork}
}

// ParseAdvices parses --advices: "fork" (the default: dontfork, dofork,
// wipeonfork, keeponfork), a comma-separated list of advice names, or a
// list whose entries start with "+" to add to the default
// ("+dontneed"). Each advice is kept once, in the order given.
func ParseAdvices(s string) ([]Advice, error) {
	var out []Advice
	add := func(a Advice) {
		for _, b := range out {
			if a == b {
				return
			}
		}
		out = append(out, a)
	}
	for i, name := range strings.Split(s, ",") {
		name = strings.TrimSpace(name)
		if strings.HasPrefix(name, "+") {
			if i == 0 {
				out = append(out, ForkAdvices()...)
			}
			name = name[1:]
		}
		if name == "fork" {
			for _, a := range ForkAdvices() {
				add(a)
			}
			continue
		}
		found := false
		for a := Advice(0); a < numAdvices; a++ {
			if adviceFlagNames[a] == name || strings.EqualFold(adviceNames[a], name) {
				add(a)
				found = true
			}
		}
		if !found {
			return nil, fmt.Errorf("unknown advice %q: use fork (the four fork advices), or a comma-separated list of %s, or +dontneed to add to the default",
				name, strings.Join(adviceFlagNames[:], ", "))
		}
	}
	return out, nil
}

// AdvicesString renders a list of advices as --advices takes it: "fork"
// for the default, "+dontneed" for the default and MADV_DONTNEED.
func AdvicesString(as []Advice) string {
	fork := ForkAdvices()
	if len(as) >= len(fork) {
		same := true
		for i, a := range fork {
			same = same && as[i] == a
		}
		if same {
			if len(as) == len(fork) {
				return "fork"
			}
			var extra []string
			for _, a := range as[len(fork):] {
				extra = append(extra, "+"+a.FlagName())
			}
			return strings.Join(extra, ",")
		}
	}
	var parts []string
	for _, a := range as {
		parts = append(parts, a.FlagName())
	}
	return strings.Join(parts, ",")
}

// RemapType is enum mremap_type (mm/mremap.c, v6.18).
type RemapType uint8

// The remap types.
const (
	MremapInvalid  RemapType = iota // MREMAP_INVALID
	MremapNoResize                  // MREMAP_NO_RESIZE
	MremapShrink                    // MREMAP_SHRINK
	MremapExpand                    // MREMAP_EXPAND
)

// VRM models struct vma_remap_struct (mm/mremap.c, v6.18): one mremap()
// call as it goes through do_mremap(), check_prep_vma(), mremap_to() or
// mremap_at(), and move_vma(). Lengths are in pages. The userfaultfd
// lists, the charge and populate_expand (VM_LOCKED) are left out: no
// modelled mapping has them. The v5.4 model passes the same values
// through its own call graph.
type VRM struct {
	MM        int
	VMA       vmaID // the VMA at Addr, NULL once invalidated
	Addr      uint8
	OldLen    uint8
	NewLen    uint8
	NewAddr   uint8
	Flags     MremapFlags
	Delta     uint8
	RemapType RemapType
}
