-- Question banks, quizzes and attempts (see the PostgreSQL migration).
create table question_bank (
    tenant_id  blob not null,
    bank_id    blob not null,
    course_id  blob not null,
    bank_key   text not null,
    title      text not null,
    questions  text not null,
    updated_at text not null,
    primary key (tenant_id, bank_id),
    unique (tenant_id, course_id, bank_key),
    foreign key (tenant_id, course_id) references course (tenant_id, course_id)
);

create table quiz (
    tenant_id  blob not null,
    quiz_id    blob not null,
    course_id  blob not null,
    module_id  blob not null,
    position   integer not null check (position >= 0),
    bank_id    blob not null,
    settings   text not null,
    updated_at text not null,
    primary key (tenant_id, quiz_id),
    foreign key (tenant_id, module_id) references course_module (tenant_id, module_id) on delete cascade,
    foreign key (tenant_id, bank_id) references question_bank (tenant_id, bank_id)
);
create index quiz_course_idx on quiz (tenant_id, course_id);

create table quiz_attempt (
    tenant_id      blob not null,
    attempt_id     blob not null,
    quiz_id        blob not null,
    course_id      blob not null,
    bank_id        blob not null,
    app_user_id    blob not null,
    number         integer not null check (number >= 1),
    status         text not null check (status in ('open', 'submitted', 'expired')),
    pass_mark      integer not null check (pass_mark between 0 and 100),
    questions      text not null,
    responses      text not null,
    graded         text not null,
    score_percent  integer,
    passed         integer,
    started_at     text not null,
    deadline       text,
    finished_at    text,
    primary key (tenant_id, attempt_id),
    unique (tenant_id, quiz_id, app_user_id, number),
    -- No foreign key to `quiz` (see the PostgreSQL migration).
    foreign key (tenant_id, app_user_id) references app_user (tenant_id, app_user_id) on delete cascade
);
create index quiz_attempt_user_idx on quiz_attempt (tenant_id, app_user_id, course_id);
