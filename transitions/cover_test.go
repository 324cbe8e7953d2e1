package transitions

import (
	"reflect"
	"testing"
)

// Every kernel function but fork and exit names a func entry of Funcs,
// and a table with every entry filled has them all.
func TestFnFields(t *testing.T) {
	typ := reflect.TypeOf(Funcs{})
	for _, fn := range Fns() {
		if fn == FnFork || fn == FnExit {
			continue
		}
		f, ok := typ.FieldByName(fnField[fn])
		if !ok || f.Type.Kind() != reflect.Func {
			t.Errorf("%s: Funcs has no func entry %q", fn, fnField[fn])
		}
	}
	var empty Funcs
	for _, fn := range Fns() {
		if empty.Has(fn) {
			t.Errorf("an empty table has %s", fn)
		}
	}
}

// Every case names the function it is a branch of.
func TestCaseFns(t *testing.T) {
	for _, c := range Cases() {
		if c != CaseMergePrevNext && c.Fn() == FnAnonVMAAlloc {
			t.Errorf("%s: no function", c)
		}
	}
}
