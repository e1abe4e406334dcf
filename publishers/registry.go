package publishers

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
)

// Field is a setting or secret a network needs.
type Field struct {
	Name     string
	Required bool
	Default  string
	Help     string
	// Kind says what the value names, so that it is checked when the channel
	// is added or edited, without the network (see CheckSettings).
	Kind FieldKind
}

// FieldKind is what a setting's value names.
type FieldKind int

const (
	// Text is any value; the network's New checks it.
	Text FieldKind = iota
	// URL is an absolute http(s) URL.
	URL
	// OutFile is a local file crieur writes: its folder must exist and be
	// writable. Empty or "-" means standard output.
	OutFile
)

// Network describes one network and builds its publishers.
type Network struct {
	Name        string
	Description string
	Settings    []Field
	Secrets     []Field
	// Safety says whether a retry after an unknown outcome is safe.
	Safety RetrySafety
	// New builds a publisher for one channel.
	New func(Config) (Publisher, error)
}

var (
	mu       sync.RWMutex
	networks = map[string]Network{}
)

// Register adds a network; adapters call it from init.
func Register(n Network) {
	mu.Lock()
	defer mu.Unlock()
	if _, dup := networks[n.Name]; dup {
		panic("publishers: network registered twice: " + n.Name)
	}
	networks[n.Name] = n
}

// Lookup returns the network called name.
func Lookup(name string) (Network, error) {
	mu.RLock()
	defer mu.RUnlock()
	n, ok := networks[name]
	if !ok {
		return Network{}, fmt.Errorf("unknown network %q (known: %s)", name, strings.Join(namesLocked(), ", "))
	}
	return n, nil
}

// Names lists the registered networks, sorted.
func Names() []string {
	mu.RLock()
	defer mu.RUnlock()
	return namesLocked()
}

func namesLocked() []string {
	out := make([]string, 0, len(networks))
	for k := range networks {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Missing returns the required settings and secrets absent from the given maps,
// as "setting NAME" / "secret NAME" strings.
func (n Network) Missing(settings, secrets map[string]string) []string {
	var out []string
	for _, f := range n.Settings {
		if f.Required && settings[f.Name] == "" && f.Default == "" {
			out = append(out, "setting "+f.Name)
		}
	}
	for _, f := range n.Secrets {
		if f.Required && secrets[f.Name] == "" {
			out = append(out, "secret "+f.Name)
		}
	}
	return out
}

// CheckSettings checks, without the network, what each setting's Kind
// says: URLs are http(s), files crieur writes are in a folder that exists
// and that it may write in. Problems name the setting.
func (n Network) CheckSettings(settings map[string]string) []Problem {
	var out []Problem
	for _, f := range n.Settings {
		v := strings.TrimSpace(settings[f.Name])
		if v == "" {
			continue
		}
		switch f.Kind {
		case URL:
			if _, ok := HTTPURL(v); !ok {
				out = append(out, Problem{Field: f.Name, Message: fmt.Sprintf("%q is not an http(s) URL", v)})
			}
		case OutFile:
			if err := writableFile(v); err != nil {
				out = append(out, Problem{Field: f.Name, Message: err.Error()})
			}
		}
	}
	return out
}

// writableFile checks that path can be written: its folder exists, is a
// folder, and takes new files.
func writableFile(path string) error {
	if path == "-" {
		return nil
	}
	dir := filepath.Dir(path)
	info, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("folder %s does not exist: create it first", dir)
	case err != nil:
		return fmt.Errorf("folder %s: %w", dir, err)
	case !info.IsDir():
		return fmt.Errorf("%s is not a folder", dir)
	}
	f, err := os.CreateTemp(dir, ".crieur-check-*")
	if err != nil {
		return fmt.Errorf("cannot write in folder %s", dir)
	}
	f.Close()
	os.Remove(f.Name())
	return nil
}

// Setting returns settings[name] or the field's default.
func (n Network) Setting(settings map[string]string, name string) string {
	if v := settings[name]; v != "" {
		return v
	}
	for _, f := range n.Settings {
		if f.Name == name {
			return f.Default
		}
	}
	return ""
}

// HTTPURL parses an absolute http(s) URL, as a setting or secret that names
// where a network lives; ok is false for anything else. Callers add their
// network's own checks and say what they expected.
func HTTPURL(raw string) (u *url.URL, ok bool) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, false
	}
	return u, true
}
