-- E-mail verification: when the account's address was last proven to be read by its
-- owner (null: never), and a second purpose for e-mailed tokens.
alter table app_user add column email_verified_at timestamptz;

alter table email_token drop constraint email_token_purpose_check;
alter table email_token add constraint email_token_purpose_check
    check (purpose in ('reset_password', 'verify_email'));
