-- Learning: a course's outline, modules of lessons. Positions order siblings; lesson
-- bodies are Markdown (rendered and sanitized when served).
create table course_module (
    tenant_id  uuid not null,
    module_id  uuid not null,
    course_id  uuid not null,
    position   integer not null check (position >= 0),
    title      text not null,
    primary key (tenant_id, module_id),
    constraint course_module_course_fkey foreign key (tenant_id, course_id) references course (tenant_id, course_id)
);
create index course_module_course_idx on course_module (tenant_id, course_id, position);

create table lesson (
    tenant_id         uuid not null,
    lesson_id         uuid not null,
    module_id         uuid not null,
    position          integer not null check (position >= 0),
    title             text not null,
    body              text not null,
    estimated_minutes integer not null check (estimated_minutes between 1 and 600),
    updated_at        timestamptz not null,
    primary key (tenant_id, lesson_id),
    constraint lesson_module_fkey foreign key (tenant_id, module_id) references course_module (tenant_id, module_id)
);
create index lesson_module_idx on lesson (tenant_id, module_id, position);

alter table course_module enable row level security;
alter table course_module force row level security;
create policy course_module_tenant_isolation on course_module
    using (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid)
    with check (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid);
alter table lesson enable row level security;
alter table lesson force row level security;
create policy lesson_tenant_isolation on lesson
    using (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid)
    with check (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid);

grant select, insert, update on course_module, lesson to nexus_app;
