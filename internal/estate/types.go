package estate

import "slices"

// RelevantTypes returns every lower-case resource type some rule reads (the
// types Relevant accepts), sorted. Live collection asks Azure for these and
// nothing else.
func RelevantTypes() []string {
	out := make([]string, 0, len(graphTypes)+len(services))
	for t := range graphTypes {
		out = append(out, t)
	}
	for _, s := range services {
		if !graphTypes[s.Type] {
			out = append(out, s.Type)
		}
	}
	slices.Sort(out)
	return out
}
