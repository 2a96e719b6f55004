-- Audit events recorded but not yet chained. Recording an event in a request's
-- transaction is now one insert here, taking no lock; sealers (every node, about once a
-- second, and every read of a chain) move them into audit_event in the order they were
-- inserted (not of commit), under the chain head's lock. Before, each audited request (every login and logout)
-- locked its tenant's chain head until it committed, so one tenant's audited requests
-- ran one at a time while holding pooled connections.
create table audit_pending (
    pending_id     bigserial primary key,
    chain          text not null,
    audit_event_id uuid not null unique,
    tenant_id      uuid references tenant (tenant_id),
    occurred_at    timestamptz not null,
    actor          text not null,
    action         text not null,
    target         text not null,
    ip             text,
    user_agent     text,
    request_id     text,
    diff           text
);
create index audit_pending_chain_idx on audit_pending (chain, pending_id);

-- The same isolation as audit_event for the application role. Not forced on the
-- table's owner, so that the functions below, which run as the owner, can list chains
-- whatever the owner's privileges (an application connected as the owner itself could
-- lift any policy anyway, so forcing it would protect nothing more).
alter table audit_pending enable row level security;
create policy audit_pending_tenant_isolation on audit_pending
    using (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid
           or (tenant_id is null and nullif(current_setting('nexus.tenant_id', true), '') is null))
    with check (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid
           or (tenant_id is null and nullif(current_setting('nexus.tenant_id', true), '') is null));
-- No delete for the application: a waiting event is evidence not yet chained, and a
-- plain delete would remove it without a trace. Sealing removes what it has chained
-- through audit_pending_release below, which refuses any row not in audit_event.
grant select, insert on audit_pending to nexus_app;
grant usage on sequence audit_pending_pending_id_seq to nexus_app;

-- Lets release check "already chained" by ID (IDs are unique anyway).
create unique index audit_event_id_key on audit_event (audit_event_id);

-- Removes waiting rows whose event is now in its chain in audit_event; returns how
-- many. Runs as the owner (no delete grant needed); audit_event's policy still applies
-- to the check, so a sealer sees only its own chain's events there. pg_temp comes last
-- in every definer function's search_path, so no temporary table can stand in for ours.
-- What this does not stop: the application role may insert into audit_event (it always
-- could, to append), so a compromised application can write events of its own; the
-- chain makes edits and deletions of stored events evident, not forgeries by the writer.
create function audit_pending_release(ids bigint[]) returns bigint
    language sql volatile security definer
    set search_path = pg_catalog, public, pg_temp
    as $$
    with released as (
        delete from audit_pending p
        where p.pending_id = any(ids)
          and exists (select 1 from audit_event e
                      where e.chain = p.chain and e.audit_event_id = p.audit_event_id)
        returning 1)
    select count(*) from released $$;
revoke all on function audit_pending_release(bigint[]) from public;
grant execute on function audit_pending_release(bigint[]) to nexus_app;

-- Which chains have events waiting, for the sealer that visits every chain: names only
-- (a tenant ID or `platform`), never the events. Row-level security would hide every
-- tenant's rows from the sealer's scope-less query, so this one function reads past it
-- (it runs as the table's owner, to whom the policy does not apply).
create function audit_pending_chains() returns setof text
    language sql stable security definer
    set search_path = pg_catalog, public, pg_temp
    as $$ select distinct chain from audit_pending $$;
revoke all on function audit_pending_chains() from public;
grant execute on function audit_pending_chains() to nexus_app;
