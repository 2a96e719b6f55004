-- PostgreSQL adds a function for the registered-users count (see its migration); SQLite
-- has no row-level security and counts app_user directly. Kept so both backends number
-- their migrations alike.
select 1;
