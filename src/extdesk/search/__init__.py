"""Full-text search of tickets: subjects and message bodies, ranked, with the matching snippet."""
