"""Outgoing mail, kept in the database until the mail server has accepted it."""
