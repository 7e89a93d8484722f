"""Adolat: human-rights follow-up shared by a state and its civil society."""
