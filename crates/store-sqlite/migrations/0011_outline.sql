-- A course's outline (see the PostgreSQL migration). Times are RFC 3339 text.
create table course_module (
    tenant_id  blob not null,
    module_id  blob not null,
    course_id  blob not null,
    position   integer not null check (position >= 0),
    title      text not null,
    primary key (tenant_id, module_id),
    foreign key (tenant_id, course_id) references course (tenant_id, course_id)
);
create index course_module_course_idx on course_module (tenant_id, course_id, position);

create table lesson (
    tenant_id         blob not null,
    lesson_id         blob not null,
    module_id         blob not null,
    position          integer not null check (position >= 0),
    title             text not null,
    body              text not null,
    estimated_minutes integer not null check (estimated_minutes between 1 and 600),
    updated_at        text not null,
    primary key (tenant_id, lesson_id),
    foreign key (tenant_id, module_id) references course_module (tenant_id, module_id)
);
create index lesson_module_idx on lesson (tenant_id, module_id, position);
