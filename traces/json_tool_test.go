package traces

import (
	"os"
	"testing"

	"anoncheck/specs"
	"anoncheck/version"
)

// TestTraceFileRecordsTool checks that a trace file records the build
// that wrote it, and that a file written before that, without "tool",
// still reads.
func TestTraceFileRecordsTool(t *testing.T) {
	old, err := os.ReadFile("testdata/deep/v5.4.rmap-reachable.json")
	if err != nil {
		t.Fatal(err)
	}
	f, err := DecodeJSON(old)
	if err != nil || f.Tool != "" {
		t.Fatalf("a file without \"tool\": %v, tool %q", err, f.Tool)
	}
	v, _ := specs.Lookup(f.Variant)
	p, _ := specs.LookupProperty(f.Property)
	sc, err := f.ScopeValue()
	if err != nil {
		t.Fatal(err)
	}
	ops, setup, err := f.Ops()
	if err != nil {
		t.Fatal(err)
	}
	tr, err := Replay(v, sc, p, ops, setup)
	if err != nil {
		t.Fatal(err)
	}
	data, err := EncodeJSON(tr)
	if err != nil {
		t.Fatal(err)
	}
	g, err := DecodeJSON(data)
	if err != nil || g.Tool != version.String() {
		t.Fatalf("re-encoded: %v, tool %q, want %q", err, g.Tool, version.String())
	}
}
