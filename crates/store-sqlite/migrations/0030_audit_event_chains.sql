-- PostgreSQL adds a function listing the chains that hold events (see its migration);
-- SQLite has no row-level security and reads audit_event directly. Kept so both
-- backends number their migrations alike.
select 1;
