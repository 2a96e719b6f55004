-- The tamper-evident audit trail (see the PostgreSQL migration). SQLite has no roles,
-- so append-only is enforced by triggers here.
create table audit_event (
    chain          text not null,
    seq            integer not null,
    audit_event_id blob not null,
    tenant_id      blob references tenant (tenant_id),
    occurred_at    integer not null,
    actor          text not null,
    action         text not null,
    target         text not null,
    ip             text,
    user_agent     text,
    request_id     text,
    diff           text,
    prev_hash      text not null,
    hash           text not null,
    primary key (chain, seq)
);
create index audit_event_tenant_time_idx on audit_event (tenant_id, occurred_at);

create table audit_head (
    chain text primary key not null,
    seq   integer not null,
    hash  text not null
);

create trigger audit_event_no_update before update on audit_event
begin select raise(abort, 'audit events are append-only'); end;
create trigger audit_event_no_delete before delete on audit_event
begin select raise(abort, 'audit events are append-only'); end;
