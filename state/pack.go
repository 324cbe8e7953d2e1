package state

import (
	"encoding/binary"
	"unsafe"
)

const stateSize = int(unsafe.Sizeof(State{}))

// AppendPacked appends a compact encoding of s to dst: for each 8 bytes of
// the state, one mask byte saying which of them are non-zero, then those
// bytes. Most of a state's slots are unused and zero, so a typical state
// packs to a quarter of its size or less.
func (s *State) AppendPacked(dst []byte) []byte {
	b := s.Bytes()
	i := 0
	for ; i+8 <= len(b); i += 8 {
		w := binary.LittleEndian.Uint64(b[i:])
		if w == 0 {
			dst = append(dst, 0)
			continue
		}
		var mask byte
		m := len(dst)
		dst = append(dst, 0)
		for j := 0; j < 8; j++ {
			if c := byte(w >> (8 * j)); c != 0 {
				mask |= 1 << j
				dst = append(dst, c)
			}
		}
		dst[m] = mask
	}
	if i < len(b) {
		var mask byte
		m := len(dst)
		dst = append(dst, 0)
		for j := i; j < len(b); j++ {
			if b[j] != 0 {
				mask |= 1 << (j - i)
				dst = append(dst, b[j])
			}
		}
		dst[m] = mask
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
