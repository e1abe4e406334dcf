package mastodon

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// The settings under which `crieur channel test` stores the instance's limits.
const (
	settingMaxChars  = "max_characters"
	settingURLLength = "characters_reserved_per_url"
	settingMaxMedia  = "max_media_attachments"
	settingAltLength = "description_limit"
	settingSoftware  = "software"
)

// countsURLsInFull lists the server software known to count every character
// of a URL, whatever characters_reserved_per_url it advertises.
var countsURLsInFull = map[string]bool{"gotosocial": true}

// storedLimits reads the limits kept in the channel's settings; those not
// set are Mastodon's defaults.
func storedLimits(settings map[string]string) (limits, error) {
	l := defaultLimits
	for _, f := range []struct {
		name string
		dst  *int
	}{
		{settingMaxChars, &l.maxChars},
		{settingURLLength, &l.urlLength},
		{settingMaxMedia, &l.maxMedia},
		{settingAltLength, &l.altLength},
	} {
		v := strings.TrimSpace(settings[f.name])
		if v == "" {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return limits{}, fmt.Errorf("mastodon: setting %s %q is not a positive whole number", f.name, v)
		}
		*f.dst = n
	}
	l.software = strings.ToLower(strings.TrimSpace(settings[settingSoftware]))
	return l, nil
}

// settings are the limits as the channel's settings keep them.
func (l limits) settings() map[string]string {
	out := map[string]string{
		settingMaxChars:  strconv.Itoa(l.maxChars),
		settingURLLength: strconv.Itoa(l.urlLength),
		settingMaxMedia:  strconv.Itoa(l.maxMedia),
		settingAltLength: strconv.Itoa(l.altLength),
	}
	if l.software != "" {
		out[settingSoftware] = l.software
	}
	return out
}

// instance is the part of /api/v2/instance (and of /api/v1/instance, for
// servers without v2) crieur reads.
type instance struct {
	Version   string `json:"version"`
	SourceURL string `json:"source_url"`
	// MaxTootChars is where older servers (Pleroma, Akkoma) say their limit.
	MaxTootChars  int `json:"max_toot_chars"`
	Configuration struct {
		Statuses struct {
			MaxCharacters            int `json:"max_characters"`
			CharactersReservedPerURL int `json:"characters_reserved_per_url"`
			MaxMediaAttachments      int `json:"max_media_attachments"`
		} `json:"statuses"`
		MediaAttachments struct {
			DescriptionLimit int `json:"description_limit"`
		} `json:"media_attachments"`
	} `json:"configuration"`
}

// software names the server software from the instance's version (and
// source URL): Mastodon-API servers other than Mastodon say who they are
// there, e.g. "0.18.3+git-… (gotosocial)" or "2.7.2 (compatible; Pleroma 2.5.0)".
func (in instance) software() string {
	s := strings.ToLower(in.Version + " " + in.SourceURL)
	for _, name := range []string{"gotosocial", "pleroma", "akkoma", "glitch", "hometown", "firefish", "iceshrimp", "sharkey", "misskey", "friendica", "pixelfed", "snac", "takahe"} {
		if strings.Contains(s, name) {
			return name
		}
	}
	if strings.TrimSpace(in.Version) != "" {
		return "mastodon"
	}
	return ""
}

// loadLimits asks the instance for its limits once (/api/v2/instance, else
// /api/v1/instance); until it answers, the channel's stored limits (or
// Mastodon's defaults) apply, and it is asked again next time.
func (p *Publisher) loadLimits(ctx context.Context) limits {
	p.mu.Lock()
	known := p.limits
	p.mu.Unlock()
	if known != nil {
		return *known
	}
	var inst instance
	if _, err := p.do(ctx, http.MethodGet, "/api/v2/instance", nil, "", nil, &inst); err != nil {
		inst = instance{}
		if _, err := p.do(ctx, http.MethodGet, "/api/v1/instance", nil, "", nil, &inst); err != nil {
			return p.stored
		}
	}
	l := p.stored
	st := inst.Configuration.Statuses
	if st.MaxCharacters == 0 {
		st.MaxCharacters = inst.MaxTootChars
	}
	for _, f := range []struct {
		dst *int
		v   int
	}{
		{&l.maxChars, st.MaxCharacters},
		{&l.urlLength, st.CharactersReservedPerURL},
		{&l.maxMedia, st.MaxMediaAttachments},
		{&l.altLength, inst.Configuration.MediaAttachments.DescriptionLimit},
	} {
		if f.v > 0 {
			*f.dst = f.v
		}
	}
	if sw := inst.software(); sw != "" {
		l.software = sw
	}
	p.mu.Lock()
	p.limits = &l
	p.mu.Unlock()
	return l
}

// Learned gives what Check read of the instance (its limits and software)
// as channel settings, for the channel to keep: offline checks and previews
// then count as the instance does. Nil before the instance answered.
func (p *Publisher) Learned() map[string]string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.limits == nil {
		return nil
	}
	return p.limits.settings()
}
