// Package version names this build of anoncheck: the module version and
// the VCS revision it was built from, as runtime/debug.ReadBuildInfo
// gives them. --version prints it; trace files, JSON reports, checkpoints
// and part files record it, so that a file can be traced to the build
// that wrote it.
package version

import (
	"runtime/debug"
	"strings"
)

// String is the build's name, e.g. "anoncheck v0.0.0-20261203081500-0123456789ab
// rev 0123456789ab (modified)", or "anoncheck (devel)" for a build without
// VCS information (go build -buildvcs=false, go test).
func String() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "anoncheck (no build information)"
	}
	return format(bi)
}

func format(bi *debug.BuildInfo) string {
	v := bi.Main.Version
	if v == "" {
		v = "(devel)"
	}
	parts := []string{"anoncheck", v}
	var rev string
	var modified bool
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if rev != "" {
		parts = append(parts, "rev", rev[:min(len(rev), 12)])
		if modified {
			parts = append(parts, "(modified)")
		}
	}
	return strings.Join(parts, " ")
}
