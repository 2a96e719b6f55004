-- Prerequisites between courses (see the PostgreSQL migration).
create table course_prerequisite (
    tenant_id          blob not null,
    course_id          blob not null,
    requires_course_id blob not null,
    primary key (tenant_id, course_id, requires_course_id),
    foreign key (tenant_id, course_id) references course (tenant_id, course_id),
    foreign key (tenant_id, requires_course_id) references course (tenant_id, course_id)
);
