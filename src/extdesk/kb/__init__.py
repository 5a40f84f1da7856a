"""The knowledge base: articles staff write in Markdown, read by customers at /kb/."""
