-- Nothing to change on SQLite (no grants); kept so both backends number migrations alike.
select 1;
