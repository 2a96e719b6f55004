-- Audit events recorded but not yet chained (see the PostgreSQL migration). SQLite
-- chains each event as it is recorded, under its one write lock, so this table stays
-- empty; it exists so both backends have one schema.
create table audit_pending (
    pending_id     integer primary key autoincrement,
    chain          text not null,
    audit_event_id blob not null unique,
    tenant_id      blob references tenant (tenant_id),
    occurred_at    integer not null,
    actor          text not null,
    action         text not null,
    target         text not null,
    ip             text,
    user_agent     text,
    request_id     text,
    diff           text
);
create index audit_pending_chain_idx on audit_pending (chain, pending_id);

-- As on PostgreSQL (where sealing checks "already chained" by it); IDs are unique anyway.
create unique index audit_event_id_key on audit_event (audit_event_id);
