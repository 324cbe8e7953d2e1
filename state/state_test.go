package state_test

import (
	"math/rand/v2"
	"reflect"
	"testing"
	"unsafe"

	"anoncheck/state"
	"anoncheck/transitions"
	v5 "anoncheck/transitions/v5"
	v6 "anoncheck/transitions/v6"
)

// fieldBytes sums the sizes of the leaf fields of a type.
func fieldBytes(t reflect.Type) uintptr {
	switch t.Kind() {
	case reflect.Struct:
		var n uintptr
		for i := 0; i < t.NumField(); i++ {
			n += fieldBytes(t.Field(i).Type)
		}
		return n
	case reflect.Array:
		return uintptr(t.Len()) * fieldBytes(t.Elem())
	default:
		return t.Size()
	}
}

// TestNoPadding checks that a State has no padding, whose bytes Go does not
// define: the fingerprint hashes a State's raw bytes, which is sound only
// without padding.
func TestNoPadding(t *testing.T) {
	var s state.State
	if got, want := unsafe.Sizeof(s), fieldBytes(reflect.TypeOf(s)); got != want {
		t.Fatalf("State is %d bytes but its fields add up to %d: padding makes raw-byte hashing unsound", got, want)
	}
}

// randomStates returns states reached by random walks of the models of
// v5.4, v6.1 and v6.18, one walk each in turn.
func randomStates(t *testing.T, n int) []state.State {
	t.Helper()
	r := rand.New(rand.NewPCG(1, 2))
	sc := transitions.DefaultScope()
	sc.Pages, sc.Procs = 4, 3
	kernels := []*transitions.Kernel{transitions.New(v5.V54()), transitions.New(v6.V61()), transitions.New(v6.V618())}
	var out []state.State
	var buf []uint32
	for walk := 0; len(out) < n; walk++ {
		k := kernels[walk%len(kernels)]
		s := transitions.Initial()
		k.S = &s
		for step := 0; step < 12 && !s.Faulted(); step++ {
			buf = sc.Actions(&s, false, buf[:0])
			if len(buf) == 0 {
				break
			}
			if _, err := k.Apply(transitions.DecodeOp(buf[r.IntN(len(buf))]), &sc); err != nil {
				t.Fatal(err)
			}
			out = append(out, s)
		}
	}
	return out
}

// permute renames VMA, anon_vma and page slots of s by random
// permutations, consistently in every field that points at them.
func permute(s *state.State, r *rand.Rand) state.State {
	vp := r.Perm(state.MaxVMAs)
	ap := r.Perm(state.MaxAnonVMAs)
	pp := r.Perm(state.MaxPages)
	rv := func(v state.VMAID) state.VMAID {
		if v == 0 {
			return 0
		}
		return state.VMAID(vp[v-1] + 1)
	}
	ra := func(a state.AVID) state.AVID {
		if a == 0 {
			return 0
		}
		return state.AVID(ap[a-1] + 1)
	}
	var d state.State
	d.Bug, d.Warn, d.Overflow, d.Latent = s.Bug, s.Warn, s.Overflow, s.Latent
	for p := range s.MMs {
		d.MMs[p] = s.MMs[p]
		d.MMs[p].Mmap = rv(s.MMs[p].Mmap)
		for a := range s.PT[p] {
			pte := s.PT[p][a]
			if pte.Page() != 0 {
				d.PT[p][a] = state.MakePTE(state.PageID(pp[pte.Page()-1]+1), pte.Writable())
			}
		}
	}
	for i, v := range s.VMAs {
		nv := v
		nv.AnonVMA, nv.Prev, nv.Next = ra(v.AnonVMA), rv(v.Prev), rv(v.Next)
		for j := range nv.Chain {
			nv.Chain[j] = ra(v.Chain[j])
		}
		d.VMAs[vp[i]] = nv
	}
	for i, a := range s.AnonVMAs {
		na := a
		na.Root, na.Parent = ra(a.Root), ra(a.Parent)
		na.Tree = 0
		for b := 0; b < state.MaxVMAs; b++ {
			if a.Tree&(1<<b) != 0 {
				na.Tree |= 1 << vp[b]
			}
		}
		d.AnonVMAs[ap[i]] = na
	}
	for i, pg := range s.Pages {
		npg := pg
		npg.Mapping = ra(pg.Mapping)
		d.Pages[pp[i]] = npg
	}
	return d
}

// TestCanonicalIgnoresSlotNames checks that renaming pool slots does not
// change the canonical form: the kernel state is the same, only the
// objects' addresses differ.
func TestCanonicalIgnoresSlotNames(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for i, s := range randomStates(t, 400) {
		var c1, c2 state.State
		state.Canonical(&c1, &s)
		p := permute(&s, r)
		state.Canonical(&c2, &p)
		if c1 != c2 || c1.Fingerprint() != c2.Fingerprint() {
			t.Fatalf("state %d: a renaming changed the canonical form", i)
		}
	}
}

// TestCanonicalIdempotentAndDistinct checks that the canonical form is a
// fixpoint, and that distinct canonical states get distinct fingerprints in
// a sample (a sanity check of the hash plumbing).
func TestCanonicalIdempotentAndDistinct(t *testing.T) {
	seen := map[uint64]state.State{}
	for i, s := range randomStates(t, 400) {
		var c1, c2 state.State
		state.Canonical(&c1, &s)
		state.Canonical(&c2, &c1)
		if c1 != c2 {
			t.Fatalf("state %d: Canonical is not idempotent", i)
		}
		fp := c1.Fingerprint()
		if old, ok := seen[fp]; ok && old != c1 {
			t.Fatalf("state %d: two different canonical states share fingerprint %x", i, fp)
		}
		seen[fp] = c1
	}
	if len(seen) < 100 {
		t.Fatalf("only %d distinct states in the sample; the walk is not exploring", len(seen))
	}
}

// TestCanonicalKeepsDifferences checks that the canonical form keeps apart
// states that differ in a field: changing any one byte of a canonical
// state's used part changes the result.
func TestCanonicalKeepsDifferences(t *testing.T) {
	for i, s := range randomStates(t, 100) {
		var c state.State
		state.Canonical(&c, &s)
		m := c
		m.Pages[0].Index ^= 1
		var cm state.State
		state.Canonical(&cm, &m)
		if c.Pages[0].Used != 0 && cm == c {
			t.Fatalf("state %d: changing page->index did not change the canonical form", i)
		}
	}
}

func BenchmarkCanonicalFingerprint(b *testing.B) {
	t := &testing.T{}
	states := randomStates(t, 256)
	var c state.State
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		state.Canonical(&c, &states[i%len(states)])
		_ = c.Fingerprint()
		i++
	}
}

func TestPackRoundTrip(t *testing.T) {
	total := 0
	states := randomStates(t, 500)
	for i := range states {
		var c, u state.State
		state.Canonical(&c, &states[i])
		p := c.AppendPacked(nil)
		total += len(p)
		u.Pages[0].Used = 9 // must be overwritten
		u.Unpack(p)
		if u != c {
			t.Fatalf("state %d: unpack(pack(s)) != s", i)
		}
	}
	if avg := total / len(states); avg >= int(unsafe.Sizeof(state.State{}))/2 {
		t.Errorf("packed states average %d bytes, not much below the %d of a state", avg, unsafe.Sizeof(state.State{}))
	} else {
		t.Logf("packed states average %d bytes (state %d)", avg, unsafe.Sizeof(state.State{}))
	}
}
