-- +goose Up
-- Daemons wake on a notification to claim what became due. Most writes to
-- deliveries and posts are a daemon's own claims and outcomes, which make
-- nothing due: they notify with a "quiet:" payload, which a watch counts as
-- a change (an iCalendar file is rewritten) but does not wake a daemon for.
-- A write that leaves a delivery runnable (inserted or put back pending),
-- or changes a post's approval (the gate of approval channels), wakes them.
-- +goose StatementBegin
CREATE FUNCTION crieur_notify_deliveries() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM crieur_new WHERE status = 'pending' AND run_at IS NOT NULL) THEN
        PERFORM pg_notify('crieur_calendar', 'deliveries');
    ELSE
        PERFORM pg_notify('crieur_calendar', 'quiet:deliveries');
    END IF;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE FUNCTION crieur_notify_posts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM crieur_new n JOIN crieur_old o ON o.id = n.id WHERE n.approved_at IS DISTINCT FROM o.approved_at) THEN
        PERFORM pg_notify('crieur_calendar', 'posts');
    ELSE
        PERFORM pg_notify('crieur_calendar', 'quiet:posts');
    END IF;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE FUNCTION crieur_notify_quiet() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('crieur_calendar', 'quiet:' || TG_TABLE_NAME);
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
DROP TRIGGER deliveries_notify ON deliveries;
CREATE TRIGGER deliveries_notify_insert AFTER INSERT ON deliveries REFERENCING NEW TABLE AS crieur_new
    FOR EACH STATEMENT EXECUTE FUNCTION crieur_notify_deliveries();
CREATE TRIGGER deliveries_notify_update AFTER UPDATE ON deliveries REFERENCING NEW TABLE AS crieur_new
    FOR EACH STATEMENT EXECUTE FUNCTION crieur_notify_deliveries();
CREATE TRIGGER deliveries_notify_delete AFTER DELETE ON deliveries
    FOR EACH STATEMENT EXECUTE FUNCTION crieur_notify_quiet();
DROP TRIGGER posts_notify ON posts;
CREATE TRIGGER posts_notify_update AFTER UPDATE ON posts REFERENCING NEW TABLE AS crieur_new OLD TABLE AS crieur_old
    FOR EACH STATEMENT EXECUTE FUNCTION crieur_notify_posts();
CREATE TRIGGER posts_notify_other AFTER INSERT OR DELETE ON posts
    FOR EACH STATEMENT EXECUTE FUNCTION crieur_notify_quiet();

-- +goose Down
DROP TRIGGER posts_notify_other ON posts;
DROP TRIGGER posts_notify_update ON posts;
DROP TRIGGER deliveries_notify_delete ON deliveries;
DROP TRIGGER deliveries_notify_update ON deliveries;
DROP TRIGGER deliveries_notify_insert ON deliveries;
CREATE TRIGGER posts_notify AFTER INSERT OR UPDATE OR DELETE ON posts FOR EACH STATEMENT EXECUTE FUNCTION crieur_notify_change();
CREATE TRIGGER deliveries_notify AFTER INSERT OR UPDATE OR DELETE ON deliveries FOR EACH STATEMENT EXECUTE FUNCTION crieur_notify_change();
DROP FUNCTION crieur_notify_quiet();
DROP FUNCTION crieur_notify_posts();
DROP FUNCTION crieur_notify_deliveries();
