// Package all registers every network adapter; the binary imports it.
package all

import (
	_ "github.com/crieur/crieur/publishers/bluesky"    // Bluesky (AT Protocol)
	_ "github.com/crieur/crieur/publishers/devto"      // DEV Community articles
	_ "github.com/crieur/crieur/publishers/discord"    // Discord webhooks
	_ "github.com/crieur/crieur/publishers/feed"       // RSS and Atom files
	_ "github.com/crieur/crieur/publishers/ghost"      // Ghost Admin API
	_ "github.com/crieur/crieur/publishers/linkedin"   // LinkedIn members and pages (Posts API)
	_ "github.com/crieur/crieur/publishers/log"        // local log file or stdout
	_ "github.com/crieur/crieur/publishers/mastodon"   // Mastodon statuses and threads
	_ "github.com/crieur/crieur/publishers/newsletter" // email over SMTP
	_ "github.com/crieur/crieur/publishers/slack"      // Slack incoming webhooks
	_ "github.com/crieur/crieur/publishers/telegram"   // Telegram Bot API
	_ "github.com/crieur/crieur/publishers/webhook"    // signed JSON webhooks
	_ "github.com/crieur/crieur/publishers/wordpress"  // WordPress REST API
	_ "github.com/crieur/crieur/publishers/x"          // X (formerly Twitter) API v2
)
