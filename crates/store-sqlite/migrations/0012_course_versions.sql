-- Published versions (see the PostgreSQL migration). Immutable: triggers refuse change.
create table course_version (
    tenant_id    blob not null,
    course_id    blob not null,
    version      integer not null check (version >= 1),
    snapshot     text not null,
    published_at text not null,
    primary key (tenant_id, course_id, version),
    foreign key (tenant_id, course_id) references course (tenant_id, course_id)
);
create trigger course_version_no_update before update on course_version
begin select raise(abort, 'course versions are immutable'); end;
create trigger course_version_no_delete before delete on course_version
begin select raise(abort, 'course versions are immutable'); end;
