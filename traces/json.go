package traces

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"anoncheck/state"
	"anoncheck/transitions"
	"anoncheck/version"
)

// FormatName and FormatVersion identify trace files.
const (
	FormatName    = "anoncheck-trace"
	FormatVersion = 1
)

// File is the JSON form of a trace: what was checked, and each operation
// with the digest of the canonical state after it.
type File struct {
	Format  string `json:"format"`
	Version int    `json:"version"`
	// Tool is the build of anoncheck that wrote the file (version.String);
	// absent from files written before it was recorded.
	Tool     string     `json:"tool,omitempty"`
	Variant  string     `json:"variant"`
	Follows  string     `json:"follows,omitempty"`
	Property string     `json:"property,omitempty"`
	Scope    FileScope  `json:"scope"`
	Steps    []FileStep `json:"steps"`
}

// FileScope is the scope a trace was found at.
type FileScope struct {
	Pages int      `json:"pages"`
	Procs int      `json:"procs"`
	Prots []string `json:"prots"`
	// Ops lists the operation kinds the run explored (--ops); absent
	// means all.
	Ops string `json:"ops,omitempty"`
	// Advices lists the madvise advices the run explored (--advices);
	// absent means the four fork advices.
	Advices string `json:"advices,omitempty"`
	// FailAlloc is how many allocations a trace may make fail
	// (--fail-alloc); absent means none.
	FailAlloc int `json:"fail_alloc,omitempty"`
}

// FileStep is one operation. Processes are numbered from 1, as traces
// print them (P1, P2, ...).
type FileStep struct {
	Op     string `json:"op"`
	Proc   int    `json:"proc"`
	Start  *int   `json:"start,omitempty"`
	End    *int   `json:"end,omitempty"`
	Page   *int   `json:"page,omitempty"`
	Prot   string `json:"prot,omitempty"`
	Advice string `json:"advice,omitempty"`
	// To, ToEnd and Flags are an mremap's new range and flags
	// ("MREMAP_MAYMOVE|MREMAP_FIXED", or "0").
	To    *int   `json:"to,omitempty"`
	ToEnd *int   `json:"to_end,omitempty"`
	Flags string `json:"flags,omitempty"`
	Setup bool   `json:"setup,omitempty"`
	// FailAlloc, when present, makes the step's FailAlloc-th allocation
	// of an anon_vma, anon_vma_chain, vm_area_struct or maple nodes fail (counted in
	// the order the kernel code allocates); Injected names the allocating
	// function the replay under the file's variant found there
	// ("anon_vma_chain_alloc"), which replay checks.
	FailAlloc *int   `json:"fail_alloc,omitempty"`
	Injected  string `json:"injected,omitempty"`
	Result    string `json:"result,omitempty"`
	// Digest is the fingerprint of the canonical state after the step
	// under the trace's variant.
	Digest string `json:"digest,omitempty"`
}

func intp(v uint8) *int { i := int(v); return &i }

// StepFile renders one operation as a trace file step: the operation, the
// result it returned and the digest of the canonical state after it
// (after must be canonical). anoncheck conform writes its sequences with
// it; File.Ops reads them back.
func StepFile(op transitions.Op, errno int, after *state.State) FileStep {
	fs := FileStep{Op: op.Kind.String(), Proc: int(op.Proc) + 1, Result: transitions.ErrnoName(errno),
		Digest: fmt.Sprintf("%016x", after.Fingerprint())}
	switch op.Kind.Info().Args {
	case transitions.ArgRangeProt:
		fs.Start, fs.End, fs.Prot = intp(op.Start), intp(op.End), transitions.Prot(op.Arg).String()
	case transitions.ArgRangeAdvice:
		fs.Start, fs.End, fs.Advice = intp(op.Start), intp(op.End), transitions.Advice(op.Arg).String()
	case transitions.ArgRange:
		fs.Start, fs.End = intp(op.Start), intp(op.End)
	case transitions.ArgPage:
		fs.Page = intp(op.Start)
	case transitions.ArgRemap:
		fs.Start, fs.End, fs.To, fs.ToEnd = intp(op.Start), intp(op.End), intp(op.To), intp(op.ToEnd)
		fs.Flags = transitions.MremapFlags(op.Arg).String()
	}
	if op.Fail != 0 {
		fs.FailAlloc = intp(op.Fail)
	}
	return fs
}

