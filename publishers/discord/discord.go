// Package discord publishes posts to a Discord channel through a webhook.
//
// Each message is one execution of the webhook with ?wait=true, so that
// Discord answers with the message it created. Text is sent as written, since
// Discord renders Markdown itself. Text longer than a message is
// sent as several messages; media are uploaded with the first one, their alt
// text as the attachment's description. Mentions in a post never ping anyone
// unless the channel's mentions setting allows it: a scheduled post should
// not wake a whole server by accident. Webhooks have no idempotency key, so a
// retry after an unknown outcome is unsafe.
package discord

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/crieur/crieur/publishers"
)

const defaultUploadMB = 10

func init() {
	publishers.Register(publishers.Network{
		Name:        "discord",
		Description: "Discord channel, through a webhook",
		Settings: []publishers.Field{
			{Name: "mentions", Help: "which mentions may ping, comma-separated among users, roles, everyone (default: none)"},
			{Name: "max_upload_mb", Default: strconv.Itoa(defaultUploadMB), Help: "the server's upload limit per file in MB (higher on boosted servers)"},
			publishers.InsecureHTTP,
		},
		Secrets: []publishers.Field{
			{Name: "webhook_url", Required: true, Help: "https://discord.com/api/webhooks/ID/TOKEN (channel settings, Integrations, Webhooks)"},
		},
		Safety: publishers.RetryUnsafe,
		New:    New,
		// Its rules need the settings only, never the webhook.
		Offline: func(settings map[string]string) (publishers.Validator, error) { return fromSettings(settings) },
	})
}

// Publisher posts through one webhook.
type Publisher struct {
	cfg       publishers.Config
	webhook   *url.URL
	mentions  []string
	maxUpload int64

	mu      sync.Mutex
	guildID string // learnt from the webhook, for message links
}

var mentionKinds = map[string]bool{"users": true, "roles": true, "everyone": true}

// New builds a publisher from a channel's settings and secrets. Its errors
// never quote the webhook URL: it holds the webhook's token.
func New(cfg publishers.Config) (publishers.Publisher, error) {
	raw := strings.TrimSpace(cfg.Secrets["webhook_url"])
	if raw == "" {
		return nil, fmt.Errorf("discord: secret webhook_url is required")
	}
	u, ok := publishers.HTTPURL(raw)
	if !ok || !strings.Contains(u.Path, "/webhooks/") {
		return nil, fmt.Errorf("discord: secret webhook_url is not a webhook URL (https://discord.com/api/webhooks/ID/TOKEN)")
	}
	if err := publishers.CheckHTTPS("discord: secret webhook_url", u, cfg.Settings); err != nil {
		return nil, err
	}
	cfg.Redact.Add(u.Path[strings.LastIndex(u.Path, "/")+1:])
	p, err := fromSettings(cfg.Settings)
	if err != nil {
		return nil, err
	}
	p.cfg, p.webhook = cfg, u
	return p, nil
}

// fromSettings reads the channel's settings: all its rules need, with no
// webhook (Offline), which New adds.
func fromSettings(settings map[string]string) (*Publisher, error) {
	p := &Publisher{cfg: publishers.Config{Settings: settings}, mentions: []string{}, maxUpload: defaultUploadMB << 20}
	for _, m := range strings.Split(settings["mentions"], ",") {
		if m = strings.TrimSpace(strings.ToLower(m)); m == "" {
			continue
		}
		if !mentionKinds[m] {
			return nil, fmt.Errorf("discord: mentions %q: use users, roles and/or everyone", m)
		}
		p.mentions = append(p.mentions, m)
	}
	if v := strings.TrimSpace(settings["max_upload_mb"]); v != "" {
		mb, err := strconv.Atoi(v)
		if err != nil || mb <= 0 {
			return nil, fmt.Errorf("discord: max_upload_mb %q is not a positive number", v)
		}
		p.maxUpload = int64(mb) << 20
	}
	return p, nil
}
