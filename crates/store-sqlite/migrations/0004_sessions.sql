-- Server-side sessions (tokens stored only as SHA-256) and login throttles. Times are
-- INTEGER Unix microseconds (they are compared on every request).
create table app_session (
    tenant_id         blob not null,
    app_session_id    blob not null,
    app_user_id       blob not null,
    token_hash        text not null,
    csrf_hash         text not null,
    created_at        integer not null,
    last_seen_at      integer not null,
    expires_at        integer not null,
    idle_timeout_secs integer not null,
    ip                text,
    user_agent        text,
    revoked_at        integer,
    primary key (tenant_id, app_session_id),
    constraint app_session_token_key unique (token_hash),
    foreign key (tenant_id, app_user_id) references app_user (tenant_id, app_user_id)
);
create index app_session_user_idx on app_session (tenant_id, app_user_id, created_at);

create table auth_throttle (
    tenant_id         blob not null references tenant (tenant_id),
    throttle_key      text not null,
    failures          integer not null,
    window_started_at integer not null,
    locked_until      integer,
    primary key (tenant_id, throttle_key)
);
