package traces

import (
	_ "embed"
	"fmt"
	"strings"

	"anoncheck/transitions"
)

// reproMremap is the case of the process loop that performs an mremap. It
// is spliced into reproProcess only for a trace that has one, so that the
// reproducers of every other trace stay as they were.
//
//go:embed repro/mremap.c
var reproMremap string

// reproMremapAnchor is the line of reproProcess the mremap case goes
// before.
const reproMremapAnchor = "\t\tcase OP_EXIT:\n"

// reproHasMremap reports whether the trace has an mremap step.
func reproHasMremap(t *Trace) bool {
	for _, st := range t.Steps {
		if st.Op.Kind == transitions.OpMremap {
			return true
		}
	}
	return false
}

// reproMremapDefines are the macros an mremap step needs: its operation
// code, the packing of its flags and new range into the step's arg, and
// MREMAP_DONTUNMAP for C libraries older than Linux 5.7's.
func reproMremapDefines(b *strings.Builder) {
	fmt.Fprintf(b, "#define OP_MREMAP %d /* mremap: arg = MREMAP_ARG(flags, new start, new end) */\n", transitions.OpMremap)
	b.WriteString("#define MREMAP_ARG(flags, to, to_end) ((flags) | (to) << 8 | (to_end) << 16)\n")
	b.WriteString("#ifndef MREMAP_DONTUNMAP\n#define MREMAP_DONTUNMAP 4\n#endif\n")
}

// reproProcessCode is reproProcess with the mremap case when the trace
// needs it.
func reproProcessCode(t *Trace) string {
	if !reproHasMremap(t) {
		return reproProcess
	}
	if !strings.Contains(reproProcess, reproMremapAnchor) {
		panic("traces: repro/process.c has no line " + fmt.Sprintf("%q", reproMremapAnchor) + " to put the mremap case before")
	}
	return strings.Replace(reproProcess, reproMremapAnchor, reproMremap+reproMremapAnchor, 1)
}

// reproArg is a step's .arg in the step table: the operation's C argument,
// or for an mremap its flags and new range packed by MREMAP_ARG.
func reproArg(o transitions.Op) string {
	if o.Kind == transitions.OpMremap {
		return fmt.Sprintf("MREMAP_ARG(%s, %d, %d)", o.CArg(), o.To, o.ToEnd)
	}
	return o.CArg()
}
