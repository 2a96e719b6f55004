-- Webhooks: a tenant's endpoints, the messages queued for them (written in the
-- transaction of the change that raised the event) and the delivery log. Times are
-- INTEGER Unix microseconds. `events` is `,a,b,` so a subscription test is a `like`.
create table webhook_endpoint (
    tenant_id        blob not null references tenant (tenant_id),
    webhook_id       blob not null,
    url              text not null,
    events           text not null,
    description      text not null,
    secret           text not null,
    disabled_at      integer,
    disabled_reason  text,
    failed_messages  integer not null default 0,
    created_at       integer not null,
    updated_at       integer not null,
    primary key (tenant_id, webhook_id)
);
create index webhook_endpoint_tenant_idx on webhook_endpoint (tenant_id, created_at);

-- No foreign key from subject_user_id: erasure removes a user's messages itself.
create table webhook_message (
    tenant_id        blob not null,
    message_id       blob not null,
    webhook_id       blob not null,
    event            text not null,
    body             text not null,
    subject_user_id  blob,
    status           text not null check (status in ('pending', 'delivered', 'failed')),
    attempts         integer not null,
    total_attempts   integer not null,
    created_at       integer not null,
    next_attempt_at  integer,
    delivered_at     integer,
    primary key (tenant_id, message_id),
    constraint webhook_message_endpoint_fkey foreign key (tenant_id, webhook_id)
        references webhook_endpoint (tenant_id, webhook_id) on delete cascade
);
create index webhook_message_endpoint_idx on webhook_message (tenant_id, webhook_id, created_at);
create index webhook_message_tenant_idx on webhook_message (tenant_id, created_at);
create index webhook_message_subject_idx on webhook_message (tenant_id, subject_user_id)
    where subject_user_id is not null;

create table webhook_attempt (
    tenant_id     blob not null,
    message_id    blob not null,
    seq           integer not null,
    attempted_at  integer not null,
    status_code   integer,
    error         text,
    duration_ms   integer not null,
    response      text not null,
    primary key (tenant_id, message_id, seq),
    constraint webhook_attempt_message_fkey foreign key (tenant_id, message_id)
        references webhook_message (tenant_id, message_id) on delete cascade
);
