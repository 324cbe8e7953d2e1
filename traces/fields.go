package traces

import (
	"fmt"
	"reflect"
	"strings"

	"anoncheck/state"
)

// Fields in which two runs' states differ, for diff's summary and for a
// departing step whose drawing does not show what departs.

// FieldDiffs names the fields in which the states after the last step of
// t and of t.Against differ (stepFieldDiffs); nil when t is compared with
// nothing or the states agree.
func (t *Trace) FieldDiffs() []string {
	if t.Against == nil || len(t.Steps) == 0 || len(t.Against.Steps) == 0 {
		return nil
	}
	return t.stepFieldDiffs(&t.Steps[len(t.Steps)-1], &t.Against.Steps[len(t.Against.Steps)-1])
}

// stepFieldDiffs names the fields of the objects whose lines differ
// between the drawings of the states after step here of t and step there
// of t.Against, as "D anon_vma: av1 under v5.5-rc5, av3 under v5.4" (t's
// first); an object drawn after one run only is named so, and a line
// whose fields cannot be paired is given whole. The anon_vma reuse
// counters are left out when the two runs keep different ones. Where the
// drawings agree and the states do not, it names the fields of the states
// that differ, which the drawings do not show (undrawnDiffs).
func (t *Trace) stepFieldDiffs(here, there *Step) []string {
	counters := t.Variant.CountersKept() == t.Against.Variant.CountersKept()
	hn, tn := t.Variant.Name, t.Against.Variant.Name
	hm, horder := linesByKey(StateLines(&here.Raw, t.Variant.CountersKept()))
	tm, torder := linesByKey(StateLines(&there.Raw, t.Against.Variant.CountersKept()))
	var out []string
	for _, k := range horder {
		tl, ok := tm[k]
		switch {
		case !ok:
			out = append(out, fmt.Sprintf("%s: only under %s", k, hn))
		case tl != hm[k]:
			out = append(out, fieldDiffs(k, hm[k], tl, hn, tn, counters)...)
		}
	}
	for _, k := range torder {
		if _, ok := hm[k]; !ok {
			out = append(out, fmt.Sprintf("%s: only under %s", k, tn))
		}
	}
	if len(out) == 0 {
		out = undrawnDiffs(&here.Raw, &there.Raw, hn, tn, counters)
	}
	return out
}

// linesByKey indexes a drawing's lines by the object they are about
// (lineKey), and lists the objects in order.
func linesByKey(lines []string) (map[string]string, []string) {
	m, order := map[string]string{}, []string(nil)
	for _, l := range lines {
		if k := lineKey(l); k != "" && k != "detached" {
			if _, dup := m[k]; !dup {
				order = append(order, k)
			}
			m[k] = l
		}
	}
	return m, order
}

// counterFields are the anon_vma reuse counters of the drawings.
var counterFields = map[string]bool{"degree": true, "num_children": true, "num_active_vmas": true}

// fieldDiffs compares two lines of one object field by field: key=value
// fields by key, and the rest (a VMA's range and flags, a process's
// layout and PTEs) as one field named by what it holds.
func fieldDiffs(key, a, b, an, bn string, counters bool) []string {
	fa, ra := lineFields(a, counters)
	fb, rb := lineFields(b, counters)
	if strings.Join(fa.keys, " ") != strings.Join(fb.keys, " ") {
		return []string{fmt.Sprintf("%s: %q under %s, %q under %s", key, strings.TrimSpace(a), an, strings.TrimSpace(b), bn)}
	}
	var out []string
	if ra != rb {
		out = append(out, fmt.Sprintf("%s: %s under %s, %s under %s", key, ra, an, rb, bn))
	}
	for _, k := range fa.keys {
		if fa.vals[k] != fb.vals[k] {
			out = append(out, fmt.Sprintf("%s %s: %s under %s, %s under %s", key, k, fa.vals[k], an, fb.vals[k], bn))
		}
	}
	return out
}

// keyedFields are a line's key=value fields in order.
type keyedFields struct {
	keys []string
	vals map[string]string
}

