-- JobScheduler schema 7: jobs keep no reminder of their own. One reminder, the due-jobs scanner's, drives every job
-- (it reads the jobs due soon through the index on next_fire_at); the reminder service no longer re-reads a row per
-- job every few minutes. The per-job reminders of earlier schemas go.
DELETE FROM OrleansRemindersTable WHERE ReminderName = 'fire' AND GrainId LIKE 'job/%';
