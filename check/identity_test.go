package check

import (
	"reflect"
	"testing"
)

func TestDiffIdentities(t *testing.T) {
	saved := "variant=a\npages=1\nold=x\n"
	cur := "variant=a\npages=2\nnew=y\n"
	want := []IdentityDiff{{"pages", "1", "2"}, {"new", "", "y"}, {"old", "x", ""}}
	if got := DiffIdentities(saved, cur); !reflect.DeepEqual(got, want) {
		t.Errorf("DiffIdentities = %v, want %v", got, want)
	}
	if got := DiffIdentities(cur, cur); got != nil {
		t.Errorf("the same identity differs: %v", got)
	}
	if got := identityDiff("sq90", "sq60"); got != `"sq90", not this one's "sq60"` {
		t.Errorf("identityDiff of plain identities = %q", got)
	}
}
