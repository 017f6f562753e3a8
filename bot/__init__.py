"""digestbot package."""
