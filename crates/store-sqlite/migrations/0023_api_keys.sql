-- API keys: stored only as the SHA-256 of the key, with a short hint in clear. Times
-- are INTEGER Unix microseconds (compared on every keyed request).
create table api_key (
    tenant_id      blob not null,
    api_key_id     blob not null,
    name           text not null,
    owner_user_id  blob not null,
    scopes         text not null,
    key_hash       text not null,
    hint           text not null,
    created_at     integer not null,
    expires_at     integer,
    revoked_at     integer,
    last_used_at   integer,
    last_used_ip   text,
    rotated_from   blob,
    primary key (tenant_id, api_key_id),
    constraint api_key_hash_key unique (key_hash),
    constraint api_key_owner_fkey foreign key (tenant_id, owner_user_id)
        references app_user (tenant_id, app_user_id) on delete cascade
);
create index api_key_tenant_idx on api_key (tenant_id, created_at);
create index api_key_owner_idx on api_key (tenant_id, owner_user_id);
