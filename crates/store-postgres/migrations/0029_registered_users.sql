-- The registered-users gauge needs the number of accounts across every tenant. Row-level
-- security hides other tenants' rows from the application role, so this function runs
-- as its owner (the role that ran the migrations) and returns the count and nothing
-- else. app_user forces row-level security even on its owner, so the function turns it
-- off for its own query: that works when the owner may bypass it (a superuser or a
-- BYPASSRLS role), and otherwise fails with an error rather than counting nothing.
create function registered_users() returns bigint
    language sql stable security definer
    set search_path = pg_catalog, public, pg_temp
    set row_security = off
    as $$ select count(*) from app_user $$;
revoke all on function registered_users() from public;
grant execute on function registered_users() to nexus_app;
