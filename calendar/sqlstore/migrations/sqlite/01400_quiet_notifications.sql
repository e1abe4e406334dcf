-- +goose Up
-- PostgreSQL's notifications tell the daemons' wake-ups from other changes
-- (its 01400). SQLite's watch reads the file's data_version: nothing here.
SELECT 1;

-- +goose Down
SELECT 1;
