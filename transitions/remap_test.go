package transitions

import (
	"slices"
	"testing"

	"anoncheck/state"
)

// TestOptInParsing: --ops and --advices spell the opt-in choices with a
// "+", the zero OpSet and the default advices keep the seven kinds and the
// four fork advices, and every spelling renders back to one that parses to
// the same set.
func TestOptInParsing(t *testing.T) {
	var zero OpSet
	if zero.Has(OpMremap) || !zero.Has(OpExit) {
		t.Errorf("the zero OpSet: mremap %v, exit %v; want mremap off, exit on", zero.Has(OpMremap), zero.Has(OpExit))
	}
	for _, c := range []struct {
		in, out string
		mremap  bool
	}{{"all", "all", false}, {"+mremap", "+mremap", true}, {"all,mremap", "+mremap", true}, {"fork,write,mremap", "write,fork,mremap", true}} {
		o, err := ParseOps(c.in)
		if err != nil || o.String() != c.out || o.Has(OpMremap) != c.mremap || !o.Has(OpWrite) {
			t.Errorf("ParseOps(%q) = %v (%q), %v", c.in, o, o.String(), err)
		}
	}
	if _, err := ParseOps("+remap"); err == nil {
		t.Errorf("ParseOps(+remap): no error")
	}
	for _, c := range []struct {
		in, out string
		n       int
	}{{"fork", "fork", 4}, {"+dontneed", "+dontneed", 5}, {"dontneed", "dontneed", 1}, {"fork,dontneed", "+dontneed", 5}} {
		as, err := ParseAdvices(c.in)
		if err != nil || len(as) != c.n || AdvicesString(as) != c.out {
			t.Errorf("ParseAdvices(%q) = %v (%q), %v", c.in, as, AdvicesString(as), err)
		}
	}
	if !slices.Equal(DefaultScope().Advices, ForkAdvices()) {
		t.Errorf("the default scope's advices are %v", DefaultScope().Advices)
	}
}

// TestMremapEncoding: an mremap round-trips through its action id with
// its four addresses, and the other kinds keep their encoding.
func TestMremapEncoding(t *testing.T) {
	for _, o := range []Op{
		{Kind: OpMremap, Proc: 3, Start: 7, End: 8, To: 0, ToEnd: 8, Arg: uint8(MremapMoveKeep)},
		{Kind: OpMremap, Proc: 1, Start: 2, End: 5, To: 2, ToEnd: 3},
		{Kind: OpMprotect, Proc: 1, Start: 2, End: 5, Arg: uint8(ProtRead)},
	} {
		if got := DecodeOp(o.Encode()); got != o {
			t.Errorf("DecodeOp(Encode(%+v)) = %+v", o, got)
		}
	}
	if got := (Op{Kind: OpMunmap, Start: 1, End: 2}).Encode(); got != 5|1<<8|2<<16 {
		t.Errorf("munmap's encoding changed: %#x", got)
	}
}

// TestRemapActions: the mremap actions of a one-page VMA in a three-page
// space are its growth in place and its moves, with MREMAP_DONTUNMAP for
// the same length; none overlaps the old range; setup has none.
func TestRemapActions(t *testing.T) {
	sc := DefaultScope()
	sc.Pages, sc.Procs, sc.Ops = 3, 1, DefaultOps|1<<OpMremap
	s := Initial()
	s.VMAs[0] = state.VMA{MM: 1, Start: 1, End: 2, Pgoff: 1, Flags: state.VMRead}
	s.MMs[0].Mmap, s.MMs[0].MapCount = 1, 1
	var got []string
	for _, a := range sc.Actions(&s, false, nil) {
		if o := DecodeOp(a); o.Kind == OpMremap {
			got = append(got, o.String())
		}
	}
	want := []string{
		"mremap(P1, [1,2) -> [1,3))",
		"mremap(P1, [1,2) -> [0,1), MREMAP_MAYMOVE|MREMAP_FIXED)",
		"mremap(P1, [1,2) -> [0,1), MREMAP_MAYMOVE|MREMAP_FIXED|MREMAP_DONTUNMAP)",
		"mremap(P1, [1,2) -> [2,3), MREMAP_MAYMOVE|MREMAP_FIXED)",
		"mremap(P1, [1,2) -> [2,3), MREMAP_MAYMOVE|MREMAP_FIXED|MREMAP_DONTUNMAP)",
		"mremap(P1, [1,3) -> [1,2))",
		"mremap(P1, [1,3) -> [0,1), MREMAP_MAYMOVE|MREMAP_FIXED)",
	}
	if !slices.Equal(got, want) {
		t.Errorf("mremap actions:\n%v\nwant\n%v", got, want)
	}
	for _, a := range sc.Actions(&s, true, nil) {
		if DecodeOp(a).Kind == OpMremap {
			t.Errorf("setup offers %s", DecodeOp(a))
		}
	}
}
