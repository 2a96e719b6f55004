-- The tamper-evident audit trail: one hash chain per tenant plus one for the platform.
-- audit_head holds each chain's last (seq, hash); appends lock it, which serialises
-- writers per chain, and verification compares it with the last stored event.
create table audit_event (
    chain          text not null,
    seq            bigint not null,
    audit_event_id uuid not null,
    tenant_id      uuid,
    occurred_at    timestamptz not null,
    actor          text not null,
    action         text not null,
    target         text not null,
    ip             text,
    user_agent     text,
    request_id     text,
    diff           text,
    prev_hash      text not null,
    hash           text not null,
    primary key (chain, seq),
    constraint audit_event_tenant_fkey foreign key (tenant_id) references tenant (tenant_id)
);
create index audit_event_tenant_time_idx on audit_event (tenant_id, occurred_at);

create table audit_head (
    chain text primary key,
    seq   bigint not null,
    hash  text not null
);

-- Tenants read only their own chain; the platform chain (tenant_id null) is visible only
-- outside any tenant transaction.
alter table audit_event enable row level security;
alter table audit_event force row level security;
create policy audit_event_tenant_isolation on audit_event
    using (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid
           or (tenant_id is null and nullif(current_setting('nexus.tenant_id', true), '') is null))
    with check (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid
           or (tenant_id is null and nullif(current_setting('nexus.tenant_id', true), '') is null));

-- Append-only for the application: no update or delete, ever.
grant select, insert on audit_event to nexus_app;
grant select, insert, update on audit_head to nexus_app;
