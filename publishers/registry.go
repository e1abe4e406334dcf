package publishers

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
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
	// LoginOnly: only `crieur channel login` uses this secret (a Meta
	// app's client secret: the login's exchanges send it, publishing and
	// token renewals never do). Publishing leaves it out (see
	// Network.PublishingSecrets), so its reference need not resolve where
	// crieur publishes, such as an env: variable set only in the shell that
	// logged in.
	LoginOnly bool
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
	// OutDir is a local folder crieur writes files in (a media host's
	// media_dir): it must exist and be writable.
	OutDir
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
	// Offline gives the network's rules for a channel with these settings,
	// without a secret and without a client: what validation, previews and
	// loads use (see Network.Check). It refuses the settings New would
	// refuse, and its rules find the same problems as the publisher New
	// builds. Every network has one (Register refuses a network without).
	Offline func(settings map[string]string) (Validator, error)
	// Metrics lists the engagement metrics the network's publishers report
	// through Stats (MetricLikes, …); nil for a network that gives no
	// numbers (reports say so instead of showing zeros).
	Metrics []string
	// NoStats, when set, says why a channel with these settings gives no
	// numbers although the network has some ("" when it gives them): reads
	// that are billed, or that need a scope the channel does not ask for,
	// until the channel enables them. Its Stats then returns ErrNoStats.
	NoStats func(settings map[string]string) string
}

// MetricsFor lists the metrics a channel with these settings reports: the
// network's, or none when NoStats gives a reason, which it returns.
func (n Network) MetricsFor(settings map[string]string) ([]string, string) {
	if n.NoStats != nil {
		if why := n.NoStats(settings); why != "" {
			return nil, why
		}
	}
	return n.Metrics, ""
}

var (
	mu       sync.RWMutex
	networks = map[string]*Network{} // pointers: a map that grows as adapters register copies little
)

// Register adds a network; adapters call it from init. The registered New
// wraps the adapter's: it gives the adapter a Redactor of the channel's
// secrets (Config.Redact) and returns a publisher whose errors and results
// pass through it (see Redacting). A network without Offline is a
// programming error: Register panics.
func Register(n Network) {
	if n.Offline == nil {
		panic("publishers: network registered without offline rules (Network.Offline): " + n.Name)
	}
	if n.New != nil {
		n.New = redactingNew(n.New)
	}
	mu.Lock()
	defer mu.Unlock()
	if _, dup := networks[n.Name]; dup {
		panic("publishers: network registered twice: " + n.Name)
	}
	networks[n.Name] = &n
}

// RetryGuard says what stands between an uncertain attempt on pub and a
// second post: finder when the network is looked up before a retry
// (RetryLookup, and pub a Finder), else nil; unsafe when neither a lookup nor
// the network's own key can tell, so an attempt that may have reached the
// network is held for a person. The scheduler and the conformance suite
// both decide by it.
func (n Network) RetryGuard(pub Publisher) (finder Finder, unsafe bool) {
	if f, ok := pub.(Finder); ok && n.Safety == RetryLookup {
		finder = f
	}
	return finder, n.Safety != RetryIdempotent && finder == nil
}

// Lookup returns the network called name.
func Lookup(name string) (Network, error) {
	mu.RLock()
	defer mu.RUnlock()
	n, ok := networks[name]
	if !ok {
		return Network{}, fmt.Errorf("unknown network %q (known: %s)", name, strings.Join(namesLocked(), ", "))
	}
	return *n, nil
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
		// A secret that was once a setting may still be given as one.
		if f.Required && secrets[f.Name] == "" && (settings[f.Name] == "" || !n.hasSetting(f.Name)) {
			out = append(out, "secret "+f.Name)
		}
	}
	return out
}

// PublishingSecrets returns a channel's secret references (refs) as
// publishing resolves them: without the secrets only `crieur channel login`
// uses (Field.LoginOnly). refs itself is left as it is.
func (n Network) PublishingSecrets(refs map[string]string) map[string]string {
	var drop []string
	for _, f := range n.Secrets {
		if _, ok := refs[f.Name]; ok && f.LoginOnly {
			drop = append(drop, f.Name)
		}
	}
	if len(drop) == 0 {
		return refs
	}
	out := make(map[string]string, len(refs))
	for k, v := range refs {
		out[k] = v
	}
	for _, k := range drop {
		delete(out, k)
	}
	return out
}

func (n Network) hasSetting(name string) bool {
	for _, f := range n.Settings {
		if f.Name == name {
			return true
		}
	}
	return false
}

// Deprecated lists the settings of the channel that should be secrets: the
// network now takes them as secrets, and a setting is shown by channel show.
func (n Network) Deprecated(settings map[string]string) []string {
	var out []string
	for _, f := range n.Secrets {
		if settings[f.Name] != "" && n.hasSetting(f.Name) {
			out = append(out, f.Name)
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
		case OutDir:
			if err := writableFile(filepath.Join(v, "x")); err != nil {
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

func redactingNew(build func(Config) (Publisher, error)) func(Config) (Publisher, error) {
	return func(cfg Config) (Publisher, error) {
		red := NewRedactor(cfg.Secrets, cfg.Settings)
		if cfg.Redact != nil {
			cfg.Redact.mu.RLock()
			red.fixed = append(red.fixed, cfg.Redact.forms...)
			cfg.Redact.mu.RUnlock()
			red.rebuild()
		}
		cfg.Redact = red
		pub, err := build(cfg)
		if err != nil {
			return nil, red.Error(err)
		}
		return Redacting(pub, red), nil
	}
}

// InsecureHTTP is the setting that lets a channel's credentials travel over
// plain http:// to a host other than this machine; adapters whose network
// lives at a URL list it among their settings and pass their URL to
// CheckHTTPS.
var InsecureHTTP = Field{Name: "insecure_http", Help: "true lets the credentials travel over plain http:// to another machine (a lab only; default false)"}

// ErrInsecureHTTP is the cause of CheckHTTPS's refusal.
var ErrInsecureHTTP = errors.New("credentials over plain http refused")

// CheckHTTPS refuses an http:// URL that carries a channel's credentials
// unless it points at this machine (localhost, 127.0.0.0/8, ::1) or the
// channel's setting insecure_http is true. what names the URL in the message,
// e.g. "setting instance". It calls no network.
func CheckHTTPS(what string, u *url.URL, settings map[string]string) error {
	insecure := false
	if v := strings.TrimSpace(settings[InsecureHTTP.Name]); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return &insecureError{msg: fmt.Sprintf("setting %s must be true or false, got %q", InsecureHTTP.Name, v)}
		}
		insecure = b
	}
	if u == nil || !strings.EqualFold(u.Scheme, "http") || insecure || Loopback(u.Hostname()) {
		return nil
	}
	return &insecureError{what: what, host: u.Hostname()}
}

type insecureError struct{ what, host, msg string }

func (e *insecureError) Error() string {
	if e.msg != "" {
		return e.msg
	}
	return fmt.Sprintf("%s uses http:// to %s: crieur sends a channel's credentials only over https, except to this machine (localhost, 127.0.0.1, ::1); use https://, or set %s=true for a lab", e.what, e.host, InsecureHTTP.Name)
}

func (e *insecureError) Is(target error) bool { return target == ErrInsecureHTTP }

// Loopback reports whether host names this machine: localhost (or a name
// under .localhost), 127.0.0.0/8 or ::1.
func Loopback(host string) bool {
	h := strings.ToLower(strings.TrimSuffix(strings.Trim(host, "[]"), "."))
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}
