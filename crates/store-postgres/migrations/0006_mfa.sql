-- Second factors: one TOTP secret per user (confirmed once a code is shown), the last
-- accepted step (replay protection), single-use recovery codes stored as SHA-256, and
-- the MFA state of each session.
create table mfa_totp (
    tenant_id      uuid not null,
    app_user_id    uuid not null,
    secret         text not null,
    confirmed_at   timestamptz,
    last_used_step bigint,
    created_at     timestamptz not null,
    primary key (tenant_id, app_user_id),
    constraint mfa_totp_user_fkey foreign key (tenant_id, app_user_id) references app_user (tenant_id, app_user_id)
);

create table mfa_recovery_code (
    tenant_id   uuid not null,
    app_user_id uuid not null,
    code_hash   text not null,
    created_at  timestamptz not null,
    used_at     timestamptz,
    primary key (tenant_id, app_user_id, code_hash),
    constraint mfa_recovery_code_user_fkey foreign key (tenant_id, app_user_id) references app_user (tenant_id, app_user_id)
);

alter table app_session add column mfa_state text not null default 'none';

alter table mfa_totp enable row level security;
alter table mfa_totp force row level security;
create policy mfa_totp_tenant_isolation on mfa_totp
    using (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid)
    with check (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid);
alter table mfa_recovery_code enable row level security;
alter table mfa_recovery_code force row level security;
create policy mfa_recovery_code_tenant_isolation on mfa_recovery_code
    using (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid)
    with check (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid);

grant select, insert, update, delete on mfa_totp, mfa_recovery_code to nexus_app;
