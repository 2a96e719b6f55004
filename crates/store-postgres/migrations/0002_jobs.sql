-- Background work: the durable job queue and singleton leases.
-- Platform-level tables (workers serve every tenant): not under row-level security.
create table job (
    job_id          uuid primary key,
    tenant_id       uuid,
    kind            text not null,
    payload         jsonb not null,
    priority        smallint not null default 0,
    state           text not null check (state in ('queued', 'running', 'succeeded', 'dead', 'cancelled')),
    run_at          timestamptz not null,
    attempts        integer not null default 0,
    max_attempts    integer not null,
    last_error      text,
    idempotency_key text,
    lock_token      uuid,
    locked_until    timestamptz,
    created_at      timestamptz not null,
    updated_at      timestamptz not null,
    finished_at     timestamptz,
    constraint job_idempotency_key unique (kind, idempotency_key),
    constraint job_tenant_fkey foreign key (tenant_id) references tenant (tenant_id) on delete cascade
);
create index job_claim_idx on job (priority desc, run_at) where state = 'queued';
create index job_running_idx on job (locked_until) where state = 'running';
create index job_tenant_idx on job (tenant_id, created_at);
create index job_finished_idx on job (finished_at) where state in ('succeeded', 'cancelled');

create table lease (
    name        text primary key,
    holder      text not null,
    expires_at  timestamptz not null,
    acquired_at timestamptz not null
);

grant select, insert, update, delete on job, lease to nexus_app;
