package traces_test

import (
	"io"
	"testing"

	"anoncheck/specs"
	"anoncheck/traces"
	"anoncheck/transitions"
)

// FuzzReadTrace feeds arbitrary bytes to the trace reader, the replayer
// and the renderers a replayed trace goes to (text, Markdown, HTML, the C
// reproducer): they must return an error or a result, never panic.
func FuzzReadTrace(f *testing.F) {
	ops := []transitions.Op{
		{Kind: transitions.OpMmap, Start: 0, End: 2, Arg: uint8(transitions.ProtRead | transitions.ProtWrite)},
		{Kind: transitions.OpWrite, Start: 0},
		{Kind: transitions.OpMadvise, Start: 1, End: 2, Arg: uint8(transitions.MadvWipeOnFork)},
		{Kind: transitions.OpFork},
		{Kind: transitions.OpMunmap, Proc: 1, Start: 0, End: 1},
		{Kind: transitions.OpExit},
	}
	tr, err := traces.Replay(specs.V54, sc(), specs.Properties()[0], ops, nil)
	if err != nil {
		f.Fatal(err)
	}
	seed, err := traces.EncodeJSON(tr)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	tr.Property = nil
	if noProp, err := traces.EncodeJSON(tr); err == nil {
		f.Add(noProp)
	}
	f.Add([]byte(`{"format":"anoncheck-trace","version":1,"variant":"v5.4","scope":{"pages":2,"procs":2},"steps":[{"op":"write","proc":1,"page":7}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := traces.DecodeJSON(data)
		if err != nil {
			return
		}
		sc, err := file.ScopeValue()
		if err != nil {
			return
		}
		ops, setup, err := file.Ops()
		if err != nil {
			return
		}
		v, err := specs.Lookup(file.Variant)
		if err != nil {
			return
		}
		var prop *specs.Property
		if file.Property != "" {
			prop, _ = specs.LookupProperty(file.Property)
		}
		tr, err := traces.Replay(v, sc, prop, ops, setup)
		if err != nil {
			return
		}
		for _, write := range []func(io.Writer, *traces.Trace) error{
			traces.WriteText, traces.WriteMarkdownTrace, traces.WriteHTML, traces.WriteRepro} {
			_ = write(io.Discard, tr)
		}
	})
}
