-- Jobs keep no reminder of their own: one reminder, the due-jobs scanner's, drives every job through the index on
-- next_fire_at. The per-job reminders of schema 1 go.
DELETE FROM reminders WHERE reminder_name = 'fire' AND grain_id LIKE 'job/%';
