package formats

import (
	"errors"
	"fmt"

	"go.yaml.in/yaml/v3"

	"github.com/crieur/crieur/internal/safefile"

	calendar "github.com/crieur/crieur/calendar"
)

// yamlBudget checks that n expands to at most budget nodes, aliases
// followed, and nests at most maxYAMLDepth deep, without expanding it: each
// node's expanded size is computed once. It returns the line of the node
// where the budget ran out, or 0.
func yamlBudget(n *yaml.Node, budget int) (int, string) {
	sizes := map[*yaml.Node]int{}
	var size func(n *yaml.Node, depth int) (int, int, string)
	size = func(n *yaml.Node, depth int) (int, int, string) {
		if depth > calendar.MaxYAMLDepth {
			return 0, n.Line, fmt.Sprintf("nested more than %d levels deep", calendar.MaxYAMLDepth)
		}
		if s, ok := sizes[n]; ok {
			if s < 0 {
				return 0, n.Line, "an alias refers to itself"
			}
			return s, 0, ""
		}
		sizes[n] = -1 // being computed: an alias back here is a cycle
		total := 1
		kids := n.Content
		if n.Kind == yaml.AliasNode && n.Alias != nil {
			kids = []*yaml.Node{n.Alias}
		}
		for _, c := range kids {
			s, line, msg := size(c, depth+1)
			if msg != "" {
				return 0, line, msg
			}
			total += s
			if total > budget {
				return 0, n.Line, fmt.Sprintf("expands to more than %d values (aliases followed): a load needs far fewer", budget)
			}
		}
		sizes[n] = total
		return total, 0, ""
	}
	_, line, msg := size(n, 0)
	if msg != "" && line < 1 {
		line = 1
	}
	return line, msg
}

// loadFileProblem says why a load file cannot be read, in the user's words.
func loadFileProblem(err error) string {
	switch {
	case errors.Is(err, safefile.ErrOutside):
		return fmt.Sprintf("%v: a folder load reads only files inside its folder", err)
	case errors.Is(err, safefile.ErrNotRegular):
		return fmt.Sprintf("%v: a load reads only regular files", err)
	case errors.Is(err, safefile.ErrTooBig):
		return fmt.Sprintf("%v (--max-file-size raises it)", err)
	}
	return err.Error()
}
