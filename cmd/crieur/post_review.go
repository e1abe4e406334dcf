package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/crieur/crieur/calendar"
	"github.com/spf13/cobra"
)

func init() {
	registerVerb("post", newPostSubmitCmd)
	registerVerb("post", newPostApproveCmd)
	registerVerb("post", newPostRejectCmd)
	registerVerb("post", newPostNoteCmd)
	registerVerb("post", newPostMoveCmd)
}

func newPostSubmitCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "submit REF",
		Short: "Send a draft to review",
		Long: `Send a draft to review. Reviewers find it with 'crieur post list --status review'.
On channels that require approval, nothing of it is published until someone
approves it. Submitting a post already in review does nothing (exit 0).`,
		Example: `  crieur post submit winter-sale`,
		Args:    exactArgs(1, "a post REF (id or slug)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := a.db()
			if err != nil {
				return err
			}
			cur, err := st.Post(a.ctx, args[0])
			if err != nil {
				return err
			}
			if cur.Status == calendar.StatusReview {
				// Submitting twice is not a mistake worth failing a script for.
				return a.emit(cur, func(w io.Writer) error {
					if !a.quiet() {
						fmt.Fprintf(w, "Post %d (%s) is already in review: nothing to do.\n", cur.ID, cur.Slug)
					}
					return nil
				})
			}
			// Now meant to go out: checked as a load checks it (NetworkChecked).
			if err := a.checkPost(st, cur); err != nil {
				return err
			}
			return a.changePost("Submitted", func(st calendar.Store) (calendar.Post, error) {
				return st.SubmitPost(a.ctx, args[0])
			})
		},
	}
}

func newPostApproveCmd(a *app) *cobra.Command {
	var note string
	cmd := &cobra.Command{
		Use:   "approve REF [--note TEXT]",
		Short: "Approve a post: it is scheduled if it has a time",
		Long: `Approve a post. The approval records who (the configured author, else your
user name) and when. A post with a time becomes scheduled and the daemon will
publish it; one without stays approved until it is scheduled. Editing what it
says afterwards sends it back to review.`,
		Example: `  crieur post approve winter-sale
  crieur post approve 42 --note "Checked the prices with sales"`,
		Args: exactArgs(1, "a post REF (id or slug)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.changePost("Approved", func(st calendar.Store) (calendar.Post, error) {
				return st.ApprovePost(a.ctx, args[0], note)
			})
		},
	}
	cmd.Flags().StringVar(&note, "note", "", "a note kept with the post")
	return cmd
}

func newPostRejectCmd(a *app) *cobra.Command {
	var note string
	cmd := &cobra.Command{
		Use:     "reject REF --note TEXT",
		Short:   "Send a post back to draft, saying why",
		Example: `  crieur post reject winter-sale --note "The discount is 15%, not 20%"`,
		Args:    exactArgs(1, "a post REF (id or slug)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.changePost("Rejected", func(st calendar.Store) (calendar.Post, error) {
				return st.RejectPost(a.ctx, args[0], note)
			})
		},
	}
	cmd.Flags().StringVar(&note, "note", "", "why (required)")
	return cmd
}

func newPostNoteCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "note REF TEXT...",
		Short: "Add an editorial note to a post",
		Long:  "Add an editorial note (a comment for the team; never published). 'post show' lists them.",
		Example: `  crieur post note winter-sale "Check the link with the shop team"
  crieur post note 42 needs a better photo`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) < 2 {
				return usageErr{fmt.Errorf("expected a post REF and the note's TEXT, got %d argument(s)", len(args))}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := a.db()
			if err != nil {
				return err
			}
			n, err := st.AddNote(a.ctx, args[0], strings.Join(args[1:], " "))
			if err != nil {
				return err
			}
			return a.emit(n, func(w io.Writer) error {
				if !a.quiet() {
					fmt.Fprintf(w, "Noted on %s by %s: %s\n", args[0], n.Author, n.Text)
				}
				return nil
			})
		},
	}
}

func newPostMoveCmd(a *app) *cobra.Command {
	var to string
	var dryRun, allowPast bool
	cmd := &cobra.Command{
		Use:   "move REF --to WHEN [--dry-run]",
		Short: "Re-time a post (every channel follows)",
		Long: `Give a post a new time. Every delivery not yet published follows, a queued
post leaves its slots, and a running daemon sees the change at once. A
published post is refused. Approval is kept: the text did not change.

A relative --to (+1d, -2h, +30m, +1w, +1d12h) counts from the post's own time:
"+1d" postpones it a day, at the same local time. A post without a time counts
from now. Other forms ("2026-12-02 09:00", "tomorrow 9am") are absolute.`,
		Example: `  crieur post move winter-sale --to "2027-12-02 09:00"
  crieur post move 42 --to "+1d" --dry-run     # a day later than planned
  crieur post move 42 --to "-2h"               # two hours earlier than planned`,
		Args: exactArgs(1, "a post REF (id or slug)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if to == "" {
				return usageErr{fmt.Errorf("give --to WHEN")}
			}
			st, err := a.db()
			if err != nil {
				return err
			}
			p, err := st.Post(a.ctx, args[0])
			if err != nil {
				return err
			}
			loc := a.timeZoneFor(cmd, st, p.Channels)
			var at time.Time
			if sh, ok := relativeMove(to); ok {
				// "+1d" postpones the post a day: it counts from the post's own
				// time (days on its wall clock), not from now; a post without
				// a time counts from now ("-2h" too, which no WHEN reads).
				now := a.now()
				from, fromWords := now, "now"
				if p.PublishAt != nil {
					from, fromWords = *p.PublishAt, a.when(p.PublishAt)
				}
				at = sh.Apply(from, loc)
				if !allowPast && at.Before(now.Add(-time.Second)) {
					return invalid("to", "%s from %s is in the past (%s); use --allow-past to record it anyway", to, fromWords, a.when(&at))
				}
			} else if at, err = a.parseWhen("to", to, loc, allowPast); err != nil {
				return err
			}
			mv, err := st.MovePost(a.ctx, args[0], at, dryRun)
			if err != nil {
				return err
			}
			if err := a.warnBlackout(st, mv); err != nil {
				return err
			}
			return a.emit(mv, func(w io.Writer) error {
				if a.quiet() && !dryRun {
					fmt.Fprintln(w, mv.Slug)
					return nil
				}
				verb := "Moved"
				if dryRun {
					verb = "Would move"
				}
				fmt.Fprintf(w, "%s post %d (%s): %s → %s\n", verb, mv.PostID, mv.Slug, a.moveFrom(mv), a.when(&mv.To))
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&to, "to", "", "the new time, WHEN")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "say what would move, change nothing")
	cmd.Flags().BoolVar(&allowPast, "allow-past", false, "accept a time in the past (publishes at once)")
	return cmd
}

// relativeMove reads a signed offset (+1d, -2h, +30m): a move relative to the
// post's own time.
func relativeMove(s string) (calendar.Shift, bool) {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, "+") && !strings.HasPrefix(s, "-") {
		return calendar.Shift{}, false
	}
	sh, err := calendar.ParseShift(s)
	return sh, err == nil
}

func (a *app) moveFrom(mv calendar.Move) string {
	if mv.From.IsZero() {
		return "unscheduled"
	}
	return a.when(&mv.From)
}
