package main

import (
	"github.com/crieur/crieur/internal/suggest"
	"github.com/crieur/crieur/publishers"
	_ "github.com/crieur/crieur/publishers/all" // registers every network
)

// network looks a network up, as a validation error listing the known ones.
func network(name string) (publishers.Network, error) {
	n, err := publishers.Lookup(name)
	if err != nil {
		return n, invalid("network", "%v%s", err, suggest.DidYouMeanShort(name, publishers.Names()))
	}
	return n, nil
}