// EncodeJSON renders t as a trace file.
func EncodeJSON(t *Trace) ([]byte, error) {
	f := File{Format: FormatName, Version: FormatVersion, Tool: version.String(), Variant: t.Variant.Name, Follows: t.Variant.Follows,
		Scope: FileScope{Pages: t.Scope.Pages, Procs: t.Scope.Procs}}
	if t.Property != nil {
		f.Property = t.Property.Name
	}
	for _, p := range t.Scope.Prots {
		f.Scope.Prots = append(f.Scope.Prots, p.String())
	}
	if t.Scope.Ops != 0 {
		f.Scope.Ops = t.Scope.Ops.String()
	}
	if a := transitions.AdvicesString(t.Scope.Advices); a != "fork" {
		f.Scope.Advices = a
	}
	f.Scope.FailAlloc = t.Scope.FailAlloc
	for _, st := range t.Steps {
		fs := StepFile(st.Op, st.Errno, &st.After)
		fs.Setup = st.Setup
		if st.Op.Fail != 0 {
			fs.Injected = st.Injected.String()
		}
		f.Steps = append(f.Steps, fs)
	}
	return EncodeIndented(f)
}

// EncodeIndented renders v as every JSON file anoncheck writes is
// rendered: indented by two spaces, '<', '>' and '&' left as they are.
func EncodeIndented(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// DecodeVersioned decodes one JSON document of a versioned file kind into
// v, refusing unknown fields and anything after the document, and checks
// the format name and version that header returns from the decoded v
// against format and version. what names the kind of file in errors
// ("trace file").
func DecodeVersioned(data []byte, v any, what, format string, version int, header func() (string, int)) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("not a %s: %v", what, err)
	}
	if f, n := header(); f != format {
		return fmt.Errorf("format %q, want %q", f, format)
	} else if n != version {
		return fmt.Errorf("format version %d; this anoncheck reads version %d", n, version)
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("data after the %s", what)
	}
	return nil
}

// DecodeJSON parses and validates a trace file. Errors name the step and
// what is wrong with it.
func DecodeJSON(data []byte) (*File, error) {
	var f File
	if err := DecodeVersioned(data, &f, "trace file", FormatName, FormatVersion, func() (string, int) { return f.Format, f.Version }); err != nil {
		return nil, err
	}
	if f.Variant == "" {
		return nil, fmt.Errorf("no variant named")
	}
	if f.Property == "" {
		return nil, fmt.Errorf("no property named")
	}
	if len(f.Steps) == 0 {
		return nil, fmt.Errorf("no steps")
	}
	for i, st := range f.Steps {
		// anoncheck writes both on every step; without them a replay
		// could not tell an edited file from the trace it was.
		if st.Result == "" {
			return nil, fmt.Errorf("step %d (%s): no result recorded", i+1, st.Op)
		}
		if !isDigest(st.Digest) {
			return nil, fmt.Errorf("step %d (%s): digest %q is not 16 hexadecimal digits", i+1, st.Op, st.Digest)
		}
		if i > 0 && st.Setup && !f.Steps[i-1].Setup {
			return nil, fmt.Errorf("step %d (%s): a setup step after an operation; setup steps come first", i+1, st.Op)
		}
	}
	return &f, nil
}

