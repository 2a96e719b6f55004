-- Background work: the durable job queue and singleton leases.
-- Times used in comparisons are INTEGER Unix microseconds here (SQLite has no
-- timestamp type, and RFC 3339 text does not sort correctly across precisions);
-- the PostgreSQL schema uses timestamptz. Column names match (the parity test checks).
create table job (
    job_id          blob primary key not null,
    tenant_id       blob references tenant (tenant_id) on delete cascade,
    kind            text not null,
    payload         text not null,
    priority        integer not null default 0,
    state           text not null check (state in ('queued', 'running', 'succeeded', 'dead', 'cancelled')),
    run_at          integer not null,
    attempts        integer not null default 0,
    max_attempts    integer not null,
    last_error      text,
    idempotency_key text,
    lock_token      blob,
    locked_until    integer,
    created_at      integer not null,
    updated_at      integer not null,
    finished_at     integer,
    constraint job_idempotency_key unique (kind, idempotency_key)
);
create index job_claim_idx on job (priority desc, run_at) where state = 'queued';
create index job_running_idx on job (locked_until) where state = 'running';
create index job_tenant_idx on job (tenant_id, created_at);
create index job_finished_idx on job (finished_at) where state in ('succeeded', 'cancelled');

create table lease (
    name        text primary key not null,
    holder      text not null,
    expires_at  integer not null,
    acquired_at integer not null
);
