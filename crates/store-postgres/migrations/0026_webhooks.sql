-- Webhooks: a tenant's endpoints, the messages queued for them (written in the
-- transaction of the change that raised the event) and the delivery log. `events` is
-- `,a,b,` so a subscription test is a `like`.
create table webhook_endpoint (
    tenant_id        uuid not null,
    webhook_id       uuid not null,
    url              text not null,
    events           text not null,
    description      text not null,
    secret           text not null,
    disabled_at      timestamptz,
    disabled_reason  text,
    failed_messages  integer not null default 0,
    created_at       timestamptz not null,
    updated_at       timestamptz not null,
    primary key (tenant_id, webhook_id),
    constraint webhook_endpoint_tenant_fkey foreign key (tenant_id) references tenant (tenant_id)
);
create index webhook_endpoint_tenant_idx on webhook_endpoint (tenant_id, created_at);

-- No foreign key from subject_user_id: erasure removes a user's messages itself.
create table webhook_message (
    tenant_id        uuid not null,
    message_id       uuid not null,
    webhook_id       uuid not null,
    event            text not null,
    body             text not null,
    subject_user_id  uuid,
    status           text not null check (status in ('pending', 'delivered', 'failed')),
    attempts         integer not null,
    total_attempts   integer not null,
    created_at       timestamptz not null,
    next_attempt_at  timestamptz,
    delivered_at     timestamptz,
    primary key (tenant_id, message_id),
    constraint webhook_message_endpoint_fkey foreign key (tenant_id, webhook_id)
        references webhook_endpoint (tenant_id, webhook_id) on delete cascade
);
create index webhook_message_endpoint_idx on webhook_message (tenant_id, webhook_id, created_at);
create index webhook_message_tenant_idx on webhook_message (tenant_id, created_at);
create index webhook_message_subject_idx on webhook_message (tenant_id, subject_user_id)
    where subject_user_id is not null;

create table webhook_attempt (
    tenant_id     uuid not null,
    message_id    uuid not null,
    seq           integer not null,
    attempted_at  timestamptz not null,
    status_code   integer,
    error         text,
    duration_ms   integer not null,
    response      text not null,
    primary key (tenant_id, message_id, seq),
    constraint webhook_attempt_message_fkey foreign key (tenant_id, message_id)
        references webhook_message (tenant_id, message_id) on delete cascade
);

alter table webhook_endpoint enable row level security;
alter table webhook_endpoint force row level security;
create policy webhook_endpoint_tenant_isolation on webhook_endpoint
    using (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid)
    with check (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid);
grant select, insert, update, delete on webhook_endpoint to nexus_app;

alter table webhook_message enable row level security;
alter table webhook_message force row level security;
create policy webhook_message_tenant_isolation on webhook_message
    using (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid)
    with check (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid);
grant select, insert, update, delete on webhook_message to nexus_app;

alter table webhook_attempt enable row level security;
alter table webhook_attempt force row level security;
create policy webhook_attempt_tenant_isolation on webhook_attempt
    using (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid)
    with check (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid);
grant select, insert, update, delete on webhook_attempt to nexus_app;
