-- Learning: whether the published course is open for self-enrolment, kept apart from
-- the draft's flag like the rest of the published metadata (0013 missed it, so editing
-- the draft opened or closed enrolment on the live course at once). Null for courses
-- published before this migration: they read the draft's flag until their next publish.
alter table course add column published_self_enrol boolean;