// lineFields splits a drawn line after its first word into its key=value
// fields (a value in brackets or braces may hold spaces), without the
// anon_vma reuse counters unless counters, and the rest.
func lineFields(l string, counters bool) (keyedFields, string) {
	f := keyedFields{vals: map[string]string{}}
	var rest []string
	words := strings.Fields(l)
	for i := 1; i < len(words); i++ {
		w := words[i]
		for depth(w) > 0 && i+1 < len(words) {
			i++
			w += " " + words[i]
		}
		if k, v, ok := strings.Cut(w, "="); ok {
			if counters || !counterFields[k] {
				f.keys = append(f.keys, k)
				f.vals[k] = v
			}
		} else {
			rest = append(rest, w)
		}
	}
	return f, strings.Join(rest, " ")
}

// depth is how many brackets, braces and parentheses w opens and does
// not close ("[0,1)", a range, closes what it opens).
func depth(w string) int {
	n := 0
	for _, c := range w {
		switch c {
		case '[', '{', '(':
			n++
		case ']', '}', ')':
			n--
		}
	}
	return n
}

// undrawnDiffs names the fields of two raw states that differ, for
// states whose drawings agree: fields the drawings do not show (a page's
// PageAnonExclusive flag, a VMA's vm_pgoff, an mm's map_count, ...).
// Objects are named as the drawings name them ("pg1 Flags: 1 under v6.1,
// 0 under v5.4 (not drawn)"); the anon_vma reuse counters are left out
// unless counters.
func undrawnDiffs(a, b *state.State, an, bn string, counters bool) []string {
	var out []string
	add := func(name string, x, y reflect.Value) {
		if vx, vy := valueText(x), valueText(y); vx != vy {
			out = append(out, fmt.Sprintf("%s: %s under %s, %s under %s (not drawn)", name, vx, an, vy, bn))
		}
	}
	va, vb := reflect.ValueOf(a).Elem(), reflect.ValueOf(b).Elem()
	for f := 0; f < va.NumField(); f++ {
		name := va.Type().Field(f).Name
		if name == "_" {
			continue // padding
		}
		fa, fb := va.Field(f), vb.Field(f)
		if fa.Kind() != reflect.Array {
			add(name, fa, fb)
			continue
		}
		for i := 0; i < fa.Len(); i++ {
			obj := objectName(name, i)
			ea, eb := fa.Index(i), fb.Index(i)
			switch ea.Kind() {
			case reflect.Struct:
				for g := 0; g < ea.NumField(); g++ {
					if field := ea.Type().Field(g).Name; field != "_" && (counters || !counterStructFields[field]) {
						add(obj+" "+field, ea.Field(g), eb.Field(g))
					}
				}
			case reflect.Array: // PT[p]: the process's PTEs by slot
				for a := 0; a < ea.Len(); a++ {
					add(fmt.Sprintf("%s pte %d", obj, a), ea.Index(a), eb.Index(a))
				}
			default:
				add(obj, ea, eb)
			}
		}
	}
	return out
}

// counterStructFields are the anon_vma reuse counters of state.AnonVMA.
var counterStructFields = map[string]bool{"Degree": true, "NumChildren": true, "NumActiveVMAs": true}

// valueText renders a field's value: an id by the name the drawings give
// it, anything else as fmt prints it.
func valueText(v reflect.Value) string {
	if n, ok := v.Interface().(interface{ Name() string }); ok {
		return n.Name()
	}
	return fmt.Sprint(v.Interface())
}

// objectName names element i of the state's array field as the drawings
// do: av1, A, pg1, P1.
func objectName(field string, i int) string {
	switch field {
	case "AnonVMAs":
		return state.AVID(i + 1).Name()
	case "VMAs":
		return state.VMAID(i + 1).Name()
	case "Pages":
		return fmt.Sprintf("pg%d", i+1)
	case "MMs", "PT":
		return fmt.Sprintf("P%d", i+1)
	}
	return fmt.Sprintf("%s[%d]", field, i)
}
