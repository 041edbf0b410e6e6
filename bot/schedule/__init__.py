"""Scheduled mantras and reminders: the scheduler (the one APScheduler job that wakes a claim),
the fan-out to each platform within its limits, and recurrence in real time zones."""
