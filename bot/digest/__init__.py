"""The digest: choosing, ranking and sectioning the day's stories, and one pure renderer per output."""
