-- Authors may delete modules and lessons from the draft (published versions keep their
-- own copies).
grant delete on course_module, lesson to nexus_app;
