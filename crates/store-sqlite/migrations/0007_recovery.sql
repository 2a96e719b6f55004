-- Account recovery tokens and the development mail outbox (see the PostgreSQL
-- migration). Times are Unix microseconds.
create table email_token (
    tenant_id   blob not null,
    token_hash  text not null,
    purpose     text not null check (purpose in ('reset_password')),
    app_user_id blob not null,
    created_at  integer not null,
    expires_at  integer not null,
    used_at     integer,
    primary key (tenant_id, token_hash),
    foreign key (tenant_id, app_user_id) references app_user (tenant_id, app_user_id)
);

create table mail_outbox (
    tenant_id      blob not null references tenant (tenant_id),
    mail_id        blob not null,
    to_address     text not null,
    subject        text not null,
    body           text not null,
    created_at     integer not null,
    primary key (tenant_id, mail_id)
);
