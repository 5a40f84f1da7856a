"""The mail channel: tickets and replies that arrive by e-mail, and the threading of outgoing mail."""
