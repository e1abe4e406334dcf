package meta

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/crieur/crieur/publishers"
	"github.com/crieur/crieur/publishers/oauth"
)

// The settings every Meta channel reads.
const (
	SettingVersion = "version"
	SettingAPI     = "api"
	SettingBackoff = "rate_limit_backoff"
)

// Fields are the settings' descriptions for a network's registration.
func Fields(defaultAPI, defaultVersion string) []publishers.Field {
	return []publishers.Field{
		{Name: SettingVersion, Default: defaultVersion, Help: "the Graph API version to call (vNN.N); Meta keeps each for about two years"},
		{Name: SettingAPI, Default: defaultAPI, Kind: publishers.URL, Help: "the Graph API's base URL"},
		{Name: SettingBackoff, Help: "how long to wait when Meta throttles the channel without saying for how long (default 15m)"},
		publishers.InsecureHTTP,
	}
}

var versionRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^v[0-9]{1,3}\.[0-9]{1,2}$`) })

// ReadSettings reads the settings Fields describes into a Graph (no token,
// no client: New adds them). name prefixes errors ("facebook").
func ReadSettings(name, display string, settings map[string]string, defaultAPI, defaultVersion string) (*Graph, error) {
	g := &Graph{Base: defaultAPI, Version: defaultVersion, Name: display}
	if v := strings.TrimSpace(settings[SettingVersion]); v != "" {
		if !versionRe().MatchString(v) {
			return nil, fmt.Errorf("%s: setting version %q is not a Graph API version like %s", name, v, defaultVersion)
		}
		g.Version = v
	}
	if v := strings.TrimRight(strings.TrimSpace(settings[SettingAPI]), "/"); v != "" {
		u, ok := publishers.HTTPURL(v)
		if !ok || (u.Path != "" && u.Path != "/") {
			return nil, fmt.Errorf("%s: setting api %q is not a base URL like %s", name, v, defaultAPI)
		}
		if err := publishers.CheckHTTPS(name+": setting api", u, settings); err != nil {
			return nil, err
		}
		g.Base = v
	} else if err := publishers.CheckHTTPS(name, nil, settings); err != nil {
		return nil, err
	}
	if v := strings.TrimSpace(settings[SettingBackoff]); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("%s: setting rate_limit_backoff %q is not a duration like 1h or 30m", name, v)
		}
		g.Backoff = d
	}
	return g, nil
}

// ValidID reports whether id is a Graph object id (digits).
func ValidID(id string) bool {
	if id == "" || len(id) > 30 {
		return false
	}
	for _, r := range id {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// Connect gives g the channel's OAuth session on the network p describes
// (the token is read at each request, and renewed as p says), its client
// and clock; hint says how to give the channel a new token. The error is a
// bad oauth_base_url.
func (g *Graph) Connect(cfg publishers.Config, p oauth.Provider, hint string) error {
	sess, err := oauth.NewSession(p, cfg)
	if err != nil {
		return err
	}
	g.Hint = hint
	g.Auth = sess.Do
	g.HTTP, g.Now = cfg.Client(), cfg.Clock
	return nil
}

// LoginHint says how to give channel a new token, and how long Meta's
// last (lifetime).
func LoginHint(channel, lifetime string) string {
	if channel == "" {
		channel = "NAME"
	}
	return fmt.Sprintf("run `crieur channel login %s` (%s)", channel, lifetime)
}
