package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	calendar "github.com/crieur/crieur/calendar"
)

// ruleChecked says whether a post in status is held to the editorial rules
// when it is written: when it is on its way out.
func ruleChecked(status string) bool {
	switch status {
	case calendar.StatusScheduled, calendar.StatusReview, calendar.StatusApproved:
		return true
	}
	return false
}

// ruleGate names the editorial rule that wants p approved, or "".
func (s *Store) ruleGate(p *calendar.Post, chans map[string]calendar.Channel) string {
	if s.Rules == nil {
		return ""
	}
	return s.Rules.NeedsApproval(p, networksOf(chans))
}

func networksOf(chans map[string]calendar.Channel) map[string]string {
	nets := make(map[string]string, len(chans))
	for n, c := range chans {
		nets[n] = c.Network
	}
	return nets
}

// checkRulesTx holds p, written and settled in tx, to the editorial rules:
// an error refuses the write (the transaction rolls back), a warning is
// told to RuleWarning. The calendar rules count the other posts on p's
// channels as tx sees them, so two writers cannot both take the last place
// of a day without one of them seeing the other.
func (s *Store) checkRulesTx(ctx context.Context, tx *sql.Tx, p *calendar.Post, chans map[string]calendar.Channel) error {
	if s.Rules == nil || !ruleChecked(p.Status) {
		return nil
	}
	var mine, others []calendar.Placement
	if w := s.Rules.Window(); w > 0 {
		rows, err := tx.QueryContext(ctx, `SELECT ch.name, d.channel_id, d.due_at FROM deliveries d JOIN channels ch ON ch.id = d.channel_id
			WHERE d.post_id=? AND d.status='pending' AND d.due_at IS NOT NULL`, p.ID)
		if err != nil {
			return err
		}
		type placed struct {
			channel int64
			at      time.Time
		}
		var own []placed
		for rows.Next() {
			var name string
			var id, at int64
			if err := rows.Scan(&name, &id, &at); err != nil {
				rows.Close()
				return err
			}
			mine = append(mine, calendar.Placement{Slug: p.Slug, Channel: name, At: fromMS(at), Tags: p.Tags, Campaign: p.Campaign})
			own = append(own, placed{id, fromMS(at)})
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, o := range own {
			near, err := s.placementsTx(ctx, tx, o.channel, p.ID, o.at.Add(-w), o.at.Add(w))
			if err != nil {
				return err
			}
			others = append(others, near...)
		}
	}
	zone := func(name string) *time.Location {
		if c, ok := chans[name]; ok {
			return s.SlotZone(c)
		}
		return s.calendarZone()
	}
	findings := s.Rules.Check(p, networksOf(chans), mine, others, zone)
	if s.RuleWarning != nil {
		for _, f := range findings {
			if f.Severity == calendar.SeverityWarning {
				s.RuleWarning(p.Slug, f)
			}
		}
	}
	return calendar.RuleErrors(findings)
}

// placementsTx lists the other posts on a channel due in [from, to], as
// the calendar rules count them: those on their way out or already out.
func (s *Store) placementsTx(ctx context.Context, tx *sql.Tx, channelID, postID int64, from, to time.Time) ([]calendar.Placement, error) {
	rows, err := tx.QueryContext(ctx, `SELECT p.slug, p.tags, COALESCE(c.name, ''), ch.name, d.due_at
		FROM deliveries d JOIN posts p ON p.id = d.post_id JOIN channels ch ON ch.id = d.channel_id
		LEFT JOIN campaigns c ON c.id = p.campaign_id
		WHERE d.channel_id=? AND d.post_id<>? AND d.due_at BETWEEN ? AND ?
		AND d.status IN ('pending','publishing','published')
		AND p.status IN ('scheduled','review','approved','published','partial')`, channelID, postID, ms(from), ms(to))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []calendar.Placement
	for rows.Next() {
		var pl calendar.Placement
		var tags string
		var at int64
		if err := rows.Scan(&pl.Slug, &tags, &pl.Campaign, &pl.Channel, &at); err != nil {
			return nil, err
		}
		_ = json.Unmarshal([]byte(tags), &pl.Tags)
		pl.At = fromMS(at)
		out = append(out, pl)
	}
	return out, rows.Err()
}
