package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

func init() { registerCommand(newVersionCmd) }

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func newVersionCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Print crieur's version",
		Example: `  crieur version`,
		Args:    exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			v := version
			if v == "dev" {
				if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
					v = bi.Main.Version
				}
			}
			doc := map[string]string{"version": v, "go": runtime.Version(), "os": runtime.GOOS, "arch": runtime.GOARCH}
			return a.emit(doc, func(w io.Writer) error {
				_, err := fmt.Fprintf(w, "crieur %s (%s %s/%s)\n", v, runtime.Version(), runtime.GOOS, runtime.GOARCH)
				return err
			})
		},
	}
}
