-- Invitations (see the PostgreSQL migration). Times are Unix microseconds.
create table invitation (
    tenant_id     blob not null references tenant (tenant_id),
    token_hash    text not null,
    email         text not null,
    role          text not null check (role in ('admin', 'instructor', 'learner')),
    invited_by    text not null,
    created_at    integer not null,
    expires_at    integer not null,
    accepted_at   integer,
    primary key (tenant_id, token_hash)
);
create index invitation_email_idx on invitation (tenant_id, email);
