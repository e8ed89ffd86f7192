-- 030_trace_strings.sql: traces name their name, service and models (the
-- distinct models, comma separated) by strings.id instead of the text, as
-- spans name theirs: a few hundred distinct texts were stored once per
-- trace, 76 of a trace row's 150 bytes on LLM-agent data (about 12 bytes a
-- span). The columns get new names so that no reader can take an id for
-- the text. strings' rows are never deleted.
INSERT OR IGNORE INTO strings (value)
  SELECT name FROM traces UNION SELECT service FROM traces UNION SELECT models FROM traces;
ALTER TABLE traces ADD COLUMN name_sid INTEGER NOT NULL DEFAULT 0;      -- strings.id
ALTER TABLE traces ADD COLUMN service_sid INTEGER NOT NULL DEFAULT 0;   -- strings.id
ALTER TABLE traces ADD COLUMN models_sid INTEGER NOT NULL DEFAULT 0;    -- strings.id ('' = none)
UPDATE traces SET name_sid = (SELECT id FROM strings WHERE value = traces.name),
                  service_sid = (SELECT id FROM strings WHERE value = traces.service),
                  models_sid = (SELECT id FROM strings WHERE value = traces.models);
ALTER TABLE traces DROP COLUMN name;
ALTER TABLE traces DROP COLUMN service;
ALTER TABLE traces DROP COLUMN models;
