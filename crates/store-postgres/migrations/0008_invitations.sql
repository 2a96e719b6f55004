-- Invitations: a tenant admin invites an address with a role; the invitee sets their
-- name and password through a single-use link (token stored as SHA-256).
create table invitation (
    tenant_id     uuid not null,
    token_hash    text not null,
    email         text not null,
    role          text not null check (role in ('admin', 'instructor', 'learner')),
    invited_by    text not null,
    created_at    timestamptz not null,
    expires_at    timestamptz not null,
    accepted_at   timestamptz,
    primary key (tenant_id, token_hash),
    constraint invitation_tenant_fkey foreign key (tenant_id) references tenant (tenant_id)
);
create index invitation_email_idx on invitation (tenant_id, email);

alter table invitation enable row level security;
alter table invitation force row level security;
create policy invitation_tenant_isolation on invitation
    using (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid)
    with check (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid);

grant select, insert, update, delete on invitation to nexus_app;