func isDigest(s string) bool {
	if len(s) != 16 {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// Check compares a replay of the file under the variant it names with
// what the file recorded: each step's result and the digest of the state
// after it. A difference means the file was edited, or written by a model
// that computes another state; either way its verdict cannot be trusted.
// Every step marked setup must be one the explorer's setup could take
// (Scope.Actions with setup), and the property the file names must fail
// in the state after its last step: a file cut short, or relabelled with
// a property that holds, would otherwise read as a fixed bug.
func (f *File) Check(t *Trace) error {
	if err := f.checkSteps(t); err != nil {
		return err
	}
	if err := checkSetup(t); err != nil {
		return err
	}
	if n := len(t.Steps); t.Holds() {
		return fmt.Errorf("step %d (%s): %s holds after this last step under %s, yet the file records the trace as its violation; "+
			"the file was edited (steps dropped, or the property changed)", n, f.Steps[n-1].Op, t.Property.Name, t.Variant.Name)
	}
	return nil
}

// checkSetup checks that every step marked setup is one the explorer's
// setup enables in the state before it: P1's mmap, write, mprotect,
// madvise or munmap (of the kinds the scope's --ops allows; mmap always)
// that changes the state.
func checkSetup(t *Trace) error {
	before := transitions.Initial()
	var buf []uint32
	for i := range t.Steps {
		st := &t.Steps[i]
		if st.Setup {
			buf = t.Scope.Actions(&before, true, buf[:0])
			if !slices.Contains(buf, st.Op.Encode()) {
				return fmt.Errorf("step %d (%s): marked setup, but %s; the file was edited", i+1, st.Op.Kind, whyNotSetup(st.Op, &t.Scope))
			}
		}
		before = st.Raw
	}
	return nil
}

// whyNotSetup says why setup cannot take op.
func whyNotSetup(op transitions.Op, sc *transitions.Scope) string {
	switch {
	case op.Kind == transitions.OpFork || op.Kind == transitions.OpExit:
		return fmt.Sprintf("setup has no %s: it builds P1's layout with mmap, write, mprotect, madvise and munmap", op.Kind)
	case op.Proc != 0:
		return fmt.Sprintf("setup steps are P1's, and this one is %s's", transitions.ProcName(op.Proc))
	case op.Kind != transitions.OpMmap && !sc.Ops.Has(op.Kind):
		return fmt.Sprintf("the trace's scope (ops %s) leaves %s out", sc.Ops, op.Kind)
	case op.Fail != 0:
		return "setup never makes an allocation fail"
	}
	return fmt.Sprintf("setup would not take %s in the state before it (its only effect would be an error return)", op)
}

// checkSteps compares each replayed step's result and state digest with
// the file's.
func (f *File) checkSteps(t *Trace) error {
	if n := len(t.Steps); n > 0 && n < len(f.Steps) {
		return fmt.Errorf("step %d (%s): the kernel stopped here, yet the file records %d step(s) after it; the file was edited or written by another version of the model",
			n, f.Steps[n-1].Op, len(f.Steps)-n)
	}
	for i, st := range t.Steps {
		if i >= len(f.Steps) {
			break
		}
		fs := f.Steps[i]
		if r := transitions.ErrnoName(st.Errno); r != fs.Result {
			return fmt.Errorf("step %d (%s): returned %s, the file records %s; the file was edited or written by another version of the model",
				i+1, fs.Op, r, fs.Result)
		}
		if st.Op.Fail != 0 && st.Injected.String() != fs.Injected {
			return fmt.Errorf("step %d (%s): allocation %d is %s(), the file records %s(); the file was edited or written by another version of the model",
				i+1, fs.Op, st.Op.Fail, st.Injected, fs.Injected)
		}
		if d := fmt.Sprintf("%016x", st.After.Fingerprint()); d != fs.Digest {
			return fmt.Errorf("step %d (%s): the state after it has digest %s, the file records %s; the file was edited or written by another version of the model",
				i+1, fs.Op, d, fs.Digest)
		}
	}
	return nil
}

// Ops converts the file's steps to operations, checking each field.
func (f *File) Ops() ([]transitions.Op, []bool, error) {
	var ops []transitions.Op
	var setup []bool
	rng := func(i int, s FileStep) (uint8, uint8, error) {
		if s.Start == nil || s.End == nil {
			return 0, 0, fmt.Errorf("step %d (%s): needs start and end", i+1, s.Op)
		}
		if *s.Start < 0 || *s.End > 255 || *s.Start >= *s.End {
			return 0, 0, fmt.Errorf("step %d (%s): bad range [%d,%d)", i+1, s.Op, *s.Start, *s.End)
		}
		return uint8(*s.Start), uint8(*s.End), nil
	}
	for i, s := range f.Steps {
		if s.Proc < 1 || s.Proc > 16 {
			return nil, nil, fmt.Errorf("step %d (%s): bad process P%d", i+1, s.Op, s.Proc)
		}
		kind, ok := transitions.ParseOpKind(s.Op)
		if !ok {
			return nil, nil, fmt.Errorf("step %d: unknown operation %q", i+1, s.Op)
		}
		op := transitions.Op{Kind: kind, Proc: uint8(s.Proc - 1)}
		var err error
		switch kind.Info().Args {
		case transitions.ArgRange, transitions.ArgRangeProt, transitions.ArgRangeAdvice:
			if op.Start, op.End, err = rng(i, s); err != nil {
				return nil, nil, err
			}
		case transitions.ArgRemap:
			if op.Start, op.End, err = rng(i, s); err != nil {
				return nil, nil, err
			}
			if op.To, op.ToEnd, err = rng(i, FileStep{Op: s.Op, Start: s.To, End: s.ToEnd}); err != nil {
				return nil, nil, fmt.Errorf("%v (the new range, to and to_end)", err)
			}
			fl, ferr := transitions.ParseMremapFlags(s.Flags)
			if ferr != nil {
				return nil, nil, fmt.Errorf("step %d (%s): %v", i+1, s.Op, ferr)
			}
			op.Arg = uint8(fl)
		case transitions.ArgPage:
			if s.Page == nil || *s.Page < 0 || *s.Page > 255 {
				return nil, nil, fmt.Errorf("step %d (%s): needs a page number", i+1, s.Op)
			}
			op.Start = uint8(*s.Page)
		}
		switch kind.Info().Args {
		case transitions.ArgRangeProt:
			p, perr := transitions.ParseProt(s.Prot)
			if perr != nil {
				return nil, nil, fmt.Errorf("step %d (%s): %v", i+1, s.Op, perr)
			}
			op.Arg = uint8(p)
		case transitions.ArgRangeAdvice:
			a, ok := parseAdvice(s.Advice)
			if !ok {
				return nil, nil, fmt.Errorf("step %d (%s): unknown advice %q", i+1, s.Op, s.Advice)
			}
			op.Arg = uint8(a)
		}
		if s.FailAlloc != nil {
			if *s.FailAlloc < 1 || *s.FailAlloc > transitions.MaxFail(kind) {
				return nil, nil, fmt.Errorf("step %d (%s): fail_alloc %d: must be between 1 and %d", i+1, s.Op, *s.FailAlloc, transitions.MaxFail(kind))
			}
			if s.Setup {
				return nil, nil, fmt.Errorf("step %d (%s): a setup step with fail_alloc; setup never makes an allocation fail", i+1, s.Op)
			}
			op.Fail = uint8(*s.FailAlloc)
		} else if s.Injected != "" {
			return nil, nil, fmt.Errorf("step %d (%s): injected %q without fail_alloc", i+1, s.Op, s.Injected)
		}
		ops = append(ops, op)
		setup = append(setup, s.Setup)
	}
	return ops, setup, nil
}

func parseAdvice(s string) (transitions.Advice, bool) {
	for _, a := range transitions.Advices() {
		if strings.EqualFold(a.String(), s) {
			return a, true
		}
	}
	return 0, false
}

// ScopeValue returns the file's scope, validated.
func (f *File) ScopeValue() (transitions.Scope, error) {
	sc := transitions.DefaultScope()
	sc.Pages, sc.Procs = f.Scope.Pages, f.Scope.Procs
	sc.Prots = nil
	for _, p := range f.Scope.Prots {
		pr, err := transitions.ParseProt(p)
		if err != nil {
			return sc, fmt.Errorf("scope: %v", err)
		}
		sc.Prots = append(sc.Prots, pr)
	}
	if len(sc.Prots) == 0 {
		sc.Prots = transitions.DefaultScope().Prots
	}
	ops, err := transitions.ParseOps(f.Scope.Ops)
	if err != nil {
		return sc, fmt.Errorf("scope: %v", err)
	}
	sc.Ops = ops
	if f.Scope.Advices != "" {
		if sc.Advices, err = transitions.ParseAdvices(f.Scope.Advices); err != nil {
			return sc, fmt.Errorf("scope: %v", err)
		}
	}
	sc.FailAlloc = f.Scope.FailAlloc
	if err := sc.Validate(); err != nil {
		return sc, fmt.Errorf("scope: %v", err)
	}
	return sc, nil
}
