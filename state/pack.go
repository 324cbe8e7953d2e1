package state

import "unsafe"

const stateSize = int(unsafe.Sizeof(State{}))

// AppendPacked appends a compact encoding of s to dst: for each 8 bytes of
// the state, one mask byte saying which of them are non-zero, then those
// bytes. Most of a state's slots are unused and zero, so a typical state
// packs to a quarter of its size or less.
func (s *State) AppendPacked(dst []byte) []byte {
	b := s.Bytes()
	for i := 0; i < len(b); i += 8 {
		end := min(i+8, len(b))
		var mask byte
		for j := i; j < end; j++ {
			if b[j] != 0 {
				mask |= 1 << (j - i)
			}
		}
		dst = append(dst, mask)
		for j := i; j < end; j++ {
			if b[j] != 0 {
				dst = append(dst, b[j])
			}
		}
	}
	return dst
}

// Unpack decodes what AppendPacked wrote into s.
func (s *State) Unpack(src []byte) {
	b := s.Bytes()
	k := 0
	for i := 0; i < len(b); i += 8 {
		end := min(i+8, len(b))
		mask := src[k]
		k++
		for j := i; j < end; j++ {
			if mask&(1<<(j-i)) != 0 {
				b[j] = src[k]
				k++
			} else {
				b[j] = 0
			}
		}
	}
}
