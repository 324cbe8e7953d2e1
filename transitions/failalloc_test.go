package transitions

import "testing"

// TestOpFailEncoding checks Op.Fail's place in the action id: an
// operation without a failure keeps the id it had before Fail existed
// (the layouts of ops.go, the mremap one included), every field survives
// the encoding with any Fail up to MaxFail(kind), and two operations that
// differ only in Fail have different ids.
func TestOpFailEncoding(t *testing.T) {
	old := func(o Op) uint32 { // the encodings before Op.Fail
		if o.Kind == OpMremap {
			return uint32(o.Kind) | uint32(o.Proc)<<4 | uint32(o.Start&0xf)<<8 | uint32(o.End&0xf)<<12 |
				uint32(o.To&0xf)<<16 | uint32(o.ToEnd&0xf)<<20 | uint32(o.Arg)<<24
		}
		return uint32(o.Kind) | uint32(o.Proc)<<4 | uint32(o.Start)<<8 | uint32(o.End)<<16 | uint32(o.Arg)<<24
	}
	var ops []Op
	for kind := OpMmap; kind < numOpKinds; kind++ {
		for p := uint8(0); p < 4; p++ {
			for s := uint8(0); s < 8; s++ {
				for e := s + 1; e <= 8; e++ {
					for arg := uint8(0); arg < 8; arg++ {
						o := Op{Kind: kind, Proc: p, Start: s, End: e, Arg: arg}
						if kind == OpMremap {
							o.To, o.ToEnd = 8-e, 8-s
						}
						ops = append(ops, o)
					}
				}
			}
		}
	}
	for _, o := range ops {
		if got, want := o.Encode(), old(o); got != want {
			t.Fatalf("%+v: id %#x, want %#x as before Op.Fail", o, got, want)
		}
		seen := map[uint32]bool{o.Encode(): true}
		for f := 1; f <= MaxFail(o.Kind); f += 7 {
			of := o.WithFail(uint8(f))
			a := of.Encode()
			if got := DecodeOp(a); got != of {
				t.Fatalf("DecodeOp(Encode(%+v)) = %+v", of, got)
			}
			if seen[a] {
				t.Fatalf("%+v: id %#x taken by another Fail", of, a)
			}
			seen[a] = true
		}
		of := o.WithFail(uint8(MaxFail(o.Kind)))
		if got := DecodeOp(of.Encode()); got != of {
			t.Fatalf("DecodeOp(Encode(%+v)) = %+v", of, got)
		}
	}
}
