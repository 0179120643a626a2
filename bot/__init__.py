"""Sanad's front ends: command line, console and Telegram bot, and the one settings module."""
