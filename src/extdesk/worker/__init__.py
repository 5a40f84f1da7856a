"""``extdesk worker``: every periodic duty (mail, escalations, auto-close, prunings) in one process.

Safe on several hosts at once: each duty's turn is a lease row in the database (models.DutyLease),
taken with a conditional UPDATE, and the duties claim their own rows as they work.
"""
