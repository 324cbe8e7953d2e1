package conform

import (
	"bufio"
	"bytes"
	_ "embed"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"anoncheck/state"
	"anoncheck/traces"
	"anoncheck/transitions"
)

// executorC is the executor's own code; Source puts the reproducer's
// prelude and process code (traces.ReproParts) before it.
//
//go:embed c/executor.c
var executorC string

// Timeout is how many seconds one sequence may take in the executor before
// it gives up (exit 2), so that a hang cannot stall a run.
const Timeout = 20

// Sizes and magic numbers of the executor's records (conform/executor.c).
const (
	maxV       = state.MaxSlots + 2
	helloMagic = 0x4f4c4548
	seqMagic   = 0x51455343
	obsMagic   = 0x5342434f
	opProbe    = 100
	flagMarker = 1

	helloSize = 4 + 4*5 + 128 + 256
	ovmaSize  = 16
	pobsSize  = 16 + maxV*ovmaSize + 3*8*state.MaxSlots
	sobsSize  = 24 + state.MaxProcs*pobsSize
	sopSize   = 6*4 + 8
)

// Source returns the executor's C program.
func Source() string {
	prelude, process := traces.ReproParts()
	remapDefines, remapCase := traces.ReproMremapParts()
	defines := fmt.Sprintf("#define BASE %#xUL\n#define PAGES %d\n#define PROCS %d\n#define TIMEOUT %d\n",
		traces.ReproBase, state.MaxSlots, state.MaxProcs, Timeout) + remapDefines
	own := strings.Replace(executorC, executorMremapAnchor, remapCase+executorMremapAnchor, 1)
	return strings.Join([]string{defines, prelude, process, own}, "\n")
}

// executorMremapAnchor is the line of the executor's cserve() loop the
// reproducer's mremap case goes before (TestExecutorHasMremap checks it is
// there).
const executorMremapAnchor = "\t\tcase OP_EXIT:\n\t\t\t_exit(0);\n"

// Compiler returns the C compiler conform uses: $CC, or gcc on PATH.
func Compiler() (string, error) {
	if cc := os.Getenv("CC"); cc != "" {
		return exec.LookPath(cc)
	}
	return exec.LookPath("gcc")
}

// Build compiles the executor into dir and returns its path.
func Build(dir string) (string, error) {
	cc, err := Compiler()
	if err != nil {
		return "", fmt.Errorf("%w: no C compiler (gcc, or $CC) to build the executor: %v", ErrUnavailable, err)
	}
	src := filepath.Join(dir, "conform-executor.c")
	bin := filepath.Join(dir, "conform-executor")
	if err := os.WriteFile(src, []byte(Source()), 0o644); err != nil {
		return "", err
	}
	out, err := exec.Command(cc, "-O2", "-Wall", "-Wno-unused-function", "-o", bin, src).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("compiling the executor with %s: %v\n%s", cc, err, out)
	}
	return bin, nil
}

// Machine is what the executor found this machine can show.
type Machine struct {
	PageSize   int
	PFN        bool   // /proc/PID/pagemap shows PFNs
	KPageCount bool   // /proc/kpagecount is readable
	Release    string // uname -r and -m
	Why        string // why PFNs are not shown, or what is in the way
	CPU        int    // the CPU the executor is pinned to; -1: none
}

// executor is one running executor process.
type executor struct {
	cmd    *exec.Cmd
	in     *bufio.Writer
	inFile io.WriteCloser
	out    *bufio.Reader
	stderr *bytes.Buffer
	m      Machine
	buf    []byte
}

// lockedBuffer is a bytes.Buffer safe for the exec package's copier.
type lockedBuffer struct {
	mu sync.Mutex
	bytes.Buffer
}

// startExecutor starts bin pinned to cpu (-1: not pinned) and reads its
// greeting.
func startExecutor(bin string, cpu int) (*executor, error) {
	cmd := exec.Command(bin, strconv.Itoa(cpu))
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting the executor: %v", err)
	}
	e := &executor{cmd: cmd, in: bufio.NewWriterSize(in, 1<<16), inFile: in, out: bufio.NewReaderSize(out, 1<<20), stderr: &stderr}
	b := make([]byte, helloSize)
	if _, err := io.ReadFull(e.out, b); err != nil {
		return nil, e.failed(err)
	}
	le := binary.NativeEndian
	if le.Uint32(b) != helloMagic {
		return nil, fmt.Errorf("the executor's greeting is garbled")
	}
	e.m = Machine{PageSize: int(int32(le.Uint32(b[4:]))), PFN: le.Uint32(b[8:]) == 1, KPageCount: le.Uint32(b[12:]) == 1,
		CPU: int(int32(le.Uint32(b[20:]))), Release: cstring(b[24 : 24+128]), Why: cstring(b[24+128:])}
	if le.Uint32(b[16:]) != 1 {
		e.close()
		return nil, fmt.Errorf("the executor cannot run: %s", e.m.Why)
	}
	return e, nil
}

