"""Summaries of articles: the offline extractive summarizer, the OpenAI-compatible one, and the cache.

Import `SummaryService` from `bot.summarize.service` (kept out of here so importing the text helpers
does not pull in the openai client).
"""
