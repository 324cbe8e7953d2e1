package check

import (
	"fmt"
	"os"
	"syscall"
	"unsafe"
)

// Spilling. With Config.SpillDir, the run keeps on disk what it reads
// only in order or rarely: the packed states of its frontiers (read once,
// level by level) and the parent links and actions of its states (read
// when a violation's path is rebuilt). Each is written in blocks of
// chunkSize to an unlinked file in SpillDir and mapped back read-only;
// memory then holds the visited set, the frontiers' per-state index and
// location (12 bytes a state of the two levels in hand) and one block in
// writing per array, and the page cache the rest. A frontier's blocks are
// unmapped as the level is consumed, so the pages the kernel read back do
// not stay in the process.

// spillFile is an unlinked file that blocks are appended to.
type spillFile struct {
	f    *os.File
	size int64
}

// newSpillFile creates the file in dir and unlinks it at once: it
// disappears with the process, however the process ends.
func newSpillFile(dir string) (*spillFile, error) {
	f, err := os.CreateTemp(dir, ".anoncheck-spill-*")
	if err != nil {
		return nil, err
	}
	os.Remove(f.Name())
	return &spillFile{f: f}, nil
}

// put writes block at the next page-aligned offset and returns it mapped
// read-only from the file.
func (s *spillFile) put(block []byte) ([]byte, error) {
	if len(block) == 0 {
		return nil, nil
	}
	if _, err := s.f.WriteAt(block, s.size); err != nil {
		return nil, err
	}
	m, err := syscall.Mmap(int(s.f.Fd()), s.size, len(block), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, err
	}
	page := int64(os.Getpagesize())
	s.size += (int64(len(block)) + page - 1) / page * page
	return m, nil
}

// close closes the file; the blocks mapped from it stay valid until
// unmapped.
func (s *spillFile) close() { s.f.Close() }

// unmap releases a block put returned.
func unmap(b []byte) {
	if len(b) > 0 {
		syscall.Munmap(b)
	}
}

// spillError stops a run whose spill file cannot be written (a full disk).
type spillError struct{ err error }

func (e spillError) Error() string { return fmt.Sprintf("spilling to disk: %v", e.err) }

// u32s is an append-only array of uint32 (parent links, actions) kept in
// blocks, of which all but the last can be spilled.
type u32s struct {
	blocks [][]uint32
	n      int
	spill  *spillFile // nil: all in memory
	mapped int        // blocks [0, mapped) are mapped from spill
	err    error      // the first spill error
}

const u32Block = chunkSize / 4

func (a *u32s) len() int { return a.n }

func (a *u32s) get(i int) uint32 { return a.blocks[i/u32Block][i%u32Block] }

func (a *u32s) append(v uint32) {
	if a.n%u32Block == 0 {
		var next []uint32
		if n := len(a.blocks); n > 0 && a.spill != nil && a.err == nil && a.mapped == n-1 {
			full := a.blocks[n-1]
			m, err := a.spill.put(unsafe.Slice((*byte)(unsafe.Pointer(&full[0])), len(full)*4))
			if err != nil {
				a.err = err
			} else {
				a.blocks[n-1] = unsafe.Slice((*uint32)(unsafe.Pointer(&m[0])), len(full))
				a.mapped = n
				next = full[:0] // the block in memory becomes the next one
			}
		}
		if next == nil {
			next = make([]uint32, 0, u32Block)
		}
		a.blocks = append(a.blocks, next)
	}
	b := &a.blocks[len(a.blocks)-1]
	*b = append(*b, v)
	a.n++
}

// u32sOf returns xs as an array in memory.
func u32sOf(xs []uint32) u32s {
	a := u32s{n: len(xs)}
	for len(xs) > 0 {
		k := min(len(xs), u32Block)
		b := make([]uint32, k, u32Block)
		copy(b, xs[:k])
		a.blocks = append(a.blocks, b)
		xs = xs[k:]
	}
	return a
}

// slices returns the array as its blocks in order, for writing out.
func (a *u32s) slices() [][]uint32 { return a.blocks }

// unmap releases the blocks mapped from the spill file.
func (a *u32s) unmap() {
	for _, b := range a.blocks[:a.mapped] {
		unmap(unsafe.Slice((*byte)(unsafe.Pointer(&b[0])), len(b)*4))
	}
	a.blocks, a.mapped = nil, 0
}

// newFrontier returns an empty frontier, spilling to Config.SpillDir when
// set.
func (e *explorer[S]) newFrontier() *frontier[S] {
	f := newFrontier(e.w)
	if e.cfg.SpillDir != "" && f.p != nil && e.spillErr == nil {
		if f.spill, e.spillErr = newSpillFile(e.cfg.SpillDir); e.spillErr != nil {
			f.spill = nil
		}
	}
	return f
}

// spillFailed stops the run if writing to a spill file failed.
func (e *explorer[S]) spillFailed() bool {
	for _, err := range []error{e.spillErr, e.level.err, e.next.err, e.parent.err, e.action.err} {
		if err != nil {
			e.res.Stop, e.res.Err, e.stop = SpillFailed, spillError{err}, true
			return true
		}
	}
	return false
}
