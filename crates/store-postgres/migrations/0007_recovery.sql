-- Account recovery: single-use e-mailed tokens (stored as SHA-256), and the development
-- mail outbox that stands in for SMTP until a relay is configured.
create table email_token (
    tenant_id   uuid not null,
    token_hash  text not null,
    purpose     text not null check (purpose in ('reset_password')),
    app_user_id uuid not null,
    created_at  timestamptz not null,
    expires_at  timestamptz not null,
    used_at     timestamptz,
    primary key (tenant_id, token_hash),
    constraint email_token_user_fkey foreign key (tenant_id, app_user_id) references app_user (tenant_id, app_user_id)
);

create table mail_outbox (
    tenant_id      uuid not null,
    mail_id        uuid not null,
    to_address     text not null,
    subject        text not null,
    body           text not null,
    created_at     timestamptz not null,
    primary key (tenant_id, mail_id),
    constraint mail_outbox_tenant_fkey foreign key (tenant_id) references tenant (tenant_id)
);

alter table email_token enable row level security;
alter table email_token force row level security;
create policy email_token_tenant_isolation on email_token
    using (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid)
    with check (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid);
alter table mail_outbox enable row level security;
alter table mail_outbox force row level security;
create policy mail_outbox_tenant_isolation on mail_outbox
    using (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid)
    with check (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid);

grant select, insert, update, delete on email_token, mail_outbox to nexus_app;
