package traces

import (
	"os"
	"path/filepath"
	"testing"

	"anoncheck/specs"
)

// TestDegreeDoubleReuse pins the violations of the anon_vma degree double
// reuse that 2555283eb40d fixed (CVE-2022-42703): three processes, ten to
// thirteen operations. The traces in testdata/deep were found by an
// exhaustive search narrowed to write, mprotect, fork and exit at
// pages=2 procs=3 (bound 13) and by anoncheck hunt --spec v5.4 --procs 3
// --seed 1 from a cold start; each must still fail under v5.4 and v5.7,
// whose anon_vma_clone() reuses by degree, and hold under v6.1.
func TestDegreeDoubleReuse(t *testing.T) {
	files, err := filepath.Glob("testdata/deep/*.json")
	if err != nil || len(files) < 4 {
		t.Fatalf("testdata/deep holds %d traces (%v), want 4", len(files), err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		file, err := DecodeJSON(data)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		p, err := specs.LookupProperty(file.Property)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		sc, err := file.ScopeValue()
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		ops, setup, err := file.Ops()
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, c := range []struct {
			variant string
			fails   bool
		}{{"v5.4", true}, {"v5.7", true}, {"v6.1", false}} {
			v, _ := specs.Lookup(c.variant)
			tr, err := Replay(v, sc, p, ops, setup)
			if err != nil {
				t.Fatalf("%s under %s: %v", f, c.variant, err)
			}
			if c.variant == file.Variant {
				if err := file.Check(tr); err != nil {
					t.Errorf("%s: %v", f, err)
				}
			}
			if tr.Holds() == c.fails {
				t.Errorf("%s: %s %s under %s after %d operations; want it to %s", f, p.Name,
					map[bool]string{true: "holds", false: "fails"}[tr.Holds()], c.variant, tr.Depth(),
					map[bool]string{true: "fail", false: "hold"}[c.fails])
			}
		}
	}
}
