package main

import (
	"runtime/debug"
	"testing"
)

// Every command pays at start-up for each package the binary links (its
// package-level tables, built before main runs): crieur links one YAML
// library, the one its configuration library (viper) already brings
// (go.yaml.in/yaml/v3, the maintained continuation of gopkg.in/yaml.v3),
// not both.
func TestLinksOneYAMLLibrary(t *testing.T) {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		t.Skip("no build information in this binary")
	}
	yaml := map[string]bool{}
	for _, m := range bi.Deps {
		switch m.Path {
		case "gopkg.in/yaml.v3", "go.yaml.in/yaml/v3", "gopkg.in/yaml.v2", "go.yaml.in/yaml/v2", "sigs.k8s.io/yaml":
			yaml[m.Path] = true
		}
	}
	if len(yaml) != 1 || !yaml["go.yaml.in/yaml/v3"] {
		t.Errorf("YAML libraries linked: %v; want go.yaml.in/yaml/v3 alone", yaml)
	}
}
