package traces_test

import (
	"testing"

	"anoncheck/specs"
	"anoncheck/traces"
	"anoncheck/transitions"
)

// FuzzReadTrace feeds arbitrary bytes to the trace reader and replayer:
// they must return an error or a trace, never panic.
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
		_, _ = traces.Replay(v, sc, nil, ops, setup)
	})
}
