-- The platform library of shared courses (see the PostgreSQL migration). Times are
-- RFC 3339 text like course's.
create table library_course (
    library_id   blob primary key not null,
    slug         text not null,
    title        text not null,
    summary      text not null,
    level        text not null check (level in ('beginner', 'intermediate', 'advanced')),
    package      text not null,
    published_at text not null,
    updated_at   text not null,
    constraint library_course_slug_key unique (slug)
);
create index library_course_title_idx on library_course (title, slug);
