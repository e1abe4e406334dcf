// Package telegram publishes posts to a Telegram chat (channel, group or
// private chat) through a bot of the Bot API.
//
// Text is sent as plain text (no parse_mode) unless the channel sets one; a
// Markdown body is first rendered to readable plain text, links as
// "label (url)", because Telegram's own Markdown dialects reject or mangle
// ordinary Markdown. Telegram has no alt text for media: a media's Alt is not
// sent anywhere. The Bot API has no idempotency key, so a retry after an
// unknown outcome is unsafe.
package telegram

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/crieur/crieur/publishers"
)

const defaultAPI = "https://api.telegram.org"

// parseModes are the values of the Bot API's parse_mode, "" being plain text.
var parseModes = map[string]bool{"": true, "HTML": true, "MarkdownV2": true, "Markdown": true}

func init() {
	publishers.Register(publishers.Network{
		Name:        "telegram",
		Description: "Telegram chat or channel, through a bot (Bot API)",
		Settings: []publishers.Field{
			{Name: "chat_id", Required: true, Help: "numeric chat id or @channelusername; the bot must be allowed to post there"},
			{Name: "parse_mode", Help: "empty (plain text, the default), HTML or MarkdownV2: the body must then be valid markup in each part"},
			{Name: "api", Default: defaultAPI, Help: "Bot API base URL (a local Bot API server)"},
			publishers.InsecureHTTP,
		},
		Secrets: []publishers.Field{
			{Name: "bot_token", Required: true, Help: "the token @BotFather gave the bot"},
		},
		Safety: publishers.RetryUnsafe,
		New:    New,
		// Its rules are Telegram's own and the chat's settings: never the
		// bot's token.
		Offline: func(settings map[string]string) (publishers.Validator, error) { return fromSettings(settings) },
	})
}

// Publisher posts to one chat.
type Publisher struct {
	cfg       publishers.Config
	api       string // base URL, no trailing slash
	token     string
	chatID    string
	parseMode string
}

// New builds a publisher from a channel's settings and secrets.
func New(cfg publishers.Config) (publishers.Publisher, error) {
	p, err := fromSettings(cfg.Settings)
	if err != nil {
		return nil, err
	}
	token := cfg.Secrets["bot_token"]
	if token == "" {
		return nil, fmt.Errorf("telegram: secret bot_token is required")
	}
	if strings.ContainsAny(token, "/?# ") {
		return nil, fmt.Errorf("telegram: secret bot_token is malformed (it must look like 123456:ABC-xyz)")
	}
	p.cfg, p.token = cfg, token
	return p, nil
}

// fromSettings reads the channel's settings: all its rules need, with no
// token and no client (Offline), which New adds.
func fromSettings(settings map[string]string) (*Publisher, error) {
	p := &Publisher{
		cfg:       publishers.Config{Settings: settings},
		api:       strings.TrimRight(settings["api"], "/"),
		chatID:    strings.TrimSpace(settings["chat_id"]),
		parseMode: settings["parse_mode"],
	}
	if p.api == "" {
		p.api = defaultAPI
	}
	if p.chatID == "" {
		return nil, fmt.Errorf("telegram: setting chat_id is required")
	}
	if !parseModes[p.parseMode] {
		return nil, fmt.Errorf("telegram: parse_mode %q is not one of HTML, MarkdownV2, Markdown or empty", p.parseMode)
	}
	if u, err := url.Parse(p.api); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("telegram: setting api %q is not an http(s) URL", p.api)
	} else if err := publishers.CheckHTTPS("telegram: setting api", u, settings); err != nil {
		return nil, err
	}
	return p, nil
}

// publicChat returns the @username of chat_id when it names a public chat,
// whose messages have t.me links.
func (p *Publisher) publicChat() string {
	if strings.HasPrefix(p.chatID, "@") {
		return strings.TrimPrefix(p.chatID, "@")
	}
	return ""
}
