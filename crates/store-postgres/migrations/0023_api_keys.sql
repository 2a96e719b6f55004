-- API keys: stored only as the SHA-256 of the key, with a short hint in clear.
create table api_key (
    tenant_id      uuid not null,
    api_key_id     uuid not null,
    name           text not null,
    owner_user_id  uuid not null,
    scopes         text not null,
    key_hash       text not null,
    hint           text not null,
    created_at     timestamptz not null,
    expires_at     timestamptz,
    revoked_at     timestamptz,
    last_used_at   timestamptz,
    last_used_ip   text,
    rotated_from   uuid,
    primary key (tenant_id, api_key_id),
    constraint api_key_hash_key unique (key_hash),
    constraint api_key_owner_fkey foreign key (tenant_id, owner_user_id)
        references app_user (tenant_id, app_user_id) on delete cascade
);
create index api_key_tenant_idx on api_key (tenant_id, created_at);
create index api_key_owner_idx on api_key (tenant_id, owner_user_id);

alter table api_key enable row level security;
alter table api_key force row level security;
create policy api_key_tenant_isolation on api_key
    using (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid)
    with check (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid);
grant select, insert, update, delete on api_key to nexus_app;