func cstring(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

// failed turns a broken pipe into the executor's own explanation.
func (e *executor) failed(err error) error {
	werr := e.cmd.Wait()
	msg := strings.TrimSpace(e.stderr.String())
	if msg == "" {
		msg = fmt.Sprintf("%v (%v)", err, werr)
	}
	return fmt.Errorf("executor: %s", msg)
}

func (e *executor) close() {
	e.inFile.Close()
	e.cmd.Process.Kill()
	e.cmd.Wait()
}

// PageObs is what the kernel shows of one process slot after a step.
type PageObs struct {
	Live    bool
	Err     int // errno of reading its maps or pagemap
	VMAs    []VMA
	PM      [state.MaxSlots]uint64 // raw pagemap entries
	Content [state.MaxSlots]uint64 // content markers (marker mode)
	KCount  [state.MaxSlots]int64  // /proc/kpagecount; -1 unknown
}

// VMA is one maps line inside the test region, in page slots.
type VMA struct {
	Start, End int
	Perm       string // "rw-p"
}

// Obs is what the kernel did in one step.
type Obs struct {
	Status int   // stepOK, stepDied, stepGone
	Ret    int64 // 0 or -errno; a died process's wait status
	Fault  int   // a write: 1 faulted, 0 did not, -1 unknown
	Procs  [state.MaxProcs]PageObs
}

// Step statuses (conform/executor.c S_*).
const (
	stepOK = iota
	stepDied
	stepGone
)

// pagemap bits (Documentation/admin-guide/mm/pagemap.rst).
const (
	pmPresent   = 1 << 63
	pmSwapped   = 1 << 62
	pmExclusive = 1 << 56
	pmPFN       = 1<<55 - 1
)

// opCode is the executor's code of an operation kind: the reproducer's
// OP_ constants, in OpKind order.
func opCode(k transitions.OpKind) int32 { return int32(k) }

// performs lists the operation kinds conform/c/executor.c performs (its
// cserve switch). A kind added to transitions needs a case there, a line
// here, and its arguments in cArg.
var performs = map[transitions.OpKind]bool{
	transitions.OpMmap: true, transitions.OpWrite: true, transitions.OpMprotect: true, transitions.OpMadvise: true,
	transitions.OpMunmap: true, transitions.OpFork: true, transitions.OpExit: true, transitions.OpMremap: true,
}

// Restrict leaves out of sc the operation kinds and advices the executor
// cannot perform, and names them; conform's default (every kind) uses it,
// so that a kind the model gains before the executor does is skipped with
// a note rather than refused.
func Restrict(sc *transitions.Scope) []string {
	var left []string
	var ops transitions.OpSet
	for _, k := range transitions.OpKinds() {
		if !sc.Ops.Has(k) {
			continue
		}
		if performs[k] {
			ops |= 1 << k
		} else {
			left = append(left, k.String())
		}
	}
	if len(left) > 0 {
		sc.Ops = ops
	}
	var advices []transitions.Advice
	for _, a := range sc.Advices {
		if _, ok := madvValue[a]; ok {
			advices = append(advices, a)
		} else {
			left = append(left, a.String())
		}
	}
	sc.Advices = advices
	return left
}

// checkScope refuses a scope with an operation or an advice the executor
// cannot perform, rather than performing something else.
func checkScope(sc *transitions.Scope) error {
	for _, k := range transitions.OpKinds() {
		if sc.Ops.Has(k) && !performs[k] {
			return fmt.Errorf("the executor cannot perform %s yet (conform/c/executor.c); leave it out with --kinds", k)
		}
	}
	if sc.Ops.Has(transitions.OpMadvise) {
		for _, a := range sc.Advices {
			if _, ok := madvValue[a]; !ok {
				return fmt.Errorf("the executor does not know the value of %s (conform/executor.go, madvValue)", a)
			}
		}
	}
	return nil
}

// cArg turns an operation's argument into the system call's: a PROT_ or
// MADV_ value, or an mremap's flags and new range packed as the
// reproducer's MREMAP_ARG packs them.
func cArg(op transitions.Op) int32 {
	switch op.Kind.Info().Args {
	case transitions.ArgRangeProt:
		return int32(op.Arg) // PROT_READ 1, PROT_WRITE 2, PROT_EXEC 4, as transitions.Prot
	case transitions.ArgRangeAdvice:
		return madvValue[transitions.Advice(op.Arg)]
	case transitions.ArgRemap:
		return int32(op.Arg) | int32(op.To)<<8 | int32(op.ToEnd)<<16 // MREMAP_ARG(flags, to, to_end)
	}
	return 0
}

// madvValue are the Linux values of the modelled advices.
var madvValue = map[transitions.Advice]int32{
	transitions.MadvDontFork:   10, // MADV_DONTFORK
	transitions.MadvDoFork:     11, // MADV_DOFORK
	transitions.MadvWipeOnFork: 18, // MADV_WIPEONFORK
	transitions.MadvKeepOnFork: 19, // MADV_KEEPONFORK
	transitions.MadvDontNeed:   4,  // MADV_DONTNEED
}

// send writes one sequence to the executor.
func (e *executor) send(seq *Sequence, pages int, markers bool) error {
	le := binary.NativeEndian
	b := e.buf[:0]
	flags := uint32(0)
	if markers {
		flags |= flagMarker
	}
	b = le.AppendUint32(b, seqMagic)
	b = le.AppendUint32(b, uint32(len(seq.Ops)))
	b = le.AppendUint32(b, flags)
	b = le.AppendUint32(b, uint32(pages))
	for i, op := range seq.Ops {
		b = le.AppendUint32(b, uint32(opCode(op.Kind)))
		b = le.AppendUint32(b, uint32(op.Proc))
		b = le.AppendUint32(b, uint32(op.Start))
		b = le.AppendUint32(b, uint32(op.End))
		b = le.AppendUint32(b, uint32(cArg(op)))
		b = le.AppendUint32(b, uint32(int32(seq.Results[i].Child)))
		b = le.AppendUint64(b, seq.marker(i))
	}
	e.buf = b
	if _, err := e.in.Write(b); err != nil {
		return e.failed(err)
	}
	if err := e.in.Flush(); err != nil {
		return e.failed(err)
	}
	return nil
}

// receive reads the observations of n steps into obs.
func (e *executor) receive(obs []Obs) error {
	le := binary.NativeEndian
	var b [sobsSize]byte
	for i := range obs {
		if _, err := io.ReadFull(e.out, b[:]); err != nil {
			return e.failed(err)
		}
		if le.Uint32(b[:]) != obsMagic {
			return errors.New("executor: an observation is garbled")
		}
		o := &obs[i]
		o.Status = int(int32(le.Uint32(b[4:])))
		o.Ret = int64(le.Uint64(b[8:]))
		o.Fault = int(int32(le.Uint32(b[16:])))
		for q := range o.Procs {
			p := &o.Procs[q]
			pb := b[24+q*pobsSize:]
			p.Live = le.Uint32(pb) == 1
			nvma := int(int32(le.Uint32(pb[4:])))
			p.Err = int(int32(le.Uint32(pb[8:])))
			p.VMAs = p.VMAs[:0]
			for v := 0; v < nvma && v < maxV; v++ {
				vb := pb[16+v*ovmaSize:]
				p.VMAs = append(p.VMAs, VMA{Start: int(int32(le.Uint32(vb))), End: int(int32(le.Uint32(vb[4:]))),
					Perm: permString(le.Uint32(vb[8:]))})
			}
			off := 16 + maxV*ovmaSize
			for a := 0; a < state.MaxSlots; a++ {
				p.PM[a] = le.Uint64(pb[off+8*a:])
				p.Content[a] = le.Uint64(pb[off+64+8*a:])
				p.KCount[a] = int64(le.Uint64(pb[off+128+8*a:]))
			}
		}
	}
	return nil
}

// permString renders the executor's permission bits as maps does.
func permString(bits uint32) string {
	b := []byte("---s")
	if bits&1 != 0 {
		b[0] = 'r'
	}
	if bits&2 != 0 {
		b[1] = 'w'
	}
	if bits&4 != 0 {
		b[2] = 'x'
	}
	if bits&8 != 0 {
		b[3] = 'p'
	}
	return string(b)
}
