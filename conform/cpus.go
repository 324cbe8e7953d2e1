package conform

import (
	"os"
	"strconv"
	"strings"
)

// schedCPUs lists the CPUs this process may run on, from the
// Cpus_allowed_list line of /proc/self/status ("0-3,8"); nil when it
// cannot be read. n caps the list.
func schedCPUs(n int) []int {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return nil
	}
	var out []int
	for _, line := range strings.Split(string(b), "\n") {
		list, ok := strings.CutPrefix(line, "Cpus_allowed_list:")
		if !ok {
			continue
		}
		for _, part := range strings.Split(strings.TrimSpace(list), ",") {
			lo, hi, isRange := strings.Cut(part, "-")
			a, err := strconv.Atoi(lo)
			if err != nil {
				return nil
			}
			b := a
			if isRange {
				if b, err = strconv.Atoi(hi); err != nil {
					return nil
				}
			}
			for c := a; c <= b && len(out) < n; c++ {
				out = append(out, c)
			}
		}
	}
	return out
}
