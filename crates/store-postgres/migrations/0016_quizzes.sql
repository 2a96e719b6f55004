-- Learning: question banks (questions kept as their authoring specs, JSON), quizzes
-- placed after a module's lessons, and learners' attempts. An attempt keeps its own
-- copy of the questions it drew, answer keys included; the API never serves that copy
-- before submission.
create table question_bank (
    tenant_id  uuid not null,
    bank_id    uuid not null,
    course_id  uuid not null,
    bank_key   text not null,
    title      text not null,
    questions  text not null,
    updated_at timestamptz not null,
    primary key (tenant_id, bank_id),
    constraint question_bank_key_key unique (tenant_id, course_id, bank_key),
    constraint question_bank_course_fkey foreign key (tenant_id, course_id)
        references course (tenant_id, course_id)
);

create table quiz (
    tenant_id  uuid not null,
    quiz_id    uuid not null,
    course_id  uuid not null,
    module_id  uuid not null,
    position   integer not null check (position >= 0),
    bank_id    uuid not null,
    settings   text not null,
    updated_at timestamptz not null,
    primary key (tenant_id, quiz_id),
    constraint quiz_module_fkey foreign key (tenant_id, module_id)
        references course_module (tenant_id, module_id) on delete cascade,
    constraint quiz_bank_fkey foreign key (tenant_id, bank_id)
        references question_bank (tenant_id, bank_id)
);
create index quiz_course_idx on quiz (tenant_id, course_id);

create table quiz_attempt (
    tenant_id      uuid not null,
    attempt_id     uuid not null,
    quiz_id        uuid not null,
    course_id      uuid not null,
    bank_id        uuid not null,
    app_user_id    uuid not null,
    number         integer not null check (number >= 1),
    status         text not null check (status in ('open', 'submitted', 'expired')),
    pass_mark      integer not null check (pass_mark between 0 and 100),
    questions      text not null,
    responses      text not null,
    graded         text not null,
    score_percent  integer,
    passed         boolean,
    started_at     timestamptz not null,
    deadline       timestamptz,
    finished_at    timestamptz,
    primary key (tenant_id, attempt_id),
    constraint quiz_attempt_number_key unique (tenant_id, quiz_id, app_user_id, number),
    -- No foreign key to `quiz`: learners take the quiz as published, so deleting it
    -- from the draft must not take their attempts (and certificates) with it.
    constraint quiz_attempt_user_fkey foreign key (tenant_id, app_user_id)
        references app_user (tenant_id, app_user_id) on delete cascade
);
create index quiz_attempt_user_idx on quiz_attempt (tenant_id, app_user_id, course_id);

alter table question_bank enable row level security;
alter table question_bank force row level security;
create policy question_bank_tenant_isolation on question_bank
    using (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid)
    with check (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid);
alter table quiz enable row level security;
alter table quiz force row level security;
create policy quiz_tenant_isolation on quiz
    using (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid)
    with check (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid);
alter table quiz_attempt enable row level security;
alter table quiz_attempt force row level security;
create policy quiz_attempt_tenant_isolation on quiz_attempt
    using (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid)
    with check (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid);

grant select, insert, update, delete on question_bank, quiz, quiz_attempt to nexus_app;
