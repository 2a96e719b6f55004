-- Verification lists every chain from its head row and waiting events; a chain whose
-- head row was deleted while its events remain would then not be verified at all. This
-- function lists the chains that hold events (their names only), past row-level security
-- like registered_users(): it runs as its owner and turns the forced policy off for its
-- own query (the owner must be a superuser or BYPASSRLS role, or it fails loudly). A
-- loose index scan on the primary key (chain, seq): one probe per chain.
create function audit_event_chains() returns setof text
    language sql stable security definer
    set search_path = pg_catalog, public, pg_temp
    set row_security = off
    as $$
        with recursive c(chain) as (
            (select chain from audit_event order by chain limit 1)
            union all
            select (select e.chain from audit_event e where e.chain > c.chain
                    order by e.chain limit 1)
            from c where c.chain is not null
        )
        select chain from c where chain is not null
    $$;
revoke all on function audit_event_chains() from public;
grant execute on function audit_event_chains() to nexus_app;
