package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	calendar "github.com/crieur/crieur/calendar"
)

func (s *Store) campaignID(ctx context.Context, q queryer, name string) (any, error) {
	if name == "" {
		return nil, nil
	}
	var id int64
	err := q.QueryRowContext(ctx, `SELECT id FROM campaigns WHERE name = ?`, name).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, calendar.Invalid("campaign", "unknown campaign %q (create it with `crieur campaign add %s`)", name, name)
	}
	return id, err
}

// AddCampaign creates a campaign.
func (s *Store) AddCampaign(ctx context.Context, c *calendar.Campaign) error {
	if err := calendar.ValidName("name", c.Name); err != nil {
		return err
	}
	for _, d := range []struct{ field, v string }{{"from", c.StartsOn}, {"to", c.EndsOn}} {
		if d.v == "" {
			continue
		}
		if err := calendar.CheckDay(d.field, d.v); err != nil {
			return err
		}
	}
	if c.StartsOn != "" && c.EndsOn != "" && c.EndsOn < c.StartsOn {
		return calendar.Invalid("to", "campaign ends (%s) before it starts (%s)", c.EndsOn, c.StartsOn)
	}
	now := s.now()
	return s.tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO campaigns (name, starts_on, ends_on, utm, color, created_at, updated_at) VALUES (?,?,?,?,?,?,?) RETURNING id`,
			c.Name, c.StartsOn, c.EndsOn, jsonText(calendar.NonNil(c.UTM)), c.Color, ms(now), ms(now)).Scan(&c.ID)
		if err != nil {
			if isUnique(err) {
				return fmt.Errorf("campaign %q already exists: %w", c.Name, calendar.ErrConflict)
			}
			return err
		}
		c.CreatedAt, c.UpdatedAt = now, now
		return s.event(ctx, tx, calendar.Event{Kind: "campaign.added", Detail: map[string]any{"name": c.Name}})
	})
}

const campaignCols = `c.id, c.name, c.starts_on, c.ends_on, c.utm, c.color, c.created_at, c.updated_at,
	(SELECT count(*) FROM posts p WHERE p.campaign_id = c.id)`

func scanCampaign(sc interface{ Scan(...any) error }) (calendar.Campaign, error) {
	var c calendar.Campaign
	var utm string
	var created, updated int64
	err := sc.Scan(&c.ID, &c.Name, &c.StartsOn, &c.EndsOn, &utm, &c.Color, &created, &updated, &c.Posts)
	c.UTM = map[string]string{}
	_ = jsonUnmarshal(utm, &c.UTM)
	c.CreatedAt, c.UpdatedAt = fromMS(created), fromMS(updated)
	return c, err
}

// Campaigns lists campaigns by start date, then name.
func (s *Store) Campaigns(ctx context.Context) ([]calendar.Campaign, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+campaignCols+` FROM campaigns c ORDER BY c.starts_on, c.name`)
	if err != nil {
		return nil, err
	}
	return scanRows(rows, scanCampaign)
}

// Campaign returns the campaign called name.
func (s *Store) Campaign(ctx context.Context, name string) (calendar.Campaign, error) {
	c, err := scanCampaign(s.db.QueryRowContext(ctx, `SELECT `+campaignCols+` FROM campaigns c WHERE c.name = ?`, name))
	if errors.Is(err, sql.ErrNoRows) {
		return c, calendar.NotFound("campaign", name)
	}
	return c, err
}
