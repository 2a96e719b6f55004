-- Server-side sessions (tokens stored only as SHA-256) and login throttles.
create table app_session (
    tenant_id         uuid not null,
    app_session_id    uuid not null,
    app_user_id       uuid not null,
    token_hash        text not null,
    csrf_hash         text not null,
    created_at        timestamptz not null,
    last_seen_at      timestamptz not null,
    expires_at        timestamptz not null,
    idle_timeout_secs integer not null,
    ip                text,
    user_agent        text,
    revoked_at        timestamptz,
    primary key (tenant_id, app_session_id),
    constraint app_session_token_key unique (token_hash),
    constraint app_session_user_fkey foreign key (tenant_id, app_user_id) references app_user (tenant_id, app_user_id)
);
create index app_session_user_idx on app_session (tenant_id, app_user_id, created_at);

create table auth_throttle (
    tenant_id         uuid not null,
    throttle_key      text not null,
    failures          integer not null,
    window_started_at timestamptz not null,
    locked_until      timestamptz,
    primary key (tenant_id, throttle_key),
    constraint auth_throttle_tenant_fkey foreign key (tenant_id) references tenant (tenant_id)
);

alter table app_session enable row level security;
alter table app_session force row level security;
create policy app_session_tenant_isolation on app_session
    using (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid)
    with check (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid);
alter table auth_throttle enable row level security;
alter table auth_throttle force row level security;
create policy auth_throttle_tenant_isolation on auth_throttle
    using (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid)
    with check (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid);

grant select, insert, update, delete on app_session, auth_throttle to nexus_app;
