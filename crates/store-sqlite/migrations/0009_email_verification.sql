-- E-mail verification (see the PostgreSQL migration). `email_verified_at` is RFC 3339
-- text like the table's other times. SQLite cannot alter a check constraint, so
-- email_token is rebuilt with the new purpose allowed; nothing references it.
alter table app_user add column email_verified_at text;

create table email_token_new (
    tenant_id   blob not null,
    token_hash  text not null,
    purpose     text not null check (purpose in ('reset_password', 'verify_email')),
    app_user_id blob not null,
    created_at  integer not null,
    expires_at  integer not null,
    used_at     integer,
    primary key (tenant_id, token_hash),
    foreign key (tenant_id, app_user_id) references app_user (tenant_id, app_user_id)
);
insert into email_token_new select tenant_id, token_hash, purpose, app_user_id, created_at, expires_at, used_at from email_token;
drop table email_token;
alter table email_token_new rename to email_token;
