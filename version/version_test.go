package version

import (
	"runtime/debug"
	"strings"
	"testing"
)

func TestFormat(t *testing.T) {
	for _, c := range []struct {
		bi   debug.BuildInfo
		want string
	}{
		{debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "anoncheck (devel)"},
		{debug.BuildInfo{}, "anoncheck (devel)"},
		{debug.BuildInfo{Main: debug.Module{Version: "v1.2.0"}, Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "0123456789abcdef0123"}, {Key: "vcs.modified", Value: "false"}}}, "anoncheck v1.2.0 rev 0123456789ab"},
		{debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20261203081500-0123456789ab+dirty"}, Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "0123456789abcdef0123"}, {Key: "vcs.modified", Value: "true"}}},
			"anoncheck v0.0.0-20261203081500-0123456789ab+dirty rev 0123456789ab (modified)"},
	} {
		if got := format(&c.bi); got != c.want {
			t.Errorf("format(%+v) = %q, want %q", c.bi, got, c.want)
		}
	}
	if s := String(); !strings.HasPrefix(s, "anoncheck ") {
		t.Errorf("String() = %q", s)
	}
}
